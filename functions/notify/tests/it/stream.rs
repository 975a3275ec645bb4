//! The Lambda handler end to end on moto server: applications stored through the
//! DynamoDB store, their records read from the table's real stream, mails sent
//! through SES v2 and read back from moto's `/moto-api/data.json`.

use crate::support::*;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_runtime::{Context, LambdaEvent};
use mail_parser::MessageParser;
use notify::{Deps, handle};
use shared::mail::deliver;
use shared::mail::{MailConfig, SesMailer};
use shared::store::dynamodb::DynamoStore;
use shared::store::{Store, StoredApplication};

async fn deps(store: &DynamoStore, mailer: SesMailer, config: MailConfig) -> Deps {
    Deps { store: Box::new(store.clone()), mailer: Box::new(mailer), config }
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

/// The sequence number of the record that inserted this application's item.
fn sequence_of(event: &Event, app: &StoredApplication) -> String {
    let pk = format!("APP#{}", app.receipt.application_id);
    let record = event
        .records
        .iter()
        .find(|r| {
            r.event_name == "INSERT"
                && r.change.keys.get("pk") == Some(&serde_dynamo::AttributeValue::S(pk.clone()))
        })
        .expect("the application's INSERT record");
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

#[tokio::test]
async fn each_application_gets_one_acknowledgement_and_one_notice() {
    let store = fresh_store().await;
    let from = sender(true).await;
    let operator = format!("review@{}.example.jp", unique("ops-"));
    let corporate = submit(&store, corporation(&format!("{}@example.com", unique("a")))).await;
    let sole = submit(&store, sole_proprietor(&format!("{}@example.co.jp", unique("b")))).await;

    let event = stream_event(&store).await;
    assert_eq!(event.records.len(), 8, "four items per submission; only two are applications");
    let deps =
        deps(&store, SesMailer::new(ses_client(None).await, None), mail_config(&from, &operator)).await;
    let response = run(&deps, &event).await;
    assert_eq!(failed(&response), Vec::<String>::new());

    let sent = sent_from(&from).await;
    assert_eq!(sent.len(), 4, "{sent:#?}");
    for app in [&corporate, &sole] {
        let email = app.application.email.as_str();
        let reception = app.receipt.reception_number.as_str();
        let to_applicant: Vec<_> = sent.iter().filter(|s| s.destinations == [email]).collect();
        assert_eq!(to_applicant.len(), 1, "one acknowledgement to the applicant");
        let last_name = app.application.last_name.as_str();
        assert_message(
            to_applicant[0],
            email,
            &acknowledgement_subject(app),
            &[reception, last_name, "審査", "第3条"],
        );

        let notice = notice_subject(app);
        let to_operator: Vec<_> = sent
            .iter()
            .filter(|s| s.destinations == [operator.as_str()] && subject_of(s) == notice)
            .collect();
        assert_eq!(to_operator.len(), 1, "one notice to the operator");
        assert_message(
            to_operator[0],
            &operator,
            &notice,
            &[reception, &app.receipt.application_id.to_string(), email],
        );

        assert_eq!(marked(&store, app).await, [true, true], "both marked");
    }

    // Streams deliver at least once: the same batch again, and then the whole
    // stream so far (now with the markers' MODIFY records), send nothing more.
    assert_eq!(failed(&run(&deps, &event).await), Vec::<String>::new());
    let everything = stream_event(&store).await;
    assert!(everything.records.iter().any(|r| r.event_name == "MODIFY"));
    assert_eq!(failed(&run(&deps, &everything).await), Vec::<String>::new());
    assert_eq!(sent_from(&from).await.len(), 4, "a redelivered record sends no second message");
}

fn subject_of(sent: &Sent) -> String {
    let message = MessageParser::default().parse(sent.raw.as_bytes()).expect("an RFC 5322 message");
    message.subject().expect("a subject").to_owned()
}

#[tokio::test]
async fn a_rejected_sender_fails_exactly_the_records_not_yet_mailed_and_they_succeed_on_retry() {
    let store = fresh_store().await;
    let verified = sender(true).await;
    let unverified = sender(false).await;
    let operator = format!("review@{}.example.jp", unique("ops-"));
    let done = submit(&store, corporation(&format!("{}@example.com", unique("c")))).await;
    let pending = submit(&store, sole_proprietor(&format!("{}@example.com", unique("d")))).await;
    let also_pending = submit(&store, corporation(&format!("{}@example.com", unique("e")))).await;

    let ses = ses_client(None).await;
    // `done` was delivered earlier (a previous batch).
    deliver(&store, &SesMailer::new(ses.clone(), None), &mail_config(&verified, &operator), &done)
        .await
        .unwrap();
    let event = stream_event(&store).await;

    // SES refuses the sender (unverified): only the records still owing mail fail.
    let broken = deps(&store, SesMailer::new(ses.clone(), None), mail_config(&unverified, &operator)).await;
    let response = run(&broken, &event).await;
    let mut expected = vec![sequence_of(&event, &pending), sequence_of(&event, &also_pending)];
    expected.sort();
    assert_eq!(failed(&response), expected);
    assert!(sent_from(&unverified).await.is_empty());
    assert_eq!(marked(&store, &pending).await, [false, false]);

    // Lambda retries the batch from the first failure; with SES fixed, each owed mail goes once.
    let fixed = deps(&store, SesMailer::new(ses, None), mail_config(&verified, &operator)).await;
    assert_eq!(failed(&run(&fixed, &event).await), Vec::<String>::new());
    let sent = sent_from(&verified).await;
    assert_eq!(sent.len(), 6, "two mails for each of three applications, none twice");
    for app in [&done, &pending, &also_pending] {
        let email = app.application.email.as_str();
        assert_eq!(sent.iter().filter(|s| s.destinations == [email]).count(), 1);
    }
}

#[tokio::test]
async fn an_unreachable_ses_fails_every_application_record_for_retry() {
    let store = fresh_store().await;
    let from = sender(true).await;
    let operator = format!("review@{}.example.jp", unique("ops-"));
    let first = submit(&store, corporation(&format!("{}@example.com", unique("f")))).await;
    let second = submit(&store, sole_proprietor(&format!("{}@example.com", unique("g")))).await;
    let event = stream_event(&store).await;

    let dead = format!("http://127.0.0.1:{}", free_port());
    let down =
        deps(&store, SesMailer::new(ses_client(Some(&dead)).await, None), mail_config(&from, &operator))
            .await;
    let response = run(&down, &event).await;
    let mut expected = vec![sequence_of(&event, &first), sequence_of(&event, &second)];
    expected.sort();
    assert_eq!(failed(&response), expected, "the six uniqueness and idempotency records are not failures");
    assert!(sent_from(&from).await.is_empty());
    for app in [&first, &second] {
        assert_eq!(marked(&store, app).await, [false, false]);
    }
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
        apps.push(submit(&store, app).await);
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
        let email = app.application.email.as_str();
        let to_applicant: Vec<_> = sent.iter().filter(|s| s.destinations == [email]).collect();
        assert_eq!(to_applicant.len(), 1);
        assert_eq!(subject_of(to_applicant[0]), acknowledgement_subject(app));
        let notices = sent
            .iter()
            .filter(|s| s.destinations == [operator.as_str()] && subject_of(s) == notice_subject(app))
            .count();
        assert_eq!(notices, 1);
        assert_eq!(marked(&store, app).await, [true, true], "both marked");
    }
}
