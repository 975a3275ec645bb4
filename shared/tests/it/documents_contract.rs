//! The documents side of the store contract (contract v3, *Documents*): a
//! request's link, the uploads issued for it, the submission and its replay,
//! a later request superseding the link, and erasure taking the records.
//! Run against SQLite and DynamoDB on moto like the rest of the contract.

use crate::review_contract::{assert_counts_are_right, decision, erasure_of, message, received};
use crate::store_contract::{Fixture, dynamodb, key, sqlite};
use shared::domain::{
    Actor, Decision, Document, DocumentLimits, DocumentType, ErasureReason, FileName, HistoryAction,
    IdempotencyKey, MailEvent, Status, StoredApplication, Timestamp,
};
use shared::mail::{MailKind, MailSubject};
use shared::store::documents::{
    DocumentsSubmission, Refusal, RequestState, RequestWrite, SubmitDocumentsOutcome,
};
use shared::store::{DecideOutcome, EraseOutcome, plan};

/// Asks for documents as the admin handler does: the link of the new version.
async fn request(f: &Fixture, stored: &StoredApplication) -> (StoredApplication, shared::keyed::TokenHash) {
    let token = key().documents_token(stored.id(), stored.version.next()).hash();
    let mut ask = decision(stored, Decision::RequestDocuments, message("本人確認書類をお送りください。"));
    ask.document_request =
        Some(RequestWrite { token: token.clone(), expires_at: Timestamp::now().plus_secs(86_400) });
    match f.store.decide(&ask).await.unwrap() {
        DecideOutcome::Decided(asked) | DecideOutcome::Replayed(asked) => (asked, token),
        other => panic!("{other:?}"),
    }
}

async fn open(f: &Fixture, token: &shared::keyed::TokenHash) -> shared::store::documents::OpenRequest {
    match f.store.document_request(token).await.unwrap() {
        RequestState::Open(open) => open,
        other => panic!("{other:?}"),
    }
}

/// An upload target issued, as the handler does.
async fn upload(f: &Fixture, token: &shared::keyed::TokenHash, name: &str, size: u64) -> Document {
    let state = f.store.document_request(token).await.unwrap();
    let limits = DocumentLimits::default();
    let file_name = FileName::parse(name).unwrap();
    let document =
        plan::upload(state, file_name, DocumentType::Pdf, size, &limits, Timestamp::now()).unwrap();
    f.store.add_upload(&document).await.unwrap();
    document
}

fn submission(token: &shared::keyed::TokenHash, documents: &[&Document]) -> DocumentsSubmission {
    let ids: Vec<_> = documents.iter().map(|d| d.document_id).collect();
    DocumentsSubmission {
        token: token.clone(),
        idempotency_key: IdempotencyKey::parse(&test_support::unique("documents-key-01")).unwrap(),
        request_hash: key().request_hash(format!("{}:{ids:?}", token.as_str()).as_bytes()),
        document_ids: ids,
        limits: DocumentLimits::default(),
        at: Timestamp::now(),
    }
}

