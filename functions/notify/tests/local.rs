//! The local-run path: the embedded SQLite store keeps the markers and the
//! outbox writes `.eml` files, through the same `deliver` as the Lambda.

mod support;

use async_trait::async_trait;
use mail_parser::MessageParser;
use shared::mail::{Mail, MailFailure, Mailer, OutboxMailer, SendError, deliver};
use shared::store::sqlite::SqliteStore;
use shared::mail::MailKind;
use shared::store::Store;
use std::path::Path;
use support::{corporation, mail_config, marked, sole_proprietor, submit};

fn outbox_files(data_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(data_dir.join("outbox")) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

#[tokio::test]
async fn stored_applications_land_in_the_outbox_once() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(data_dir.path()).unwrap();
    let outbox = OutboxMailer::new(data_dir.path());
    let config = mail_config("no-reply@partner.example.jp", "review@partner.example.jp");
    let app = submit(&store, sole_proprietor("hanako@example.co.jp")).await;

    deliver(&store, &outbox, &config, &app).await.unwrap();
    let files = outbox_files(data_dir.path());
    assert_eq!(files.len(), 2, "{files:?}");
    let id = app.receipt.application_id;
    assert!(
        files
            .iter()
            .any(|f| f.ends_with(&format!("-{id}-acknowledgement.eml"))),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.ends_with(&format!("-{id}-operator-notice.eml"))),
        "{files:?}"
    );

    let acknowledgement = files
        .iter()
        .find(|f| f.ends_with("acknowledgement.eml"))
        .unwrap();
    let raw = std::fs::read(data_dir.path().join("outbox").join(acknowledgement)).unwrap();
    let message = MessageParser::default()
        .parse(&raw)
        .expect("an RFC 5322 message");
    let subject = format!(
        "【パートナー登録】お申し込みを受け付けました(受付番号:{})",
        app.receipt.reception_number
    );
    assert_eq!(message.subject(), Some(subject.as_str()));
    let to: Vec<_> = message
        .to()
        .unwrap()
        .iter()
        .filter_map(|a| a.address())
        .collect();
    assert_eq!(to, ["hanako@example.co.jp"]);
    let text = message.body_text(0).unwrap();
    assert!(
        text.contains("𠮷田 花子 様") && text.contains("名前(姓): 𠮷田\n"),
        "{text}"
    );

    assert_eq!(marked(&store, &app).await, [true, true]);
    deliver(&store, &outbox, &config, &app).await.unwrap();
    assert_eq!(
        outbox_files(data_dir.path()),
        files,
        "delivered again: nothing new"
    );
}

/// The outbox, except that one kind of mail cannot be sent.
struct FailingFor {
    kind: MailKind,
    outbox: OutboxMailer,
}

#[async_trait]
impl Mailer for FailingFor {
    async fn send(&self, mail: &Mail) -> Result<(), SendError> {
        if mail.kind == self.kind {
            return Err(SendError::new(
                mail.kind,
                "SES rejected the request: MessageRejected",
            ));
        }
        self.outbox.send(mail).await
    }
}

#[tokio::test]
async fn one_failing_mail_does_not_hold_back_the_other() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(data_dir.path()).unwrap();
    let outbox = OutboxMailer::new(data_dir.path());
    let config = mail_config("no-reply@partner.example.jp", "review@partner.example.jp");
    let app = submit(&store, corporation("taro@example.com")).await;
    let id = app.receipt.application_id;

    let failing = FailingFor {
        kind: MailKind::Acknowledgement,
        outbox: outbox.clone(),
    };
    let error = deliver(&store, &failing, &config, &app).await.unwrap_err();
    assert_eq!(error.failures.len(), 1);
    assert!(matches!(
        error.failures[0],
        (MailKind::Acknowledgement, MailFailure::Send(_))
    ));
    let message = error.to_string();
    assert!(
        !message.contains("taro") && !message.contains("山田"),
        "no personal data: {message}"
    );
    assert!(
        !store
            .mail_sent(id, MailKind::Acknowledgement)
            .await
            .unwrap()
    );
    assert!(store.mail_sent(id, MailKind::OperatorNotice).await.unwrap());
    assert_eq!(outbox_files(data_dir.path()).len(), 1);

    // The retry sends only what is still owed.
    deliver(&store, &outbox, &config, &app).await.unwrap();
    let files = outbox_files(data_dir.path());
    assert_eq!(files.len(), 2);
    assert_eq!(
        files
            .iter()
            .filter(|f| f.ends_with("operator-notice.eml"))
            .count(),
        1
    );
}

#[tokio::test]
async fn an_unwritable_outbox_is_a_failure_not_a_marker() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(data_dir.path()).unwrap();
    // A file where the outbox directory should be.
    std::fs::write(data_dir.path().join("outbox"), b"").unwrap();
    let outbox = OutboxMailer::new(data_dir.path());
    let config = mail_config("no-reply@partner.example.jp", "review@partner.example.jp");
    let app = submit(&store, corporation("jiro@example.com")).await;

    let error = deliver(&store, &outbox, &config, &app).await.unwrap_err();
    assert_eq!(error.failures.len(), 2, "{error}");
    assert_eq!(marked(&store, &app).await, [false, false]);
}

fn sample_event() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/notify-insert.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn handle_locally(data_dir: &Path, event: serde_json::Value) -> Vec<String> {
    use aws_lambda_events::event::dynamodb::Event;
    let deps = notify::Deps {
        store: Box::new(SqliteStore::open_dir(data_dir).unwrap()),
        mailer: Box::new(OutboxMailer::new(data_dir)),
        config: mail_config("no-reply@partner.example.jp", "review@partner.example.jp"),
    };
    let event: Event = serde_json::from_value(event).expect("a Lambda DynamoDB event");
    let response = notify::handle(
        &deps,
        lambda_runtime::LambdaEvent::new(event, Default::default()),
    )
    .await
    .unwrap();
    response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier.unwrap())
        .collect()
}

#[tokio::test]
async fn the_sample_event_for_cargo_lambda_invoke_mails_its_one_application() {
    let data_dir = tempfile::tempdir().unwrap();
    let failures = handle_locally(data_dir.path(), sample_event()).await;
    assert_eq!(failures, Vec::<String>::new());
    let files = outbox_files(data_dir.path());
    assert_eq!(files.len(), 2, "the EMAIL# record sends nothing: {files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.contains("-01KB5Q9Z8E4M7T3W6X2C9HJ5RA-"))
    );
}

#[tokio::test]
async fn an_unreadable_application_image_is_reported_and_the_rest_still_mailed() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut event = sample_event();
    let good = event["Records"][0].clone();
    let mut broken = good.clone();
    broken["dynamodb"]["NewImage"]
        .as_object_mut()
        .unwrap()
        .remove("email");
    broken["dynamodb"]["SequenceNumber"] = "111100000000012345678900".into();
    let mut modified = good.clone();
    modified["eventName"] = "MODIFY".into();
    modified["dynamodb"]["SequenceNumber"] = "111100000000012345678903".into();
    event["Records"] = serde_json::json!([broken, good, event["Records"][1], modified]);

    let failures = handle_locally(data_dir.path(), event).await;
    assert_eq!(failures, ["111100000000012345678900"]);
    assert_eq!(
        outbox_files(data_dir.path()).len(),
        2,
        "the good record is mailed, the MODIFY ignored"
    );
}
