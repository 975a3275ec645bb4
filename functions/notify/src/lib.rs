//! The notification function: every row of the contract's mail table, each
//! mail sent exactly once although the stream delivers at least once.
//!
//! The policy is [`shared::mail::deliver`] (the local server runs the same one
//! right after storing); this crate turns the stream's records into
//! [`MailEvent`]s for it and reports the records that failed for retry:
//! - INSERT of an unverified application: its verification link;
//! - INSERT of a notice: the already-received mail;
//! - MODIFY from `awaiting_verification` to `received`: the 控え and the
//!   operators' notice;
//! - INSERT of a history item recording an operator's decision
//!   (`request_documents`, `approve`, `reject`): its result mail to the
//!   applicant (資料提出のお願い, 審査完了, 審査結果). Its version is the
//!   item's `sk`; the delivery reads the entry and the application back.
//!
//! History items share their application's `pk`, so an application's records
//! are told apart by `sk` as well: `APPLICATION` for the application item,
//! `HISTORY#<version>` for a history item. The template's filter criteria let
//! only these records through; [`event_of`] is the backstop.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use serde_dynamo::AttributeValue;
use shared::domain::{Status, Timestamp};
use shared::keyed::IdentifierKey;
use shared::mail::{DeliverError, MailConfig, MailEvent, Mailer, Postman, deliver};
use shared::store::Store;
use shared::store::layout::{self, LayoutError, attr};
use shared::store::plan;
use std::borrow::Cow;

/// What the handler needs, built once per cold start.
pub struct Deps {
    pub store: Box<dyn Store>,
    pub mailer: Box<dyn Mailer>,
    pub config: MailConfig,
    pub key: IdentifierKey,
}

