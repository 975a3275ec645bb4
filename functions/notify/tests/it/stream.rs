//! The Lambda handler end to end on moto server: submissions, confirmations,
//! notices, operators' decisions and erasures stored through the DynamoDB
//! store, their records read from the table's real stream, mails sent through
//! SES v2 and read back from moto's `/moto-api/data.json`.

use crate::support::*;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_runtime::{Context, LambdaEvent};
use mail_parser::MessageParser;
use notify::{Deps, handle};
use shared::domain::{
    Actor, AuditAction, AuditEntry, Decision, IdempotencyKey, OperatorMessage, PartnerCode, Timestamp,
};
use shared::mail::{MailConfig, MailEvent, Postman, SesMailer, deliver};
use shared::store::dynamodb::DynamoStore;
use shared::store::{DecideOutcome, DecisionWrite, EraseOutcome, Erasure, StoredApplication, Submission};
use shared::store::{Deliveries, MailLedger, Review};

async fn deps(store: &DynamoStore, mailer: SesMailer, config: MailConfig) -> Deps {
    Deps { store: Box::new(store.clone()), mailer: Box::new(mailer), config, key: key() }
}

async fn run(deps: &Deps, event: &Event) -> DynamoDbEventResponse {
    handle(deps, LambdaEvent::new(event.clone(), Context::default())).await.expect("handled")
}

fn failed(response: &DynamoDbEventResponse) -> Vec<String> {
    let mut ids: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().expect("an identifier"))
        .collect();
    ids.sort();
    ids
}

/// The sequence number of the `event_name` record of this application's item.
fn sequence_of(event: &Event, app: &StoredApplication, event_name: &str) -> String {
    let pk = format!("APP#{}", app.receipt.application_id);
    let record = event
        .records
        .iter()
        .find(|r| {
            r.event_name == event_name
                && r.change.keys.get("pk") == Some(&serde_dynamo::AttributeValue::S(pk.clone()))
        })
        .expect("the application's record");
    record.change.sequence_number.clone().expect("a sequence number")
}

/// Checks a message moto accepted: envelope, headers and Japanese body.
fn assert_message(sent: &Sent, to: &str, subject: &str, body_has: &[&str]) {
    assert_eq!(sent.destinations, [to]);
    let message = MessageParser::default().parse(sent.raw.as_bytes()).expect("an RFC 5322 message");
    assert_eq!(message.subject(), Some(subject));
    let from = message.from().and_then(|list| list.first()).and_then(|a| a.address());
    assert_eq!(from, Some(sent.source.as_str()));
    let recipients: Vec<_> = message.to().expect("To").iter().filter_map(|a| a.address()).collect();
    assert_eq!(recipients, [to]);
    let text = message.body_text(0).expect("a text part");
    let html = message.body_html(0).expect("an HTML part");
    for needle in body_has {
        assert!(text.contains(needle), "text lacks {needle:?}");
        assert!(html.contains(needle), "HTML lacks {needle:?}");
    }
}

fn acknowledgement_subject(app: &StoredApplication) -> String {
    format!("【パートナー登録】お申し込みを受け付けました(受付番号:{})", app.receipt.reception_number)
}

fn notice_subject(app: &StoredApplication) -> String {
    format!("【パートナー登録】新しいお申し込みがありました(受付番号:{})", app.receipt.reception_number)
}

const VERIFICATION_SUBJECT: &str = "【パートナー登録】メールアドレスの確認をお願いします";

fn subject_of(sent: &Sent) -> String {
    message_of(sent).subject().expect("a subject").to_owned()
}

fn message_of(sent: &Sent) -> mail_parser::Message<'_> {
    MessageParser::default().parse(sent.raw.as_bytes()).expect("an RFC 5322 message")
}

fn to<'a>(sent: &'a [Sent], address: &str) -> Vec<&'a Sent> {
    sent.iter().filter(|s| s.destinations == [address]).collect()
}

