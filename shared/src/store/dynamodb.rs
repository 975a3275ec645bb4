//! The DynamoDB store: one TransactWriteItems per submission, each item guarded
//! by `attribute_not_exists`, and the cancellation reasons decoded into replay,
//! key reuse, duplicate email or a taken reception number. The item design is in
//! [`layout`] and `docs/storage.md`.

use super::layout::{self, Value, attr};
use super::{Store, StoredApplication, Submission, SubmitOutcome, Unavailable};
use crate::domain::{ApplicationId, IdempotencyKey, ReceivedAt, Status};
use crate::mail::MailKind;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::builders::PutBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ReturnValuesOnConditionCheckFailure,
    ScalarAttributeType, SseSpecification, StreamSpecification, StreamViewType, TimeToLiveSpecification,
    TransactWriteItem,
};
use std::collections::HashMap;
use std::time::Duration;

/// The environment variable naming the table.
pub const TABLE_NAME_ENV: &str = "TABLE_NAME";

/// Concurrent transactions on the same items are cancelled with
/// `TransactionConflict`; they are retried this many times, briefly.
const CONFLICT_RETRIES: u32 = 4;

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore { client, table: table.into() }
    }

    /// The Lambda setup: the table from `TABLE_NAME`, a client from `sdk`
    /// ([`crate::aws::load_sdk_config`], built once and shared with SES).
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, String> {
        let table = std::env::var(TABLE_NAME_ENV)
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| format!("{TABLE_NAME_ENV} is not set"))?;
        Ok(DynamoStore::new(Client::new(sdk), table))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// A Put guarded by `attribute_not_exists(#pk)` (and whatever `condition`
    /// adds), returning the existing item when the guard fails.
    fn guarded_put(&self, item: Item, condition: impl FnOnce(PutBuilder) -> PutBuilder) -> TransactWriteItem {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let put = condition(put).build().expect("table, item and condition are set");
        TransactWriteItem::builder().put(put).build()
    }

    fn transaction(&self, submission: &Submission, now: i64) -> Vec<TransactWriteItem> {
        let stored =
            StoredApplication { receipt: submission.receipt, application: submission.application.clone() };
        let receipt = &submission.receipt;
        let application_id = s(&receipt.application_id.to_string());

        let mut application =
            keys(&layout::application_pk(receipt.application_id), layout::APPLICATION_SORT_KEY);
        for (name, value) in layout::application_attributes(&stored) {
            application.insert(name.to_owned(), to_attribute(value));
        }

        let mut email = keys(&layout::email_pk(&submission.application), layout::EMAIL_SORT_KEY);
        email.insert(attr::APPLICATION_ID.to_owned(), application_id.clone());

        let mut reception = keys(&layout::reception_pk(receipt.reception_number), layout::RECEPTION_SORT_KEY);
        reception.insert(attr::APPLICATION_ID.to_owned(), application_id.clone());

        let mut idempotency =
            keys(&layout::idempotency_pk(&submission.idempotency_key), layout::IDEMPOTENCY_SORT_KEY);
        idempotency.extend([
            (attr::APPLICATION_ID.to_owned(), application_id),
            (attr::REQUEST_HASH.to_owned(), s(&submission.request_hash)),
            (attr::RESPONSE_STATUS.to_owned(), AttributeValue::N("201".into())),
            (attr::RESPONSE_BODY.to_owned(), s(&submission.response_body)),
            (attr::EXPIRES_AT.to_owned(), n(now + layout::IDEMPOTENCY_TTL_SECS)),
        ]);

        // The order fixes the indexes of the cancellation reasons (see `decode`).
        vec![
            self.guarded_put(application, |put| put),
            self.guarded_put(email, |put| put),
            self.guarded_put(reception, |put| put),
            // TTL deletion lags expiry by up to days: an expired key is free again.
            self.guarded_put(idempotency, |put| {
                put.condition_expression("attribute_not_exists(#pk) OR #expires < :now")
                    .expression_attribute_names("#expires", attr::EXPIRES_AT)
                    .expression_attribute_values(":now", n(now))
            }),
        ]
    }

    /// Turns the cancellation reasons (one per item, in transaction order) into an outcome.
    async fn decode(
        &self,
        submission: &Submission,
        reasons: &[CancellationReason],
    ) -> Result<Option<SubmitOutcome>, Unavailable> {
        const EMAIL: usize = 1;
        const RECEPTION: usize = 2;
        const IDEMPOTENCY: usize = 3;
        let failed =
            |index: usize| reasons.get(index).and_then(|r| r.code()) == Some("ConditionalCheckFailed");
        if failed(IDEMPOTENCY) {
            let previous = match reasons[IDEMPOTENCY].item() {
                Some(item) => Some(item.clone()),
                None => self.read_idempotency(&submission.idempotency_key).await?,
            };
            // Deleted between the write and the read: try again.
            let Some(previous) = previous else { return Ok(None) };
            let hash = string(&previous, attr::REQUEST_HASH);
            let body = string(&previous, attr::RESPONSE_BODY);
            return Ok(Some(match (hash, body) {
                (Some(hash), Some(response_body)) if hash == submission.request_hash => {
                    SubmitOutcome::Replayed { response_body }
                }
                (Some(_), Some(_)) => SubmitOutcome::KeyReused,
                _ => return Err(Unavailable("idempotency item without hash or body".into())),
            }));
        }
        if failed(EMAIL) {
            return Ok(Some(SubmitOutcome::DuplicateEmail));
        }
        if failed(RECEPTION) {
            return Ok(Some(SubmitOutcome::ReceptionNumberTaken));
        }
        if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) {
            return Ok(None);
        }
        let codes: Vec<&str> = reasons.iter().filter_map(|r| r.code()).filter(|c| *c != "None").collect();
        Err(Unavailable(format!("transaction cancelled: {}", codes.join(", "))))
    }

    async fn read_idempotency(&self, key: &IdempotencyKey) -> Result<Option<Item>, Unavailable> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys(&layout::idempotency_pk(key), layout::IDEMPOTENCY_SORT_KEY)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_unavailable)?;
        Ok(output.item)
    }

    async fn get_application(&self, application_id: ApplicationId) -> Result<Option<Item>, Unavailable> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys(&layout::application_pk(application_id), layout::APPLICATION_SORT_KEY)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_unavailable)?;
        Ok(output.item)
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn submit(&self, submission: &Submission) -> Result<SubmitOutcome, Unavailable> {
        for attempt in 0..=CONFLICT_RETRIES {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(self.transaction(submission, now)))
                .send()
                .await;
            let reasons = match result {
                Ok(_) => {
                    return Ok(SubmitOutcome::Created { response_body: submission.response_body.clone() });
                }
                Err(SdkError::ServiceError(context)) => match context.into_err() {
                    TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                        cancelled.cancellation_reasons().to_vec()
                    }
                    other => return Err(service_unavailable(&other)),
                },
                Err(other) => return Err(sdk_unavailable(other)),
            };
            if let Some(outcome) = self.decode(submission, &reasons).await? {
                return Ok(outcome);
            }
            tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt + 1))).await;
        }
        Err(Unavailable("transaction conflicts persisted".into()))
    }

    async fn mail_sent(&self, application_id: ApplicationId, kind: MailKind) -> Result<bool, Unavailable> {
        let item = self.get_application(application_id).await?;
        Ok(item.is_some_and(|item| item.contains_key(layout::mail_sent_attribute(kind))))
    }

    async fn mark_mail_sent(
        &self,
        application_id: ApplicationId,
        kind: MailKind,
    ) -> Result<bool, Unavailable> {
        let now = ReceivedAt::now().to_string();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys(&layout::application_pk(application_id), layout::APPLICATION_SORT_KEY)))
            .update_expression("SET #sent = :now, #updated = :now")
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#sent)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .expression_attribute_names("#sent", layout::mail_sent_attribute(kind))
            .expression_attribute_names("#updated", attr::UPDATED_AT)
            .expression_attribute_values(":now", s(&now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(context)) if context.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(other) => Err(sdk_unavailable(other)),
        }
    }

    async fn get(&self, application_id: ApplicationId) -> Result<Option<StoredApplication>, Unavailable> {
        self.get_application(application_id).await?.map(|item| decode_application(&item)).transpose()
    }

    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
    ) -> Result<Vec<StoredApplication>, Unavailable> {
        let mut applications = Vec::new();
        let mut start = None;
        while applications.len() < limit {
            let page = i32::try_from(limit - applications.len()).unwrap_or(i32::MAX);
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(layout::STATUS_INDEX)
                .key_condition_expression("#status = :status")
                .expression_attribute_names("#status", layout::STATUS_INDEX_PARTITION_KEY)
                .expression_attribute_values(":status", s(status.as_str()))
                .scan_index_forward(false)
                .limit(page)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            for item in output.items() {
                applications.push(decode_application(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(applications)
    }
}

/// Creates a table with the layout's keys, status index, TTL and stream, as the
/// SAM template does: for tests and local runs against moto.
pub async fn create_table(client: &Client, table: &str) -> Result<(), Unavailable> {
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("complete")
    };
    let string_attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("complete")
    };
    let index = GlobalSecondaryIndex::builder()
        .index_name(layout::STATUS_INDEX)
        .key_schema(key(layout::STATUS_INDEX_PARTITION_KEY, KeyType::Hash))
        .key_schema(key(layout::STATUS_INDEX_SORT_KEY, KeyType::Range))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .expect("complete");
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(layout::PARTITION_KEY, KeyType::Hash))
        .key_schema(key(layout::SORT_KEY, KeyType::Range))
        .attribute_definitions(string_attribute(layout::PARTITION_KEY))
        .attribute_definitions(string_attribute(layout::SORT_KEY))
        .attribute_definitions(string_attribute(layout::STATUS_INDEX_PARTITION_KEY))
        .attribute_definitions(string_attribute(layout::STATUS_INDEX_SORT_KEY))
        .global_secondary_indexes(index)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .expect("complete"),
        )
        .sse_specification(SseSpecification::builder().enabled(true).build())
        .send()
        .await
        .map_err(sdk_unavailable)?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(layout::TTL_ATTRIBUTE)
                .build()
                .expect("complete"),
        )
        .send()
        .await
        .map_err(sdk_unavailable)?;
    Ok(())
}

