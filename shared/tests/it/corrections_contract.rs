//! Corrections (訂正) on both stores: one conditional write that bumps the
//! version, keeps the status, records the changed keys only (never their
//! values), keeps the reviewer's checks and the search true, and owes
//! 登録内容訂正のお知らせ once. Run against SQLite and DynamoDB on moto.

use crate::review_contract::{decision, received};
use crate::store_contract::{Fixture, application_with, confirmed, dynamodb, key, sqlite, submission};
use serde_json::json;
use shared::domain::{
    Actor, ApplicationId, AuditAction, AuditEntry, Changes, CorrectionReason, Decision, ErasureReason, Field,
    HistoryAction, HistoryReason, IdempotencyKey, Phone, Status, Timestamp,
};
use shared::mail::{MailEvent, MailKind, MailSubject};
use shared::store::plan;
use shared::store::{
    CorrectOutcome, CorrectionWrite, DecideOutcome, EraseOutcome, Erasure, ListQuery, Record, Related,
    RelatedApplication, Search, StoredApplication, SubmitOutcome,
};

fn operator() -> Actor {
    Actor::parse("reviewer@example.com").unwrap()
}

/// A correction as the handler makes it, under a fresh idempotency key.
fn correction(stored: &StoredApplication, changes: serde_json::Value) -> CorrectionWrite {
    let id = stored.id();
    let changes = Changes::decode(&changes).unwrap();
    CorrectionWrite {
        application_id: id,
        expected_version: stored.version,
        reason: CorrectionReason::ApplicantRequest,
        request_hash: key()
            .request_hash(format!("{id}:{}:{}", stored.version, changes.digest_text()).as_bytes()),
        changes,
        actor: operator(),
        at: Timestamp::now(),
        idempotency_key: IdempotencyKey::parse(&test_support::unique("correction-key-01")).unwrap(),
        audit: AuditEntry::now(operator(), AuditAction::Correct, Some(id)),
    }
}

/// The application a correction made. A replay counts: the SDK may resend a
/// transaction that had in fact committed (a timeout under load).
fn corrected(outcome: CorrectOutcome) -> StoredApplication {
    match outcome {
        CorrectOutcome::Corrected(stored) | CorrectOutcome::Replayed(stored) => stored,
        other => panic!("{other:?}"),
    }
}

/// A verified application of another business (its own phone and name, no T-number).
async fn other_business(f: &Fixture, email: &str) -> StoredApplication {
    let application = application_with(
        email,
        json!({ "phone": "03-1234-5678", "invoiceNumber": null, "corporateName": "別会社株式会社",
                "lastName": "佐藤", "lastNameKana": "サトウ" }),
    );
    let submission = submission(&test_support::unique("key-000000000000"), application);
    assert!(matches!(f.store.submit(&submission).await.unwrap(), SubmitOutcome::Created { .. }));
    confirmed(&*f.store, &submission).await
}