/// Every row of the contract's mail table, through the table's real stream.
#[tokio::test]
async fn every_row_of_the_mail_table_goes_out_once_through_the_stream() {
    let store = fresh_store().await;
    let from = sender(true).await;
    let operator = format!("review@{}.example.jp", unique("ops-"));
    let (a, b, c) =
        (unique("a") + "@example.com", unique("b") + "@example.co.jp", unique("c") + "@example.com");
    let (new, _) = submit(&store, corporation(&a)).await;
    submit(&store, sole_proprietor(&b)).await;
    let (reissued, _) = submit(&store, sole_proprietor(&b)).await;
    let received = confirmed(&store, corporation(&c)).await;
    let (again, _) = submit(&store, corporation(&c.to_uppercase())).await;

    let event = stream_event(&store).await;
    let deps =
        deps(&store, SesMailer::new(ses_client(None).await, None), mail_config(&from, &operator)).await;
    assert_eq!(failed(&run(&deps, &event).await), Vec::<String>::new());

    let sent = sent_from(&from).await;
    // New address: its link, and nothing typed.
    let to_a = to(&sent, &a);
    assert_eq!(to_a.len(), 1, "{sent:#?}");
    assert_message(to_a[0], &a, VERIFICATION_SUBJECT, &["verify#token=", "リンクの有効期限"]);
    let text = message_of(to_a[0]).body_text(0).unwrap().into_owned();
    assert!(!text.contains("エックスサーバー") && !text.contains("山田"), "no typed text: {text}");
    let token = text.split_once("verify#token=").unwrap().1[..64].to_owned();
    assert_eq!(shared::keyed::VerificationToken::parse(&token).unwrap().hash(), new.token_hash);
    // Unverified address submitted twice: one link, the new one, worded as a reissue.
    let to_b = to(&sent, &b);
    assert_eq!(to_b.len(), 1, "the superseded application gets no link");
    let text = message_of(to_b[0]).body_text(0).unwrap().into_owned();
    assert!(text.contains("以前にお送りした確認用のリンクは無効です"));
    let token = text.split_once("verify#token=").unwrap().1[..64].to_owned();
    assert_eq!(shared::keyed::VerificationToken::parse(&token).unwrap().hash(), reissued.token_hash);
    // Confirmed: the 控え, then the same address again: the already-received mail.
    let to_c = to(&sent, &c);
    let mut subjects: Vec<String> = to_c.iter().map(|s| subject_of(s)).collect();
    subjects.sort();
    let number = received.receipt.reception_number;
    assert_eq!(
        subjects,
        [
            acknowledgement_subject(&received),
            format!("【パートナー登録】このメールアドレスでのお申し込みは受付済みです(受付番号:{number})"),
        ],
        "no link for an application already confirmed"
    );
    // The operators: one notice, with no personal data.
    let to_operator = to(&sent, &operator);
    assert_eq!(to_operator.len(), 1);
    assert_message(to_operator[0], &operator, &notice_subject(&received), &[number.as_str(), "管理画面"]);
    let notice = message_of(to_operator[0]).body_text(0).unwrap().into_owned();
    assert!(!notice.contains(&c) && !notice.contains("山田") && !notice.contains("06-6292-8811"), "{notice}");
    assert_eq!(sent.len(), 5);
    assert_eq!(marked(&store, MailEvent::Confirmed(received.receipt.application_id)).await, [true, true]);
    // Each mail about the verified application has its record, under SES's
    // message id (its delivery events name it); the links have none.
    let records = store.mails_of(received.receipt.application_id).await.unwrap();
    let mut recorded: Vec<(String, String)> =
        records.iter().map(|r| (r.mail_id.to_string(), r.message_id.clone())).collect();
    recorded.sort();
    let ack_subject = acknowledgement_subject(&received);
    let ack = to_c.iter().find(|s| subject_of(s) == ack_subject).unwrap().id.clone();
    let reminder = to_c.iter().find(|s| subject_of(s) != ack_subject).unwrap().id.clone();
    let mut expected = vec![
        ("acknowledgement".to_owned(), ack),
        (format!("notice-{}-already-received", again.notice_id), reminder),
        ("operator-notice".to_owned(), to_operator[0].id.clone()),
    ];
    expected.sort();
    assert_eq!(recorded, expected);
    assert!(store.mails_of(new.receipt.application_id).await.unwrap().is_empty(), "a link is not tracked");
    assert_eq!(marked(&store, MailEvent::AlreadyReceived(again.notice_id)).await, [true]);

    // Streams deliver at least once: the same batch again, and then the whole
    // stream so far (now with the markers' MODIFY records), send nothing more.
    assert_eq!(failed(&run(&deps, &event).await), Vec::<String>::new());
    let everything = stream_event(&store).await;
    assert!(everything.records.len() > event.records.len());
    assert_eq!(failed(&run(&deps, &everything).await), Vec::<String>::new());
    assert_eq!(sent_from(&from).await.len(), 5, "a redelivered record sends no second message");
}