/// Rebuilds a stored application from a DynamoDB item (or stream image).
pub fn decode_application(item: &Item) -> Result<StoredApplication, Unavailable> {
    layout::stored_application_from(|name| string(item, name).map(Into::into))
        .map_err(|e| Unavailable(format!("unreadable application item: {e}")))
}

/// An attribute as the layout's decoder reads it: `S` as is, `N` as its digits.
fn string(item: &Item, name: &str) -> Option<String> {
    match item.get(name)? {
        AttributeValue::S(text) | AttributeValue::N(text) => Some(text.clone()),
        _ => None,
    }
}

fn keys(pk: &str, sk: &str) -> Item {
    HashMap::from([(layout::PARTITION_KEY.to_owned(), s(pk)), (layout::SORT_KEY.to_owned(), s(sk))])
}

fn to_attribute(value: Value) -> AttributeValue {
    match value {
        Value::Text(text) => AttributeValue::S(text),
        Value::Number(digits) => AttributeValue::N(digits),
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// Only the error's kind and code: DynamoDB messages may quote item values.
fn sdk_unavailable<E: ProvideErrorMetadata, R>(error: SdkError<E, R>) -> Unavailable {
    match error {
        SdkError::ServiceError(context) => service_unavailable(context.err()),
        SdkError::TimeoutError(_) => Unavailable("timeout".into()),
        SdkError::DispatchFailure(failure) => {
            let kind = if failure.is_timeout() {
                "timeout"
            } else if failure.is_io() {
                "connection failed"
            } else {
                "dispatch failure"
            };
            Unavailable(kind.into())
        }
        SdkError::ResponseError(_) => Unavailable("unreadable response".into()),
        SdkError::ConstructionFailure(_) => Unavailable("request construction failed".into()),
        _ => Unavailable("sdk error".into()),
    }
}

fn service_unavailable(error: &impl ProvideErrorMetadata) -> Unavailable {
    Unavailable(format!("service error {}", error.code().unwrap_or("unknown")))
}
