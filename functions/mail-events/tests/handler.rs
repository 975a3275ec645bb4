//! The mail-events function on moto: AWS's documented SES event records, as
//! EventBridge delivers them (the samples under `events/`), recorded on the
//! mail their tags name by one conditional write and no read or scan (the
//! table is reached through a proxy that records each operation); events for
//! unknown, resent or erased mails ignored; nothing personal in the logs.
//! moto cannot publish SES events, so the events are the documented shapes.

use lambda_runtime::{Context, LambdaEvent};
use mail_events::{Deps, handle};
use serde_json::Value;
use shared::domain::{
    Actor, AuditAction, AuditEntry, Decision, DeliveryReason, DeliveryStatus, ErasureReason, MailRecord,
    StoredApplication, Timestamp,
};
use shared::keyed::IdentifierKey;
use shared::mail::{MailKind, MailSubject};
use shared::store::dynamodb::DynamoStore;
use shared::store::{Deliveries, EraseOutcome, Erasure, Record, Review, Store, plan};
use std::io::Write;
use std::sync::{Arc, Mutex};
use test_support::{unique, workspace_root};

fn sample(name: &str) -> Value {
    let path = workspace_root().join("events").join(format!("mail-events-{name}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The sample, about this application's mail and sent as `message_id`.
fn about(mut event: Value, application: &StoredApplication, message_id: &str) -> Value {
    let mail = &mut event["detail"]["mail"];
    mail["tags"]["application"] = serde_json::json!([application.id().to_string()]);
    mail["messageId"] = Value::from(message_id);
    event
}

async fn store() -> (DynamoStore, test_support::moto::Operations) {
    let (endpoint, operations) = test_support::moto::recording_endpoint();
    let store = test_support::moto::fresh_store_on(&endpoint, "mail-events-").await;
    operations.taken();
    (store, operations)
}

/// A confirmed and approved application (version 3: the samples' `v3-approved`)
/// whose 審査完了 went out as `message_id`, marked and recorded as notify does.
async fn approved_and_mailed(store: &dyn Store, message_id: &str) -> StoredApplication {
    let approved = test_support::decided(store, Decision::Approve, None, None).await;
    let id = approved.id();
    let subject = MailSubject::History(id, approved.version);
    let tracking = plan::tracking(subject, MailKind::Approved, &approved).unwrap();
    assert_eq!(tracking.mail_id.as_str(), "v3-approved", "the samples' mail");
    let sent = plan::sent_mail(&tracking, MailKind::Approved, &approved, message_id.to_owned());
    assert!(store.mark_mail_sent(subject, MailKind::Approved, Some(&sent)).await.unwrap());
    approved
}

async fn run(store: &DynamoStore, event: Value) {
    let deps = Deps { store: Box::new(store.clone()) };
    handle(&deps, LambdaEvent::new(event, Context::default())).await.expect("handled");
}

async fn approved_mail(store: &DynamoStore, application: &StoredApplication) -> MailRecord {
    let mails = store.mails_of(application.id()).await.unwrap();
    mails.into_iter().find(|mail| mail.kind == MailKind::Approved).expect("the 審査完了 record")
}

async fn flagged(store: &DynamoStore, application: &StoredApplication) -> bool {
    match store.record(application.id()).await.unwrap() {
        Some((Record::Live(live), _)) => live.mail_problem,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn each_documented_event_updates_the_right_mail_with_one_write() {
    let (store, operations) = store().await;
    let cases = [
        ("delivery", DeliveryStatus::Delivered, None, false),
        ("delivery-delay", DeliveryStatus::Delayed, Some(DeliveryReason::MailboxFull), false),
        ("bounce-general", DeliveryStatus::Bounced, Some(DeliveryReason::Refused), true),
        ("bounce-noemail", DeliveryStatus::Bounced, Some(DeliveryReason::NoSuchAddress), true),
        ("bounce-suppressed", DeliveryStatus::Suppressed, Some(DeliveryReason::OnSuppressionList), true),
        ("complaint", DeliveryStatus::Complained, Some(DeliveryReason::Complaint), true),
        ("reject", DeliveryStatus::Rejected, Some(DeliveryReason::Virus), true),
    ];
    for (name, status, reason, problem) in cases {
        let message_id = unique("0106019a-message");
        let application = approved_and_mailed(&store, &message_id).await;
        // A bystander with the same mail id: untouched (the key names the application).
        let bystander = approved_and_mailed(&store, &unique("0106019a-other")).await;
        operations.taken();
        run(&store, about(sample(name), &application, &message_id)).await;
        assert_eq!(operations.taken(), ["TransactWriteItems"], "{name}: one write, no read, no scan");
        let mail = approved_mail(&store, &application).await;
        assert_eq!((mail.status, mail.reason), (status, reason), "{name}");
        assert!(mail.status_at.is_some(), "{name}");
        assert_eq!(flagged(&store, &application).await, problem, "{name}");
        let untouched = approved_mail(&store, &bystander).await;
        assert_eq!(untouched.status, DeliveryStatus::Sent, "{name}");
        assert!(!flagged(&store, &bystander).await);
    }
}

#[tokio::test]
async fn unknown_resent_and_erased_mails_are_ignored_and_logged_without_personal_data() {
    let (store, _) = store().await;
    let logs = Logs::default();
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .json()
            .with_writer(logs.clone())
            .with_max_level(tracing::Level::INFO)
            .finish(),
    );
    let message_id = unique("0106019a-message");
    let application = approved_and_mailed(&store, &message_id).await;
    // Another message (a resend replaced the record's), an application no
    // table holds, an untagged mail, and a Send event: nothing changes.
    run(&store, about(sample("bounce-noemail"), &application, "0106019a-an-earlier-message")).await;
    let mut stranger = sample("bounce-noemail");
    stranger["detail"]["mail"]["messageId"] = Value::from(message_id.clone());
    run(&store, stranger).await;
    let mut untagged = about(sample("bounce-noemail"), &application, &message_id);
    untagged["detail"]["mail"]["tags"].as_object_mut().unwrap().remove("mail");
    run(&store, untagged).await;
    let mut send = about(sample("delivery"), &application, &message_id);
    send["detail"]["eventType"] = Value::from("Send");
    run(&store, send).await;
    assert_eq!(approved_mail(&store, &application).await.status, DeliveryStatus::Sent);
    assert!(!flagged(&store, &application).await);
    // Erased: the record went with it, and a late bounce creates nothing.
    let operator = Actor::parse("supervisor@example.com").unwrap();
    let erasure = Erasure {
        application_id: application.id(),
        reason: ErasureReason::ApplicantRequest,
        actor: operator.clone(),
        at: Timestamp::now(),
        token_hash: IdentifierKey::for_tests().verification_token(application.id()).hash(),
        audit: AuditEntry::now(operator, AuditAction::Erase, Some(application.id())),
    };
    assert!(matches!(store.erase(&erasure).await.unwrap(), EraseOutcome::Erased(_)));
    run(&store, about(sample("bounce-noemail"), &application, &message_id)).await;
    assert!(store.mails_of(application.id()).await.unwrap().is_empty());
    let text = logs.text();
    assert_eq!(text.matches("SES event ignored").count(), 5, "{text}");
    for personal in ["taro.yamada@example.com", "example.com>", "User unknown", "審査完了", "PR-2612"] {
        assert!(!text.contains(personal), "{personal} in the logs:\n{text}");
    }
    assert!(text.contains(&application.id().to_string()), "the ids are logged: {text}");
}

/// The log lines written while a test runs.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