#[tokio::test]
async fn a_rejected_sender_fails_exactly_the_records_not_yet_mailed_and_they_succeed_on_retry() {
    let store = fresh_store().await;
    let verified = sender(true).await;
    let unverified = sender(false).await;
    let operator = format!("review@{}.example.jp", unique("ops-"));
    let done = confirmed(&store, corporation(&format!("{}@example.com", unique("c")))).await;
    let pending = confirmed(&store, sole_proprietor(&format!("{}@example.com", unique("d")))).await;
    let also_pending = confirmed(&store, corporation(&format!("{}@example.com", unique("e")))).await;

    let ses = ses_client(None).await;
    // `done` was delivered earlier (a previous batch).
    let config = mail_config(&verified, &operator);
    let (mailer, key) = (SesMailer::new(ses.clone(), None), key());
    let postman = Postman { store: &store, mailer: &mailer, config: &config, key: &key };
    deliver(&postman, MailEvent::Confirmed(done.receipt.application_id)).await.unwrap();
    let event = stream_event(&store).await;

    // SES refuses the sender (unverified): only the records still owing mail fail.
    let broken = deps(&store, SesMailer::new(ses.clone(), None), mail_config(&unverified, &operator)).await;
    let response = run(&broken, &event).await;
    let mut expected =
        vec![sequence_of(&event, &pending, "MODIFY"), sequence_of(&event, &also_pending, "MODIFY")];
    expected.sort();
    assert_eq!(failed(&response), expected);
    assert!(sent_from(&unverified).await.is_empty());
    assert_eq!(marked(&store, MailEvent::Confirmed(pending.receipt.application_id)).await, [false, false]);

    // Lambda retries the batch from the first failure; with SES fixed, each owed mail goes once.
    let fixed = deps(&store, SesMailer::new(ses, None), mail_config(&verified, &operator)).await;
    assert_eq!(failed(&run(&fixed, &event).await), Vec::<String>::new());
    let sent = sent_from(&verified).await;
    assert_eq!(sent.len(), 6, "two mails for each of three applications, none twice");
    for app in [&done, &pending, &also_pending] {
        assert_eq!(to(&sent, app.application.email.as_str()).len(), 1);
    }
}

#[tokio::test]
async fn an_unreachable_ses_fails_every_record_that_owes_a_mail() {
    let store = fresh_store().await;
    let from = sender(true).await;
    let operator = format!("review@{}.example.jp", unique("ops-"));
    let (first, _) = submit(&store, corporation(&format!("{}@example.com", unique("f")))).await;
    let (second, _) = submit(&store, sole_proprietor(&format!("{}@example.com", unique("g")))).await;
    let event = stream_event(&store).await;

    let dead = format!("http://127.0.0.1:{}", free_port());
    let down =
        deps(&store, SesMailer::new(ses_client(Some(&dead)).await, None), mail_config(&from, &operator))
            .await;
    let response = run(&down, &event).await;
    let stored = |s: &Submission| shared::store::plan::awaiting(s, None);
    let mut expected =
        vec![sequence_of(&event, &stored(&first), "INSERT"), sequence_of(&event, &stored(&second), "INSERT")];
    expected.sort();
    assert_eq!(
        failed(&response),
        expected,
        "the reservation, token and idempotency records are not failures"
    );
    assert!(sent_from(&from).await.is_empty());
    assert_eq!(marked(&store, MailEvent::Submitted(first.receipt.application_id)).await, [false]);
}

