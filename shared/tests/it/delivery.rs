//! The delivery policy (`shared::mail::deliver`) on the local-run path: the
//! SQLite store keeps the per-kind markers and the outbox writes `.eml` files,
//! through the same `deliver` the notify Lambda runs on DynamoDB and SES.

use async_trait::async_trait;
use mail_parser::MessageParser;
use serde::Deserialize;
use serde_json::Value;
use shared::domain::{Application, RawApplication};
use shared::mail::{Mail, MailConfig, MailFailure, MailKind, Mailer, OutboxMailer, SendError, deliver};
use shared::store::sqlite::SqliteStore;
use shared::store::{Store, StoredApplication, SubmitOutcome};
use test_support::{mail_marks, outbox_files};

/// The mail settings of the mail suite, with this sender and operator.
fn mail_config(from: &str, operator: &str) -> MailConfig {
    use shared::mail::{ENV_FROM, ENV_FROM_NAME, ENV_OPERATOR, ENV_REPLY_TO, pairs};
    MailConfig::from_lookup(pairs(&[
        (ENV_FROM, from),
        (ENV_FROM_NAME, "パートナー登録窓口"),
        (ENV_REPLY_TO, "partner-support@partner.example.jp"),
        (ENV_OPERATOR, operator),
    ]))
    .expect("valid mail settings")
}

/// One of the mail suite's applicants, applying as `email`.
fn with_email(mut value: Value, email: &str) -> Application {
    value["email"] = email.into();
    value["emailConfirmation"] = email.into();
    let raw = RawApplication::deserialize(&value).expect("decodes");
    Application::parse(&raw).expect("valid").application
}

/// The seed's corporation (`crate::mail::corporation`) as `email`.
fn corporation(email: &str) -> Application {
    with_email(crate::mail::corporation(), email)
}

/// The mail suite's sole proprietor, with 𠮷 in the name, as `email`.
fn sole_proprietor(email: &str) -> Application {
    with_email(crate::mail::sole_proprietor(), email)
}

/// Stores `application` through the store's own submission path.
async fn submit(store: &dyn Store, application: Application) -> StoredApplication {
    let key = test_support::unique("key-0123456789abcdef");
    let submission = crate::store_contract::submission(&key, application);
    let outcome = store.submit(&submission).await.expect("stored");
    assert!(matches!(outcome, SubmitOutcome::Created { .. }), "{outcome:?}");
    StoredApplication { receipt: submission.receipt, application: submission.application }
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
    assert!(files.iter().any(|f| f.ends_with(&format!("-{id}-acknowledgement.eml"))), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with(&format!("-{id}-operator-notice.eml"))), "{files:?}");

    let acknowledgement = files.iter().find(|f| f.ends_with("acknowledgement.eml")).unwrap();
    let raw = std::fs::read(data_dir.path().join("outbox").join(acknowledgement)).unwrap();
    let message = MessageParser::default().parse(&raw).expect("an RFC 5322 message");
    let subject =
        format!("【パートナー登録】お申し込みを受け付けました(受付番号:{})", app.receipt.reception_number);
    assert_eq!(message.subject(), Some(subject.as_str()));
    let to: Vec<_> = message.to().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(to, ["hanako@example.co.jp"]);
    let text = message.body_text(0).unwrap();
    assert!(text.contains("𠮷田 花子 様") && text.contains("名前(姓): 𠮷田\n"), "{text}");

    assert_eq!(mail_marks(&store, &app).await, [true, true]);
    deliver(&store, &outbox, &config, &app).await.unwrap();
    assert_eq!(outbox_files(data_dir.path()), files, "delivered again: nothing new");
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
            return Err(SendError::new(mail.kind, "SES rejected the request: MessageRejected"));
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

    let failing = FailingFor { kind: MailKind::Acknowledgement, outbox: outbox.clone() };
    let error = deliver(&store, &failing, &config, &app).await.unwrap_err();
    assert_eq!(error.failures.len(), 1);
    assert!(matches!(error.failures[0], (MailKind::Acknowledgement, MailFailure::Send(_))));
    let message = error.to_string();
    assert!(!message.contains("taro") && !message.contains("山田"), "no personal data: {message}");
    assert!(!store.mail_sent(id, MailKind::Acknowledgement).await.unwrap());
    assert!(store.mail_sent(id, MailKind::OperatorNotice).await.unwrap());
    assert_eq!(outbox_files(data_dir.path()).len(), 1);

    // The retry sends only what is still owed.
    deliver(&store, &outbox, &config, &app).await.unwrap();
    let files = outbox_files(data_dir.path());
    assert_eq!(files.len(), 2);
    assert_eq!(files.iter().filter(|f| f.ends_with("operator-notice.eml")).count(), 1);
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
    assert_eq!(mail_marks(&store, &app).await, [false, false]);
}
