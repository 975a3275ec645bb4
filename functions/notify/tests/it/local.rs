//! The handler on the local-run path: `notify::handle` with the embedded SQLite
//! store and the `.eml` outbox, fed the sample event of `cargo lambda invoke`.
//! (The delivery policy itself, `shared::mail::deliver` on SQLite and the
//! outbox, is tested in the shared crate: shared/tests/it/delivery.rs.)

use crate::support::{corporation, key, mail_config};
use shared::domain::{ApplicationId, Receipt, ReceptionNumber, Timestamp};
use shared::mail::OutboxMailer;
use shared::store::Intake;
use shared::store::sqlite::SqliteStore;
use std::path::Path;
use test_support::outbox_files;

fn sample_event() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/notify-insert.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The sample event's application, stored (as the table holds it when the
/// stream delivers its INSERT): the function reads each record's item back.
async fn store_the_sample_application(store: &SqliteStore) {
    let mut submission = test_support::submission(&key(), corporation("sample@example.com"), 24 * 3600);
    submission.receipt = Receipt {
        application_id: ApplicationId::parse("01KB5Q9Z8E4M7T3W6X2C9HJ5RA").unwrap(),
        reception_number: ReceptionNumber::parse("PR-7A3C-K9XE").unwrap(),
        received_at: Timestamp::now(),
    };
    submission.token_hash = key().verification_token(submission.receipt.application_id).hash();
    store.submit(&submission).await.unwrap();
}

async fn handle_locally(data_dir: &Path, event: serde_json::Value) -> Vec<String> {
    use aws_lambda_events::event::dynamodb::Event;
    let store = SqliteStore::open_dir(data_dir).unwrap();
    store_the_sample_application(&store).await;
    let deps = notify::Deps {
        store: Box::new(store),
        mailer: Box::new(OutboxMailer::new(data_dir)),
        config: mail_config("no-reply@partner.example.jp", "review@partner.example.jp"),
        key: key(),
    };
    let event: Event = serde_json::from_value(event).expect("a Lambda DynamoDB event");
    let response =
        notify::handle(&deps, lambda_runtime::LambdaEvent::new(event, Default::default())).await.unwrap();
    response.batch_item_failures.into_iter().map(|f| f.item_identifier.unwrap()).collect()
}

#[tokio::test]
async fn the_sample_event_for_cargo_lambda_invoke_mails_its_one_application() {
    let data_dir = tempfile::tempdir().unwrap();
    let failures = handle_locally(data_dir.path(), sample_event()).await;
    assert_eq!(failures, Vec::<String>::new());
    let files = outbox_files(data_dir.path());
    assert_eq!(files.len(), 1, "its link; the EMAIL# record sends nothing: {files:?}");
    assert!(files[0].ends_with("-01KB5Q9Z8E4M7T3W6X2C9HJ5RA-verification.eml"), "{files:?}");
}

#[tokio::test]
async fn an_unreadable_application_image_is_reported_and_the_rest_still_mailed() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut event = sample_event();
    let good = event["Records"][0].clone();
    let mut broken = good.clone();
    broken["dynamodb"]["NewImage"].as_object_mut().unwrap().remove("applicationId");
    broken["dynamodb"]["SequenceNumber"] = "111100000000012345678900".into();
    let mut modified = good.clone();
    modified["eventName"] = "MODIFY".into();
    modified["dynamodb"]["SequenceNumber"] = "111100000000012345678903".into();
    event["Records"] = serde_json::json!([broken, good, event["Records"][1], modified]);

    let failures = handle_locally(data_dir.path(), event).await;
    assert_eq!(failures, ["111100000000012345678900"]);
    assert_eq!(outbox_files(data_dir.path()).len(), 1, "the good record is mailed, the MODIFY ignored");
}