#[tokio::test]
async fn after_ses_comes_back_redelivered_batches_send_exactly_one_mail_of_each_kind() {
    let store = fresh_store().await;
    let from = sender(true).await;
    let operator = format!("review@{}.example.jp", unique("ops-"));
    let mut apps = Vec::new();
    for n in 0..4 {
        let email = format!("{}@example.com", unique(&format!("r{n}")));
        let app = if n % 2 == 0 { corporation(&email) } else { sole_proprietor(&email) };
        apps.push(confirmed(&store, app).await);
    }
    let event = stream_event(&store).await;
    let config = mail_config(&from, &operator);

    let dead = format!("http://127.0.0.1:{}", free_port());
    let down = deps(&store, SesMailer::new(ses_client(Some(&dead)).await, None), config.clone()).await;
    // Lambda retries a failing batch; while SES is down every try fails the same records.
    for _ in 0..2 {
        assert_eq!(failed(&run(&down, &event).await).len(), apps.len());
    }
    assert!(sent_from(&from).await.is_empty());
    for app in &apps {
        assert!(store.get(app.receipt.application_id).await.unwrap().is_some(), "still stored");
    }

    let up = deps(&store, SesMailer::new(ses_client(None).await, None), config).await;
    assert_eq!(failed(&run(&up, &event).await), Vec::<String>::new());
    // At-least-once delivery: the same batch arrives again after success.
    assert_eq!(failed(&run(&up, &event).await), Vec::<String>::new());

    let sent = sent_from(&from).await;
    assert_eq!(sent.len(), 2 * apps.len(), "one acknowledgement and one notice each");
    for app in &apps {
        let to_applicant = to(&sent, app.application.email.as_str());
        assert_eq!(to_applicant.len(), 1);
        assert_eq!(subject_of(to_applicant[0]), acknowledgement_subject(app));
        let notices =
            to(&sent, &operator).into_iter().filter(|s| subject_of(s) == notice_subject(app)).count();
        assert_eq!(notices, 1);
        assert_eq!(marked(&store, MailEvent::Confirmed(app.receipt.application_id)).await, [true, true]);
    }
}

/// An operator's decision as the admin handler makes it, under a fresh key.
fn decision_of(stored: &StoredApplication, decision: Decision, message: Option<&str>) -> DecisionWrite {
    let id = stored.receipt.application_id;
    let operator = Actor::parse("reviewer@example.com").unwrap();
    let message = message.map(|text| OperatorMessage::parse(text).expect("a valid message"));
    DecisionWrite {
        application_id: id,
        decision,
        expected_version: stored.version,
        request_hash: shared::keyed::IdentifierKey::for_tests()
            .request_hash(format!("{id}:{}:{}:{message:?}", decision.as_str(), stored.version).as_bytes()),
        message,
        actor: operator.clone(),
        at: Timestamp::now(),
        idempotency_key: IdempotencyKey::parse(&unique("decision-key-0001")).unwrap(),
        partner_code: (decision == Decision::Approve).then(PartnerCode::random),
        retain_until: (decision == Decision::Reject).then(|| Timestamp::now().plus_secs(365 * 86_400)),
        document_request: None,
        audit: AuditEntry::now(operator, decision.into(), Some(id)),
    }
}

async fn decide(store: &DynamoStore, write: &DecisionWrite) -> StoredApplication {
    match store.decide(write).await.expect("decided") {
        DecideOutcome::Decided(stored) => stored,
        other => panic!("{other:?}"),
    }
}

async fn erase(store: &DynamoStore, stored: &StoredApplication) {
    let id = stored.receipt.application_id;
    let operator = Actor::parse("reviewer@example.com").unwrap();
    let erasure = Erasure {
        application_id: id,
        actor: operator.clone(),
        reason: shared::domain::ErasureReason::ApplicantRequest,
        at: Timestamp::now(),
        token_hash: key().verification_token(id).hash(),
        audit: AuditEntry::now(operator, AuditAction::Erase, Some(id)),
    };
    // A repeat counts: when the SDK resent a transaction that had in fact
    // committed (a timeout under load), the store finds the tombstone.
    match store.erase(&erasure).await.expect("erased") {
        EraseOutcome::Erased(_) | EraseOutcome::AlreadyErased(_) => {}
        other => panic!("{other:?}"),
    }
}