/// Why a stream record failed; it is reported for retry.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("unreadable record: attribute `{0}` is missing or malformed")]
    Decode(&'static str),
    #[error(transparent)]
    Deliver(#[from] DeliverError),
}

/// Handles one batch of stream records. Each failed record is listed in
/// `batchItemFailures` (ReportBatchItemFailures), so that Lambda retries from
/// it while the others stay done; their markers make redelivery harmless.
pub async fn handle(deps: &Deps, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.payload.records {
        let Err(error) = process(deps, record).await else {
            continue;
        };
        let Some(sequence_number) = record.change.sequence_number.clone() else {
            // Without an identifier only the whole batch can be retried.
            tracing::error!(event_id = %record.event_id, %error, "record without a sequence number failed");
            return Err(format!("record {} failed and has no sequence number", record.event_id).into());
        };
        tracing::error!(event_id = %record.event_id, %sequence_number, %error, "record failed, reported for retry");
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence_number);
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}

async fn process(deps: &Deps, record: &EventRecord) -> Result<(), RecordError> {
    let Some(event) = event_of(record)? else {
        return Ok(());
    };
    let postman = Postman {
        store: deps.store.as_ref(),
        mailer: deps.mailer.as_ref(),
        config: &deps.config,
        key: &deps.key,
    };
    deliver(&postman, event).await?;
    Ok(())
}

/// The mail event a record stands for, or `None` for any other record.
/// Which records can stand for one is the template's filter (an INSERT, or a
/// confirmation's MODIFY); what the new image owes is the stores' own rule
/// ([`plan::owed`] over [`layout::mail_record`]), the same that a restarted
/// local server delivers by.
pub fn event_of(record: &EventRecord) -> Result<Option<MailEvent>, RecordError> {
    let keys = &record.change.keys;
    let Some(pk) = string(keys, layout::PARTITION_KEY) else { return Ok(None) };
    let sk = string(keys, layout::SORT_KEY).unwrap_or_default();
    let status = |image: &serde_dynamo::Item| string(image, attr::STATUS).and_then(Status::parse);
    let filtered = match record.event_name.as_str() {
        "INSERT" => true,
        // Only an application item has a status (a history item's images
        // never match the filter); checked all the same.
        "MODIFY" => {
            sk == layout::APPLICATION_SORT_KEY
                && status(&record.change.old_image) == Some(Status::AwaitingVerification)
                && status(&record.change.new_image) == Some(Status::Received)
        }
        _ => false,
    };
    if !filtered {
        return Ok(None);
    }
    let image = &record.change.new_image;
    // Whether it had expired is judged at the change, not at its (late,
    // retried) delivery: the delivery reads the store back in any case.
    let changed_at = Timestamp::from_epoch(record.change.approximate_creation_date_time.timestamp())
        .unwrap_or_else(Timestamp::now);
    let kept = layout::mail_record(pk, sk, |name| string(image, name).map(Cow::Borrowed), changed_at)
        .map_err(|error| match error {
            LayoutError::Missing(name) | LayoutError::Malformed(name) => RecordError::Decode(name),
            LayoutError::Invalid(_) => RecordError::Decode(attr::APPLICATION_ID),
        })?;
    Ok(kept.as_ref().and_then(plan::owed))
}

/// An attribute as the layout's decoder reads it: `S` as is, `N` as its digits.
fn string<'a>(item: &'a serde_dynamo::Item, name: &str) -> Option<&'a str> {
    match item.get(name)? {
        AttributeValue::S(text) | AttributeValue::N(text) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use shared::domain::{ApplicationId, Decision, Version};
    use shared::mail::MailEvent;

    const ID: &str = "01KB5Q9Z8E4M7T3W6X2C9HJ5RA";

    const SAMPLE: &str = include_str!("../../../events/notify-decision.json");

    /// A stream record of `event_name` for the item `(pk, sk)` with these
    /// images: the sample's record, its keys and images replaced.
    fn change(event_name: &str, pk: &str, sk: &str, old: Value, new: Value) -> EventRecord {
        let sample: Value = serde_json::from_str(SAMPLE).unwrap();
        let mut record = sample["Records"][0].clone();
        record["eventName"] = json!(event_name);
        let dynamodb = record["dynamodb"].as_object_mut().unwrap();
        dynamodb.insert("Keys".into(), json!({ "pk": { "S": pk }, "sk": { "S": sk } }));
        dynamodb.remove("NewImage");
        for (name, image) in [("OldImage", old), ("NewImage", new)] {
            if !image.is_null() {
                dynamodb.insert(name.into(), image);
            }
        }
        serde_json::from_value(record).expect("a stream record")
    }

    fn history(action: &str) -> Value {
        json!({ "at": { "S": "2026-12-01T10:15:00+09:00" }, "actor": { "S": "reviewer@partner.example.jp" },
                "action": { "S": action }, "fromStatus": { "S": "received" } })
    }

    fn app_pk() -> String {
        format!("APP#{ID}")
    }

    fn id() -> ApplicationId {
        ApplicationId::parse(ID).unwrap()
    }

    #[test]
    fn the_sample_decision_event_is_an_approval_of_version_3() {
        let event: Event = serde_json::from_str(SAMPLE).unwrap();
        let version = Version::parse("3").unwrap();
        assert_eq!(
            event_of(&event.records[0]).unwrap(),
            Some(MailEvent::Decided(id(), version, Decision::Approve))
        );
    }

    #[test]
    fn each_decision_inserted_in_the_history_is_its_event() {
        for decision in Decision::ALL {
            for version in ["3", "12", "4294967295"] {
                let version = Version::parse(version).unwrap();
                let sk = layout::history_sk(version);
                let inserted = change("INSERT", &app_pk(), &sk, Value::Null, history(decision.as_str()));
                assert_eq!(
                    event_of(&inserted).unwrap(),
                    Some(MailEvent::Decided(id(), version, decision)),
                    "{decision:?} {sk}"
                );
            }
        }
    }

    #[test]
    fn other_history_records_are_no_event() {
        let sk = layout::history_sk(Version::parse("4").unwrap());
        // An erasure mails nobody.
        assert_eq!(event_of(&change("INSERT", &app_pk(), &sk, Value::Null, history("erase"))).unwrap(), None);
        // Setting the result mail's marker, and an erasure removing the message: MODIFYs.
        let mut marked = history("approve");
        marked["resultSentAt"] = json!({ "S": "2026-12-01T10:15:02+09:00" });
        assert_eq!(event_of(&change("MODIFY", &app_pk(), &sk, history("approve"), marked)).unwrap(), None);
        assert_eq!(
            event_of(&change("REMOVE", &app_pk(), &sk, history("reject"), Value::Null)).unwrap(),
            None
        );
    }

    #[test]
    fn an_unreadable_history_record_is_reported() {
        let sk = layout::history_sk(Version::parse("3").unwrap());
        let decode = |record: &EventRecord| match event_of(record) {
            Err(RecordError::Decode(name)) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(decode(&change("INSERT", &app_pk(), &sk, Value::Null, history("approv"))), attr::ACTION);
        assert_eq!(decode(&change("INSERT", &app_pk(), &sk, Value::Null, json!({}))), attr::ACTION);
        let bad_sk = change("INSERT", &app_pk(), "HISTORY#3", Value::Null, history("approve"));
        assert_eq!(decode(&bad_sk), layout::SORT_KEY);
        let bad_pk = change("INSERT", "APP#not-a-ulid", &sk, Value::Null, history("approve"));
        assert_eq!(decode(&bad_pk), layout::PARTITION_KEY);
    }

    /// History items share the application's `pk`: only the application item
    /// (`sk` = `APPLICATION`) stands for a submission or a confirmation.
    #[test]
    fn application_events_need_the_application_item() {
        let awaiting = json!({ "applicationId": { "S": ID }, "status": { "S": "awaiting_verification" } });
        let received = json!({ "applicationId": { "S": ID }, "status": { "S": "received" } });
        let item = layout::APPLICATION_SORT_KEY;
        let insert =
            |sk: &str| event_of(&change("INSERT", &app_pk(), sk, Value::Null, awaiting.clone())).unwrap();
        let modify = |sk: &str| {
            event_of(&change("MODIFY", &app_pk(), sk, awaiting.clone(), received.clone())).unwrap()
        };
        assert_eq!(insert(item), Some(MailEvent::Submitted(id())));
        assert_eq!(modify(item), Some(MailEvent::Confirmed(id())));
        for other in ["PARTNER", "HISTORY#0000000002", "APPLICATION#x", ""] {
            assert_eq!(modify(other), None, "{other:?}");
            if !layout::is_history_item(other) {
                assert_eq!(insert(other), None, "{other:?}");
            }
        }
    }
}
