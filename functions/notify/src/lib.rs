//! The notification function: for every stored application, one
//! acknowledgement to the applicant and one notice to the operator, each sent
//! exactly once although the stream delivers at least once.
//!
//! The policy is [`shared::mail::deliver`] (the local server runs the same one
//! right after storing); this crate decodes the stream's INSERT records for it
//! and reports the records that failed for retry.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use serde_dynamo::AttributeValue;
use shared::mail::{DeliverError, MailConfig, Mailer, deliver};
use shared::store::layout::{self, LayoutError};
use shared::store::{Store, StoredApplication};
use std::borrow::Cow;

/// What the handler needs, built once per cold start.
pub struct Deps {
    pub store: Box<dyn Store>,
    pub mailer: Box<dyn Mailer>,
    pub config: MailConfig,
}

/// Why a stream record failed; it is reported for retry.
#[derive(Debug, thiserror::Error)]
enum RecordError {
    #[error("unreadable application image: {0}")]
    Decode(#[from] LayoutError),
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
    let Some(application) = decode(record)? else {
        return Ok(());
    };
    deliver(deps.store.as_ref(), deps.mailer.as_ref(), &deps.config, &application).await?;
    Ok(())
}

/// The application an INSERT record stored, or `None` for any other record (the
/// template's filter lets only application INSERTs through; this is the backstop).
fn decode(record: &EventRecord) -> Result<Option<StoredApplication>, LayoutError> {
    let keys = &record.change.keys;
    let is_application = string(keys, layout::PARTITION_KEY).is_some_and(layout::is_application_item);
    if record.event_name != "INSERT" || !is_application {
        return Ok(None);
    }
    let image = &record.change.new_image;
    layout::stored_application_from(|name| string(image, name).map(Cow::Borrowed)).map(Some)
}

/// An attribute as the layout's decoder reads it: `S` as is, `N` as its digits.
fn string<'a>(item: &'a serde_dynamo::Item, name: &str) -> Option<&'a str> {
    match item.get(name)? {
        AttributeValue::S(text) | AttributeValue::N(text) => Some(text),
        _ => None,
    }
}