/// The subjects of the mails to `address`, sorted.
fn subjects_to(sent: &[Sent], address: &str) -> Vec<String> {
    let mut subjects: Vec<String> = to(sent, address).iter().map(|s| subject_of(s)).collect();
    subjects.sort();
    subjects
}

fn result_subject(title: &str, app: &StoredApplication) -> String {
    format!("【パートナー登録】{title}(受付番号:{})", app.receipt.reception_number)
}

/// The result mails through the table's real stream: a request for documents
/// (with the operator's message) and then an approval (with its 取次店コード),
/// each mailed once to the applicant however often the stream redelivers; an
/// erasure mails nothing, not even a decision still owed when it came.
#[tokio::test]
async fn each_decision_is_mailed_once_through_the_stream_and_an_erasure_never() {
    let store = fresh_store().await;
    let from = sender(true).await;
    let operator = format!("review@{}.example.jp", unique("ops-"));
    let (a, e, f) =
        (unique("a") + "@example.com", unique("e") + "@example.co.jp", unique("f") + "@example.com");
    let applicant = confirmed(&store, corporation(&a)).await;
    let erased = confirmed(&store, sole_proprietor(&e)).await;
    let erased_while_owed = confirmed(&store, corporation(&f)).await;
    let deps =
        deps(&store, SesMailer::new(ses_client(None).await, None), mail_config(&from, &operator)).await;
    // The confirmations' mails first (the 控え and the operators' notice each).
    assert_eq!(failed(&run(&deps, &stream_event(&store).await).await), Vec::<String>::new());
    assert_eq!(sent_from(&from).await.len(), 6);

    let message = "登記事項証明書(発行から3か月以内)の写しをお送りください。";
    let asked = decide(&store, &decision_of(&applicant, Decision::RequestDocuments, Some(message))).await;
    let approve = decision_of(&asked, Decision::Approve, None);
    let code = approve.partner_code.expect("an approval issues a code");
    let approved = decide(&store, &approve).await;
    assert_eq!((approved.version.get(), approved.partner_code), (4, Some(code)));
    erase(&store, &erased).await;
    let owed = decide(
        &store,
        &decision_of(&erased_while_owed, Decision::RequestDocuments, Some("資料をお送りください。")),
    )
    .await;
    erase(&store, &erased_while_owed).await;

    // Everything so far, twice (streams deliver at least once), then the whole
    // stream again with the markers' MODIFY records.
    let event = stream_event(&store).await;
    for _ in 0..2 {
        assert_eq!(failed(&run(&deps, &event).await), Vec::<String>::new());
    }
    let everything = stream_event(&store).await;
    assert!(everything.records.len() > event.records.len(), "the markers were written");
    assert_eq!(failed(&run(&deps, &everything).await), Vec::<String>::new());

    let sent = sent_from(&from).await;
    let mut expected = vec![
        acknowledgement_subject(&applicant),
        result_subject("資料提出のお願い", &applicant),
        result_subject("審査完了のお知らせ", &applicant),
    ];
    expected.sort();
    assert_eq!(subjects_to(&sent, &a), expected, "each decision once, to the applicant");
    let documents = to(&sent, &a)
        .into_iter()
        .find(|s| subject_of(s) == result_subject("資料提出のお願い", &applicant))
        .unwrap();
    assert_message(
        documents,
        &a,
        &result_subject("資料提出のお願い", &applicant),
        &[message, applicant.receipt.reception_number.as_str()],
    );
    let result = to(&sent, &a)
        .into_iter()
        .find(|s| subject_of(s) == result_subject("審査完了のお知らせ", &applicant))
        .unwrap();
    assert_message(
        result,
        &a,
        &result_subject("審査完了のお知らせ", &applicant),
        &[code.as_str(), "取次店コード", "本契約が成立しました"],
    );
    let text = message_of(result).body_text(0).unwrap().into_owned();
    assert!(!text.contains(message), "the approval does not repeat the request");
    // The erased applications: their 控え (sent before), nothing since.
    assert_eq!(subjects_to(&sent, &e), [acknowledgement_subject(&erased)]);
    assert_eq!(subjects_to(&sent, &f), [acknowledgement_subject(&erased_while_owed)]);
    assert_eq!(sent.len(), 6 + 2, "no mail to the operators or anyone else for a decision");

    let id = applicant.receipt.application_id;
    assert_eq!(
        marked(&store, MailEvent::Recorded(id, asked.version, Decision::RequestDocuments.into())).await,
        [true]
    );
    assert_eq!(
        marked(&store, MailEvent::Recorded(id, approved.version, Decision::Approve.into())).await,
        [true]
    );
    let owed_event = MailEvent::Recorded(
        erased_while_owed.receipt.application_id,
        owed.version,
        Decision::RequestDocuments.into(),
    );
    assert_eq!(marked(&store, owed_event).await, [false], "never sent, never marked");
}

