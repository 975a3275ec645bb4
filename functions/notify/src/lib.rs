//! The notification function: every row of the contract's mail table, each
//! mail sent exactly once although the stream delivers at least once.
//!
//! The policy is [`shared::mail::deliver`] (the local server runs the same one
//! right after storing); this crate turns the stream's records into
//! [`MailEvent`]s for it and reports the records that failed for retry:
//! - INSERT of an unverified application: its verification link;
//! - INSERT of a notice: the already-received mail;
//! - MODIFY from `awaiting_verification` to `received`: the 控え and the
//!   operators' notice.
//!
//! The template's filter criteria let only these records through; [`event_of`]
//! is the backstop.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use serde_dynamo::AttributeValue;
use shared::domain::{ApplicationId, Status};
use shared::keyed::IdentifierKey;
use shared::mail::{DeliverError, MailConfig, MailEvent, Mailer, Postman, deliver};
use shared::store::Store;
use shared::store::layout::{self, attr};

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
pub fn event_of(record: &EventRecord) -> Result<Option<MailEvent>, RecordError> {
    let keys = &record.change.keys;
    let Some(pk) = string(keys, layout::PARTITION_KEY) else { return Ok(None) };
    let status = |image: &serde_dynamo::Item| string(image, attr::STATUS).and_then(Status::parse);
    let application_id = || {
        string(&record.change.new_image, attr::APPLICATION_ID)
            .and_then(ApplicationId::parse)
            .ok_or(RecordError::Decode(attr::APPLICATION_ID))
    };
    Ok(match record.event_name.as_str() {
        "INSERT" if layout::is_application_item(pk) => match status(&record.change.new_image) {
            Some(Status::AwaitingVerification) => Some(MailEvent::Submitted(application_id()?)),
            _ => None,
        },
        "INSERT" => layout::notice_id_of(pk).map(MailEvent::AlreadyReceived),
        "MODIFY" if layout::is_application_item(pk) => {
            let confirmed = status(&record.change.old_image) == Some(Status::AwaitingVerification)
                && status(&record.change.new_image) == Some(Status::Received);
            if confirmed { Some(MailEvent::Confirmed(application_id()?)) } else { None }
        }
        _ => None,
    })
}

/// An attribute as the layout's decoder reads it: `S` as is, `N` as its digits.
fn string<'a>(item: &'a serde_dynamo::Item, name: &str) -> Option<&'a str> {
    match item.get(name)? {
        AttributeValue::S(text) | AttributeValue::N(text) => Some(text),
        _ => None,
    }
}
