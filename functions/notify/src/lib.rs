//! The notification function: for every stored application, one
//! acknowledgement to the applicant and one notice to the operator, each sent
//! exactly once although the stream delivers at least once.
//!
//! [`deliver`] is the whole policy, over the [`Store`] and [`Mailer`] traits:
//! for each kind of mail, skip it if its marker is set, otherwise send it and
//! then set the marker (conditionally). The Lambda [`handle`]r feeds it the
//! stream's INSERT records; the local server calls it right after storing.
//!
//! The one unavoidable gap: if a send succeeds and setting its marker fails,
//! the retry sends that mail again. The reverse (marker first) could lose it.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use serde_dynamo::AttributeValue;
use shared::mail::{MailConfig, Mailer, RenderError, SendError, render};
use shared::store::layout::{self, LayoutError};
use shared::store::{MailKind, Store, StoredApplication, Unavailable};

/// What the handler needs, built once per cold start.
pub struct Deps {
    pub store: Box<dyn Store>,
    pub mailer: Box<dyn Mailer>,
    pub config: MailConfig,
}

/// Why one mail was not delivered. Its message names no personal data.
#[derive(Debug, thiserror::Error)]
pub enum MailFailure {
    #[error("mail marker: {0}")]
    Store(#[from] Unavailable),
    #[error("rendering: {0}")]
    Render(#[from] RenderError),
    #[error(transparent)]
    Send(#[from] SendError),
}

/// The mails of one application that were not delivered (the others were).
#[derive(Debug, thiserror::Error)]
#[error("{}", summarize(.failures))]
pub struct DeliverError {
    pub failures: Vec<(MailKind, MailFailure)>,
}

fn summarize(failures: &[(MailKind, MailFailure)]) -> String {
    let parts: Vec<String> = failures
        .iter()
        .map(|(kind, failure)| format!("{}: {failure}", kind.slug()))
        .collect();
    parts.join("; ")
}

/// Sends each mail of `app` that has not been sent yet. Every kind is tried,
/// so an applicant address that bounces does not hold back the operator's notice.
pub async fn deliver(
    store: &dyn Store,
    mailer: &dyn Mailer,
    config: &MailConfig,
    app: &StoredApplication,
) -> Result<(), DeliverError> {
    let mut failures = Vec::new();
    for kind in MailKind::ALL {
        if let Err(failure) = deliver_one(store, mailer, config, app, kind).await {
            failures.push((kind, failure));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(DeliverError { failures })
    }
}

async fn deliver_one(
    store: &dyn Store,
    mailer: &dyn Mailer,
    config: &MailConfig,
    app: &StoredApplication,
    kind: MailKind,
) -> Result<(), MailFailure> {
    let application_id = app.receipt.application_id.as_str();
    if store.mail_sent(application_id, kind).await? {
        tracing::info!(application_id, mail = kind.slug(), "already sent, skipped");
        return Ok(());
    }
    let mail = render(kind, config, app)?;
    mailer.send(&mail).await?;
    if store.mark_mail_sent(application_id, kind).await? {
        tracing::info!(application_id, mail = kind.slug(), "sent");
    } else {
        // A concurrent delivery of the same record sent it as well.
        tracing::warn!(
            application_id,
            mail = kind.slug(),
            "sent, but another delivery had sent it too"
        );
    }
    Ok(())
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
pub async fn handle(
    deps: &Deps,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.payload.records {
        let Err(error) = process(deps, record).await else {
            continue;
        };
        let Some(sequence_number) = record.change.sequence_number.clone() else {
            // Without an identifier only the whole batch can be retried.
            tracing::error!(event_id = %record.event_id, %error, "record without a sequence number failed");
            return Err(format!(
                "record {} failed and has no sequence number",
                record.event_id
            )
            .into());
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
    deliver(
        deps.store.as_ref(),
        deps.mailer.as_ref(),
        &deps.config,
        &application,
    )
    .await?;
    Ok(())
}

/// The application an INSERT record stored, or `None` for any other record (the
/// template's filter lets only application INSERTs through; this is the backstop).
fn decode(record: &EventRecord) -> Result<Option<StoredApplication>, LayoutError> {
    let keys = &record.change.keys;
    let is_application =
        string(keys, layout::PARTITION_KEY).is_some_and(|pk| layout::is_application_item(&pk));
    if record.event_name != "INSERT" || !is_application {
        return Ok(None);
    }
    let image = &record.change.new_image;
    layout::stored_application_from(|name| string(image, name)).map(Some)
}

/// An attribute as the layout's decoder reads it: `S` as is, `N` as its digits.
fn string(item: &serde_dynamo::Item, name: &str) -> Option<String> {
    match item.get(name)? {
        AttributeValue::S(text) | AttributeValue::N(text) => Some(text.clone()),
        _ => None,
    }
}