/// A rejection without a message: one 審査結果のお知らせ, which gives no reason.
#[tokio::test]
async fn a_rejection_without_a_message_is_mailed_once_through_the_stream() {
    let store = fresh_store().await;
    let from = sender(true).await;
    let operator = format!("review@{}.example.jp", unique("ops-"));
    let r = unique("r") + "@example.com";
    let applicant = confirmed(&store, sole_proprietor(&r)).await;
    let rejected = decide(&store, &decision_of(&applicant, Decision::Reject, None)).await;
    let deps =
        deps(&store, SesMailer::new(ses_client(None).await, None), mail_config(&from, &operator)).await;
    let event = stream_event(&store).await;
    for _ in 0..2 {
        assert_eq!(failed(&run(&deps, &event).await), Vec::<String>::new());
    }
    assert_eq!(failed(&run(&deps, &stream_event(&store).await).await), Vec::<String>::new());

    let sent = sent_from(&from).await;
    let subject = result_subject("審査結果のお知らせ", &applicant);
    let mut expected = vec![acknowledgement_subject(&applicant), subject.clone()];
    expected.sort();
    assert_eq!(subjects_to(&sent, &r), expected);
    let result = to(&sent, &r).into_iter().find(|s| subject_of(s) == subject).unwrap();
    assert_message(
        result,
        &r,
        &subject,
        &["今回はお申し込みをお受けいたしかねる", applicant.receipt.reception_number.as_str()],
    );
    let text = message_of(result).body_text(0).unwrap().into_owned();
    assert!(!text.contains("担当者から"), "no operator's message section without a message: {text}");
    assert_eq!(sent.len(), 3, "the 控え, the operators' notice and the result");
    let event =
        MailEvent::Recorded(applicant.receipt.application_id, rejected.version, Decision::Reject.into());
    assert_eq!(marked(&store, event).await, [true]);
}