async fn a_submission_moves_the_status_once_and_replays(f: Fixture) {
    let stored = received(&f, "docs@example.com", 0).await;
    let (asked, token) = request(&f, &stored).await;
    let before = open(&f, &token).await;
    assert_eq!(before.application.status, Status::DocumentsRequested);
    assert_eq!(before.message.as_ref().map(|m| m.as_str()), Some("本人確認書類をお送りください。"));
    assert!(before.documents.is_empty());

    let pdf = upload(&f, &token, "免許証 表.pdf", 1200).await;
    let png = upload(&f, &token, "𠮷田_住民票.pdf", 3400).await;
    let unused = upload(&f, &token, "使わない.pdf", 10).await;
    assert_eq!(open(&f, &token).await.documents.len(), 3, "every target issued is the request's");

    let write = submission(&token, &[&pdf, &png]);
    let (after, documents) = match f.store.submit_documents(&write).await.unwrap() {
        SubmitDocumentsOutcome::Submitted(after, documents) => (after, documents),
        other => panic!("{other:?}"),
    };
    assert_eq!((after.status, after.version), (Status::DocumentsSubmitted, asked.version.next()));
    assert_eq!(
        documents.iter().map(|d| d.document_id).collect::<Vec<_>>(),
        vec![pdf.document_id, png.document_id]
    );
    let entry = f.store.history_entry(after.id(), after.version).await.unwrap().unwrap();
    assert_eq!(
        (entry.action, entry.actor, entry.files),
        (HistoryAction::SubmitDocuments, Actor::applicant(), Some(2))
    );
    assert_eq!(
        MailEvent::Recorded(after.id(), after.version, entry.action).kinds(),
        &[MailKind::DocumentsReceived, MailKind::DocumentsNotice]
    );

    // The same key and body: the same answer, nothing new.
    match f.store.submit_documents(&write).await.unwrap() {
        SubmitDocumentsOutcome::Replayed(again, documents) => {
            assert_eq!(again, after);
            assert_eq!(documents.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    // Another key: the documents are in already.
    let mut late = submission(&token, &[&unused]);
    late.at = Timestamp::now();
    assert!(matches!(f.store.submit_documents(&late).await.unwrap(), SubmitDocumentsOutcome::NotWaiting(_)));
    // The same key with another choice (so another digest, as the handler makes it).
    let reused = DocumentsSubmission {
        document_ids: vec![unused.document_id],
        request_hash: key().request_hash(b"another choice"),
        ..write.clone()
    };
    assert_eq!(f.store.submit_documents(&reused).await.unwrap(), SubmitDocumentsOutcome::KeyReused);

    // The detail lists what was submitted, not the unused upload.
    let listed = f.store.documents_of(after.id()).await.unwrap();
    assert_eq!(
        listed.iter().map(|d| d.file_name.as_str()).collect::<Vec<_>>(),
        ["免許証 表.pdf", "𠮷田_住民票.pdf"]
    );
    assert!(listed.iter().all(|d| d.submitted_at.is_some()));
    // Its two mails are owed, and go once each.
    let subject = MailSubject::History(after.id(), after.version);
    for kind in [MailKind::DocumentsReceived, MailKind::DocumentsNotice] {
        assert!(!f.store.mail_sent(subject, kind).await.unwrap());
        assert!(f.store.mark_mail_sent(subject, kind, None).await.unwrap());
        assert!(!f.store.mark_mail_sent(subject, kind, None).await.unwrap(), "{kind:?} marked once");
    }
    assert_counts_are_right(&f, "a submission of documents").await;
}

async fn a_choice_outside_the_request_or_its_limits_is_refused(f: Fixture) {
    let stored = received(&f, "limits@example.com", 0).await;
    let (_, token) = request(&f, &stored).await;
    let document = upload(&f, &token, "a.pdf", 100).await;
    // Another application's document.
    let other = received(&f, "other@example.com", 1).await;
    let (_, other_token) = request(&f, &other).await;
    let foreign = upload(&f, &other_token, "b.pdf", 100).await;
    let refused = f.store.submit_documents(&submission(&token, &[&document, &foreign])).await.unwrap();
    assert_eq!(refused, SubmitDocumentsOutcome::Refused(Refusal::Unknown(foreign.document_id)));
    assert_eq!(
        f.store.submit_documents(&submission(&token, &[])).await.unwrap(),
        SubmitDocumentsOutcome::Refused(Refusal::Count)
    );
    let big = DocumentsSubmission {
        limits: DocumentLimits { max_total_bytes: 99, max_file_bytes: 99, ..DocumentLimits::default() },
        ..submission(&token, &[&document])
    };
    assert_eq!(
        f.store.submit_documents(&big).await.unwrap(),
        SubmitDocumentsOutcome::Refused(Refusal::TotalSize)
    );
    // Nothing moved.
    assert_eq!(open(&f, &token).await.application.status, Status::DocumentsRequested);
}

async fn a_later_request_supersedes_the_link(f: Fixture) {
    let stored = received(&f, "again@example.com", 0).await;
    let (_, first) = request(&f, &stored).await;
    let document = upload(&f, &first, "a.pdf", 100).await;
    let submitted = match f.store.submit_documents(&submission(&first, &[&document])).await.unwrap() {
        SubmitDocumentsOutcome::Submitted(after, _) => after,
        other => panic!("{other:?}"),
    };
    // After the submission, the link still answers (its status), but takes nothing.
    assert_eq!(open(&f, &first).await.application.status, Status::DocumentsSubmitted);
    let refused = plan::upload(
        f.store.document_request(&first).await.unwrap(),
        FileName::parse("c.pdf").unwrap(),
        DocumentType::Pdf,
        1,
        &DocumentLimits::default(),
        Timestamp::now(),
    );
    assert_eq!(refused, Err(shared::store::documents::UploadRefusal::NotWaiting));
    // More documents, from `documents_submitted`: a new link; the first is 404.
    let (asked_again, second) = request(&f, &submitted).await;
    assert_eq!(asked_again.status, Status::DocumentsRequested);
    assert_eq!(f.store.document_request(&first).await.unwrap(), RequestState::NotFound);
    let open_again = open(&f, &second).await;
    assert!(open_again.documents.is_empty(), "the new request starts empty");
    assert_eq!(f.store.documents_of(stored.id()).await.unwrap().len(), 1, "the first submission stays");
    // An unknown token.
    let unknown = key().documents_token(stored.id(), stored.version).hash();
    assert_eq!(f.store.document_request(&unknown).await.unwrap(), RequestState::NotFound);
    assert_counts_are_right(&f, "a second request").await;
}

async fn erasure_deletes_the_documents_records(f: Fixture) {
    let stored = received(&f, "erase.docs@example.com", 0).await;
    let (_, token) = request(&f, &stored).await;
    let kept = upload(&f, &token, "秘密.pdf", 100).await;
    let _unsubmitted = upload(&f, &token, "未提出.pdf", 100).await;
    assert!(matches!(
        f.store.submit_documents(&submission(&token, &[&kept])).await.unwrap(),
        SubmitDocumentsOutcome::Submitted(..)
    ));
    let erasure = erasure_of(stored.id(), ErasureReason::ApplicantRequest);
    assert!(matches!(f.store.erase(&erasure).await.unwrap(), EraseOutcome::Erased(_)));
    assert!(f.store.documents_of(stored.id()).await.unwrap().is_empty());
    assert_eq!(f.store.document_request(&token).await.unwrap(), RequestState::NotFound);
    let recounted = f.store.recount().await.unwrap();
    assert_eq!(recounted.before, recounted.after);
}

contract!(
    a_submission_moves_the_status_once_and_replays,
    a_choice_outside_the_request_or_its_limits_is_refused,
    a_later_request_supersedes_the_link,
    erasure_deletes_the_documents_records,
);

/// What erasure leaves on DynamoDB of the documents: no item under the
/// application's key but its tombstone and history (the request item holds
/// no personal data and expires with its link).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_erasure_leaves_no_document_item() {
    let store = std::sync::Arc::new(test_support::moto::fresh_store().await);
    let f = Fixture { store: store.clone(), _dir: None };
    let stored = received(&f, "items@example.com", 0).await;
    let (_, token) = request(&f, &stored).await;
    let document = upload(&f, &token, "名前入り.pdf", 100).await;
    assert!(matches!(
        f.store.submit_documents(&submission(&token, &[&document])).await.unwrap(),
        SubmitDocumentsOutcome::Submitted(..)
    ));
    let erasure = erasure_of(stored.id(), ErasureReason::Mistaken);
    assert!(matches!(f.store.erase(&erasure).await.unwrap(), EraseOutcome::Erased(_)));
    let items = store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(shared::store::layout::application_pk(stored.id())),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let text = format!("{items:?}");
    assert!(!text.contains("名前入り"), "no file name is left");
    assert!(!text.contains(shared::store::layout::DOCUMENT_SORT_PREFIX), "no document item is left");
}