async fn a_correction_bumps_the_version_keeps_the_status_and_lists_changed_keys(f: Fixture) {
    let stored = received(&f, "correct.me@example.com", 0).await;
    let id = stored.id();
    let write = correction(
        &stored,
        // The phone as typed differently is the same phone: not a change.
        json!({ "addressStreet": "梅田1-2-3", "phone": "0662928811", "addressBuilding": null }),
    );
    let after = corrected(f.store.correct(&write).await.unwrap());
    assert_eq!((after.status, after.version), (stored.status, stored.version.next()));
    assert_eq!(after.application.address_street.as_str(), "梅田1-2-3");
    assert_eq!(after.application.address_building, None);
    assert_eq!(after.application.email, stored.application.email);
    assert_eq!(f.store.get(id).await.unwrap(), Some(after.clone()), "read back as written");

    let entry = f.store.history_entry(id, after.version).await.unwrap().unwrap();
    assert_eq!((entry.action, entry.actor.as_str()), (HistoryAction::Correct, "reviewer@example.com"));
    assert_eq!(entry.fields, Some(vec![Field::AddressStreet, Field::AddressBuilding]));
    assert_eq!(entry.reason, Some(HistoryReason::Correction(CorrectionReason::ApplicantRequest)));
    assert_eq!((entry.from_status, entry.to_status, entry.message.as_ref()), (None, None, None));
    let shown = serde_json::to_string(&entry).unwrap();
    assert!(shown.contains(r#""fields":["addressStreet","addressBuilding"]"#), "{shown}");
    assert!(!shown.contains("梅田"), "no value in the history: {shown}");

    // Idempotent by key; the key is the correction's alone.
    assert_eq!(f.store.correct(&write).await.unwrap(), CorrectOutcome::Replayed(after.clone()));
    let other = CorrectionWrite { request_hash: key().request_hash(b"another"), ..write.clone() };
    assert_eq!(f.store.correct(&other).await.unwrap(), CorrectOutcome::KeyReused);
    let record = f.store.idempotency_record(&plan::RecordKey::Correction(&write.idempotency_key)).await;
    let record = record.unwrap().expect("kept");
    assert_eq!((record.application_id, record.response_status, record.response_body), (id, 200, None));
    assert_eq!(
        f.store.idempotency_record(&plan::RecordKey::Decision(&write.idempotency_key)).await.unwrap(),
        None
    );

    // The mail is owed once, on the entry; marked, it is owed no more.
    let event = MailEvent::Recorded(id, after.version, HistoryAction::Correct);
    assert!(f.store.pending_mail().await.unwrap().contains(&event));
    let subject = MailSubject::History(id, after.version);
    assert!(f.store.mark_mail_sent(subject, MailKind::Corrected, None).await.unwrap());
    assert!(!f.store.mark_mail_sent(subject, MailKind::Corrected, None).await.unwrap(), "once");
    assert!(!f.store.pending_mail().await.unwrap().contains(&event));

    // The counts did not move: the status is the same.
    let counts = f.store.count_by_status().await.unwrap();
    assert_eq!(counts.get(Status::Received), 1);
    let (record, history) = f.store.record(id).await.unwrap().unwrap();
    assert_eq!(record, Record::Live(after));
    assert_eq!(history.len(), 1);
}

async fn a_stale_version_loses_and_nothing_changes(f: Fixture) {
    let stored = received(&f, "stale@example.com", 0).await;
    let asked = match f
        .store
        .decide(&decision(&stored, Decision::RequestDocuments, crate::review_contract::message("資料を")))
        .await
        .unwrap()
    {
        DecideOutcome::Decided(asked) | DecideOutcome::Replayed(asked) => asked,
        other => panic!("{other:?}"),
    };
    let stale = correction(&stored, json!({ "addressStreet": "梅田1-2-3" }));
    assert_eq!(f.store.correct(&stale).await.unwrap(), CorrectOutcome::VersionConflict(asked.clone()));
    // A decision made with the version before a correction loses too.
    let fresh = corrected(
        f.store.correct(&correction(&asked, json!({ "addressStreet": "梅田1-2-3" }))).await.unwrap(),
    );
    assert_eq!(fresh.status, Status::DocumentsRequested, "the status stays");
    assert!(matches!(
        f.store.decide(&decision(&asked, Decision::Approve, None)).await.unwrap(),
        DecideOutcome::VersionConflict(now) if now == fresh
    ));
    // Values the form refuses, and values that change nothing, write nothing.
    let refused = f.store.correct(&correction(&fresh, json!({ "phone": "12", "postalCode": "abc" }))).await;
    let CorrectOutcome::Invalid(invalid) = refused.unwrap() else { panic!("invalid") };
    let fields: Vec<Field> = invalid.errors.iter().map(|issue| issue.field).collect();
    assert_eq!(fields, [Field::PostalCode, Field::Phone]);
    let same = correction(&fresh, json!({ "addressStreet": "梅田1-2-3" }));
    assert_eq!(f.store.correct(&same).await.unwrap(), CorrectOutcome::Unchanged);
    assert_eq!(f.store.get(fresh.id()).await.unwrap(), Some(fresh));
}

async fn erased_unverified_and_unknown_applications_are_refused(f: Fixture) {
    let pending =
        submission(&test_support::unique("key-000000000000"), application_with("new@example.com", json!({})));
    assert!(matches!(f.store.submit(&pending).await.unwrap(), SubmitOutcome::Created { .. }));
    let waiting = f.store.get(pending.receipt.application_id).await.unwrap().unwrap();
    let refused = f.store.correct(&correction(&waiting, json!({ "addressStreet": "梅田1-2-3" }))).await;
    assert_eq!(refused.unwrap(), CorrectOutcome::NotVerified);

    let stored = received(&f, "erased@example.com", 0).await;
    let erasure = Erasure {
        application_id: stored.id(),
        actor: operator(),
        reason: ErasureReason::ApplicantRequest,
        at: Timestamp::now(),
        token_hash: key().verification_token(stored.id()).hash(),
        audit: AuditEntry::now(operator(), AuditAction::Erase, Some(stored.id())),
    };
    assert!(matches!(f.store.erase(&erasure).await.unwrap(), EraseOutcome::Erased(_)));
    let mut write = correction(&stored, json!({ "addressStreet": "梅田1-2-3" }));
    write.expected_version = stored.version.next();
    assert_eq!(f.store.correct(&write).await.unwrap(), CorrectOutcome::Erased);

    let mut unknown = correction(&stored, json!({ "addressStreet": "梅田1-2-3" }));
    unknown.application_id = ApplicationId::new(Timestamp::now().time());
    assert_eq!(f.store.correct(&unknown).await.unwrap(), CorrectOutcome::NotFound);
}

/// A corrected phone, T-number or corporate name is what the reviewer's check
/// and the search find (the phone's index key, the related indexes' keys, the
/// columns, the search text): each key moves with its value, the old value
/// finds nothing any more, and an erased application is found by nothing.
async fn corrected_identifiers_keep_the_checks_and_the_search_true(f: Fixture) {
    let first = received(&f, "first@example.com", 1).await;
    let other = other_business(&f, "other@example.com").await;
    let check = |stored: &StoredApplication| Related::of(stored, 20);
    assert!(f.store.related(&check(&first)).await.unwrap().is_empty(), "nothing shared yet");
    // What the check finds of `stored`, and what each shares with it.
    let related = |stored: StoredApplication| {
        let store = f.store.clone();
        async move {
            let query = check(&stored);
            let found = store.related(&query).await.unwrap();
            found.iter().map(|other| (other.application_id, query.shared(other))).collect::<Vec<_>>()
        }
    };

    let other = corrected(
        f.store
            .correct(&correction(
                &other,
                json!({ "phone": "06-6292-8811", "invoiceNumber": "T7000012050002",
                        "corporateName": "エックスサーバー 株式会社", "lastName": "鈴木", "lastNameKana": "スズキ" }),
            ))
            .await
            .unwrap(),
    );
    let all = vec![Field::Phone, Field::InvoiceNumber, Field::CorporateName];
    assert_eq!(related(first.clone()).await, [(other.id(), all.clone())]);
    assert_eq!(related(other.clone()).await, [(first.id(), all)], "and from the other side");
    let shown = f.store.related(&check(&first)).await.unwrap();
    assert_eq!(shown, [RelatedApplication::of(&other)], "as the check shows it");
    assert_eq!(shown[0].display_name, "エックスサーバー 株式会社");

    let list = |search| ListQuery {
        status: None,
        search: Some(search),
        from: None,
        to: None,
        limit: 50,
        cursor: None,
        assignee: None,
    };
    let ids = |page: shared::store::Page| page.items.iter().map(|s| s.id()).collect::<Vec<_>>();
    let by_phone = Search::Phone(Phone::parse("06-6292-8811").unwrap());
    assert_eq!(ids(f.store.list(&list(by_phone.clone())).await.unwrap()), [other.id(), first.id()]);
    let old_phone = Search::Phone(Phone::parse("03-1234-5678").unwrap());
    assert_eq!(ids(f.store.list(&list(old_phone.clone())).await.unwrap()), Vec::<ApplicationId>::new());
    let text = |t: &str| Search::Text { text: t.into(), reading: t.into() };
    assert_eq!(ids(f.store.list(&list(text("鈴木"))).await.unwrap()), [other.id()]);
    assert_eq!(ids(f.store.list(&list(text("佐藤"))).await.unwrap()), Vec::<ApplicationId>::new());
    assert_eq!(ids(f.store.list(&list(text("スズキ"))).await.unwrap()), [other.id()]);

    // Each key on its own: the others corrected away, the one kept still finds.
    let steps = [
        (json!({ "invoiceNumber": "T9010401012345", "corporateName": "別会社株式会社" }), vec![Field::Phone]),
        (json!({ "phone": "03-1234-5678", "invoiceNumber": "T7000012050002" }), vec![Field::InvoiceNumber]),
        (
            json!({ "invoiceNumber": null, "corporateName": "エックスサーバー株式会社" }),
            vec![Field::CorporateName],
        ),
    ];
    let mut other = other;
    for (changes, shared) in steps {
        other = corrected(f.store.correct(&correction(&other, changes.clone())).await.unwrap());
        assert_eq!(related(first.clone()).await, [(other.id(), shared.clone())], "{changes}");
        assert_eq!(related(other.clone()).await, [(first.id(), shared)], "{changes}, from the other side");
    }
    let other = corrected(
        f.store
            .correct(&correction(
                &other,
                json!({ "corporateName": "別会社株式会社", "lastName": "佐藤", "lastNameKana": "サトウ" }),
            ))
            .await
            .unwrap(),
    );
    assert!(related(first.clone()).await.is_empty(), "nothing shared any more");
    assert!(related(other.clone()).await.is_empty());
    assert_eq!(ids(f.store.list(&list(text("鈴木"))).await.unwrap()), Vec::<ApplicationId>::new());
    assert_eq!(ids(f.store.list(&list(text("佐藤"))).await.unwrap()), [other.id()]);
    assert_eq!(ids(f.store.list(&list(old_phone.clone())).await.unwrap()), [other.id()]);

    // Erased: the check, the phone and the name find it no more.
    let other = corrected(
        f.store
            .correct(&correction(
                &other,
                json!({ "phone": "06-6292-8811", "invoiceNumber": "T7000012050002",
                        "corporateName": "エックスサーバー 株式会社" }),
            ))
            .await
            .unwrap(),
    );
    assert_eq!(related(first.clone()).await.len(), 1, "everything shared again");
    let erasure = Erasure {
        application_id: other.id(),
        actor: operator(),
        reason: ErasureReason::ApplicantRequest,
        at: Timestamp::now(),
        token_hash: key().verification_token(other.id()).hash(),
        audit: AuditEntry::now(operator(), AuditAction::Erase, Some(other.id())),
    };
    assert!(matches!(f.store.erase(&erasure).await.unwrap(), EraseOutcome::Erased(_)));
    assert!(related(first.clone()).await.is_empty(), "an erased application is found by no check");
    assert_eq!(ids(f.store.list(&list(by_phone)).await.unwrap()), [first.id()]);
    assert_eq!(ids(f.store.list(&list(text("佐藤"))).await.unwrap()), Vec::<ApplicationId>::new());
    assert_eq!(ids(f.store.list(&list(text("エックスサーバー"))).await.unwrap()), [first.id()]);
}

contract!(
    a_correction_bumps_the_version_keeps_the_status_and_lists_changed_keys,
    a_stale_version_loses_and_nothing_changes,
    erased_unverified_and_unknown_applications_are_refused,
    corrected_identifiers_keep_the_checks_and_the_search_true,
);