/// Documents through the table's real stream (contract v3, *Documents*): the
/// request's mail carries the link of its own version; the submission sends
/// 資料受領のお知らせ to the applicant and the operators' notice, each once
/// however often the stream redelivers, and the notice names no one and no
/// file.
#[tokio::test]
async fn a_request_mails_its_link_and_a_submission_its_two_mails_once_each() {
    use shared::domain::{DocumentLimits, DocumentType, FileName, HistoryAction};
    use shared::store::Documents;
    use shared::store::documents::{DocumentsSubmission, RequestWrite, SubmitDocumentsOutcome};

    let store = fresh_store().await;
    let from = sender(true).await;
    let operator = format!("review@{}.example.jp", unique("ops-"));
    let a = unique("docs") + "@example.com";
    let applicant = confirmed(&store, corporation(&a)).await;
    let id = applicant.receipt.application_id;
    let deps =
        deps(&store, SesMailer::new(ses_client(None).await, None), mail_config(&from, &operator)).await;
    assert_eq!(failed(&run(&deps, &stream_event(&store).await).await), Vec::<String>::new());
    assert_eq!(sent_from(&from).await.len(), 2, "the 控え and the operators' notice");

    // The request, with its link as the admin handler writes it.
    let token = key().documents_token(id, applicant.version.next());
    let mut ask = decision_of(&applicant, Decision::RequestDocuments, Some("本人確認書類をお送りください。"));
    ask.document_request =
        Some(RequestWrite { token: token.hash(), expires_at: Timestamp::now().plus_secs(14 * 86_400) });
    let asked = decide(&store, &ask).await;

    // Two files uploaded and submitted, as the documents function does.
    let mut chosen = Vec::new();
    for name in ["履歴事項全部証明書.pdf", "運転免許証.pdf"] {
        let state = store.document_request(&token.hash()).await.expect("read");
        let document = shared::store::plan::upload(
            state,
            FileName::parse(name).unwrap(),
            DocumentType::Pdf,
            1_000,
            &DocumentLimits::default(),
            Timestamp::now(),
        )
        .expect("an upload target");
        store.add_upload(&document).await.expect("stored");
        chosen.push(document.document_id);
    }
    let submission = DocumentsSubmission {
        token: token.hash(),
        idempotency_key: IdempotencyKey::parse(&unique("documents-key-01")).unwrap(),
        request_hash: key().request_hash(unique("submission").as_bytes()),
        document_ids: chosen,
        limits: DocumentLimits::default(),
        at: Timestamp::now(),
    };
    let submitted = match store.submit_documents(&submission).await.expect("submitted") {
        SubmitDocumentsOutcome::Submitted(stored, _) => stored,
        other => panic!("{other:?}"),
    };
    assert_eq!(submitted.version.get(), asked.version.get() + 1);

    // Everything twice, then the whole stream again with the markers' records.
    let event = stream_event(&store).await;
    for _ in 0..2 {
        assert_eq!(failed(&run(&deps, &event).await), Vec::<String>::new());
    }
    assert_eq!(failed(&run(&deps, &stream_event(&store).await).await), Vec::<String>::new());

    let sent = sent_from(&from).await;
    let mut expected = vec![
        acknowledgement_subject(&applicant),
        result_subject("資料提出のお願い", &applicant),
        result_subject("資料受領のお知らせ", &applicant),
    ];
    expected.sort();
    assert_eq!(subjects_to(&sent, &a), expected, "each mail once, to the applicant");
    let link = format!("https://partners.example.jp/documents#token={}", token.as_str());
    let request = to(&sent, &a)
        .into_iter()
        .find(|s| subject_of(s) == result_subject("資料提出のお願い", &applicant))
        .unwrap();
    assert_message(
        request,
        &a,
        &result_subject("資料提出のお願い", &applicant),
        &[token.as_str(), "本人確認書類をお送りください。"],
    );
    let text = message_of(request).body_text(0).unwrap().into_owned();
    assert!(text.contains(&link), "the link of this request: {link}");
    assert!(!text.contains("添付してご返信"), "no reply with attachments is asked for");
    let received = to(&sent, &a)
        .into_iter()
        .find(|s| subject_of(s) == result_subject("資料受領のお知らせ", &applicant))
        .unwrap();
    assert_message(
        received,
        &a,
        &result_subject("資料受領のお知らせ", &applicant),
        &[applicant.receipt.reception_number.as_str(), "2件"],
    );

    let notices: Vec<_> = to(&sent, &operator)
        .into_iter()
        .filter(|s| subject_of(s).starts_with("【パートナー登録】資料が提出されました"))
        .collect();
    assert_eq!(notices.len(), 1, "one notice to the operators");
    let console = format!("https://partners.example.jp/admin/#application={id}");
    let notice_subject = subject_of(notices[0]);
    assert_message(notices[0], &operator, &notice_subject, &[applicant.receipt.reception_number.as_str()]);
    let notice = message_of(notices[0]).body_text(0).unwrap().into_owned();
    assert!(notice.contains(&console), "the console link: {console}");
    let raw = &notices[0].raw;
    for personal in [a.as_str(), "履歴事項全部証明書", "運転免許証", "山田", "エックスサーバー"]
    {
        assert!(!notice.contains(personal) && !raw.contains(personal), "the notice names no one: {personal}");
    }
    assert_eq!(sent.len(), 2 + 3, "nothing else to anyone");
    assert_eq!(
        marked(&store, MailEvent::Recorded(id, submitted.version, HistoryAction::SubmitDocuments)).await,
        [true, true]
    );
}
