//! The DynamoDB store. Every change is one TransactWriteItems whose items are
//! each guarded by a condition, built from what was read just before
//! (optimistic: a condition that fails because another writer came first
//! sends the operation round again). Expired items are absent to every
//! condition (`#expires < :now`), because TTL deletes late. The item design
//! is in [`layout`] and `docs/storage.md`.

mod deliveries;
mod desk;
mod documents;
mod retention;
mod review;

use super::layout::{self, Value, attr};
use super::plan;
use super::{
    ConfirmOutcome, Counter, Intake, MailLedger, Notice, StoredApplication, Submission, SubmitOutcome,
    TokenState, Tooling, Unavailable,
};
use crate::domain::{ApplicationId, HistoryEntry, NoticeId, Status, Timestamp, Version};
use crate::domain::{MailEvent, MailKind, MailSubject};
use crate::keyed::TokenHash;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, PutRequest,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, SseSpecification, StreamSpecification,
    StreamViewType, TimeToLiveSpecification, TransactWriteItem, Update, WriteRequest,
};
use std::collections::HashMap;
use std::time::Duration;

/// The environment variable naming the table.
pub const TABLE_NAME_ENV: &str = "TABLE_NAME";
/// The environment variable naming the audit table (default: the table's
/// name with [`layout::AUDIT_TABLE_SUFFIX`]).
pub const AUDIT_TABLE_NAME_ENV: &str = "AUDIT_TABLE_NAME";

/// Transactions that lose a race (`TransactionConflict`, or a condition on
/// what was read) are sent round again this many times, briefly apart.
const ATTEMPTS: u32 = 10;

type Item = HashMap<String, AttributeValue>;

/// A condition that holds while the item is absent or expired.
const ABSENT: &str = "(attribute_not_exists(#pk) OR #expires < :now)";

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// Append-only: this store only ever Puts into it and Queries it.
    audit_table: String,
}

/// A write and the condition of each of its items, in transaction order.
struct Write {
    items: Vec<TransactWriteItem>,
    /// The index of the idempotency item, whose failure means a replay.
    idempotency: Option<usize>,
    /// The index of the reception item, whose failure means a taken number.
    reception: Option<usize>,
    plan: plan::SubmissionPlan,
}

/// How a transaction ended.
enum Sent {
    Done,
    /// Cancelled: one reason per item.
    Cancelled(Vec<CancellationReason>),
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let table = table.into();
        let audit_table = audit_table_name(&table);
        DynamoStore { client, table, audit_table }
    }

    /// The same store with its audit in `audit_table`.
    pub fn with_audit_table(self, audit_table: impl Into<String>) -> Self {
        DynamoStore { audit_table: audit_table.into(), ..self }
    }

    /// The Lambda setup: the table from `TABLE_NAME`, a client from `sdk`
    /// ([`crate::aws::load_sdk_config`], built once and shared with SES).
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, String> {
        let table = std::env::var(TABLE_NAME_ENV)
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| format!("{TABLE_NAME_ENV} is not set"))?;
        let store = DynamoStore::new(Client::new(sdk), table);
        Ok(match std::env::var(AUDIT_TABLE_NAME_ENV).ok().filter(|t| !t.is_empty()) {
            Some(audit) => store.with_audit_table(audit),
            None => store,
        })
    }

    pub fn audit_table(&self) -> &str {
        &self.audit_table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// A Put of `item` under `condition` (whose names and values it binds),
    /// returning the existing item when the condition fails.
    fn put(&self, item: Item, condition: &str, now: i64) -> TransactWriteItem {
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if condition.contains("#expires") {
            put = put
                .expression_attribute_names("#expires", attr::EXPIRES_AT)
                .expression_attribute_values(":now", n(now));
        }
        TransactWriteItem::builder().put(put.build().expect("table, item and condition are set")).build()
    }

    /// An unconditional Delete of one item.
    fn delete(&self, pk: &str, sk: &str) -> TransactWriteItem {
        let delete = Delete::builder().table_name(&self.table).set_key(Some(keys(pk, sk))).build();
        TransactWriteItem::builder().delete(delete.expect("table and key are set")).build()
    }

    /// Deletes the items `sks` under `pk` in transactions of deletions only
    /// (at most [`review::REMOVALS_PER_TRANSACTION`] each, not one request
    /// per item): interrupted and run again, it finds fewer and finishes.
    async fn remove_all(&self, pk: &str, sks: &[String]) -> Result<(), Unavailable> {
        for batch in sks.chunks(review::REMOVALS_PER_TRANSACTION) {
            let removals = batch.iter().map(|sk| self.delete(pk, sk)).collect();
            if let Sent::Cancelled(reasons) = self.send(removals).await? {
                return Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))));
            }
        }
        Ok(())
    }

    /// The Updates that apply a plan's counter changes (`ADD`, so they
    /// commute with any other writer's and need no condition; an absent item
    /// starts at 0).
    fn count_updates(&self, changes: &[plan::CountChange]) -> Vec<TransactWriteItem> {
        changes
            .iter()
            .map(|change| {
                let update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(keys(
                        &layout::status_count_pk(change.status),
                        layout::STATUS_COUNT_SORT_KEY,
                    )))
                    .update_expression("ADD #count :delta")
                    .expression_attribute_names("#count", attr::COUNT)
                    .expression_attribute_values(":delta", n(change.delta))
                    .build()
                    .expect("complete");
                TransactWriteItem::builder().update(update).build()
            })
            .collect()
    }

    /// The due item of an application that leaves by its retention ([`plan::due`]).
    fn due_item(due: (Timestamp, Status), application_id: ApplicationId) -> Item {
        let (at, status) = due;
        keys(layout::DUE_PARTITION, &layout::due_sk(at, status, application_id))
    }

    /// The writes that keep an application's due item as its plan leaves it:
    /// `before`'s removed and `after`'s made, if they differ.
    fn due_writes(
        &self,
        application_id: ApplicationId,
        before: Option<(Timestamp, Status)>,
        after: Option<(Timestamp, Status)>,
    ) -> Vec<TransactWriteItem> {
        if before == after {
            return Vec::new();
        }
        let mut writes = Vec::new();
        if let Some(before) = before {
            let sk = layout::due_sk(before.0, before.1, application_id);
            writes.push(self.delete(layout::DUE_PARTITION, &sk));
        }
        if let Some(after) = after {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(Self::due_item(after, application_id)))
                .build()
                .expect("table and item are set");
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        writes
    }

    async fn send(&self, items: Vec<TransactWriteItem>) -> Result<Sent, Unavailable> {
        let result = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        match result {
            Ok(_) => Ok(Sent::Done),
            Err(SdkError::ServiceError(context)) => match context.into_err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    Ok(Sent::Cancelled(cancelled.cancellation_reasons().to_vec()))
                }
                other => Err(service_unavailable(&other)),
            },
            Err(other) => Err(sdk_unavailable(other)),
        }
    }

    async fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, Unavailable> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_unavailable)?;
        Ok(output.item)
    }

    /// The live idempotency record under `key`, if any.
    async fn read_record(
        &self,
        key: &plan::RecordKey<'_>,
        now: i64,
    ) -> Result<Option<plan::IdempotencyRecord>, Unavailable> {
        let item = self.get_item(&layout::record_pk(key), layout::IDEMPOTENCY_SORT_KEY).await?;
        item.filter(|item| !is_expired(item, now)).map(|item| record_from(&item)).transpose()
    }

    /// A Put of an idempotency record where none is live.
    fn record_put(
        &self,
        key: &plan::RecordKey<'_>,
        record: &plan::IdempotencyRecord,
        now: i64,
    ) -> TransactWriteItem {
        let mut item = keys(&layout::record_pk(key), layout::IDEMPOTENCY_SORT_KEY);
        item.extend(
            layout::idempotency_attributes(record).into_iter().map(|(n, v)| (n.to_owned(), to_attribute(v))),
        );
        self.put(item, ABSENT, now)
    }

    /// The Update that moves an application from `before` to `after`
    /// ([`layout::lifecycle_attributes`]) if it is still at `before`'s version
    /// and in one of `from`.
    fn lifecycle_update(
        &self,
        before: &StoredApplication,
        after: &StoredApplication,
        from: &[Status],
        at: Timestamp,
    ) -> Update {
        self.application_update(before, layout::lifecycle_attributes(after, at), from)
    }

    /// The Update that writes `attributes` over the application of `before`
    /// (`None` removes one) if it is still at `before`'s version and in one of `from`.
    fn application_update(
        &self,
        before: &StoredApplication,
        attributes: Vec<(&'static str, Option<layout::Value>)>,
        from: &[Status],
    ) -> Update {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys(&layout::application_pk(before.id()), layout::APPLICATION_SORT_KEY)))
            .expression_attribute_names("#version", attr::VERSION)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":before", n(i64::from(before.version.get())));
        let (mut sets, mut removes) = (Vec::new(), Vec::new());
        for (index, (name, value)) in attributes.into_iter().enumerate() {
            let placeholder = match name {
                attr::VERSION => "#version".to_owned(),
                attr::STATUS => "#status".to_owned(),
                _ => {
                    let placeholder = format!("#a{index}");
                    update = update.expression_attribute_names(&placeholder, name);
                    placeholder
                }
            };
            match value {
                Some(value) => {
                    update = update.expression_attribute_values(format!(":a{index}"), to_attribute(value));
                    sets.push(format!("{placeholder} = :a{index}"));
                }
                None => removes.push(placeholder),
            }
        }
        let mut from_names = Vec::new();
        for (index, status) in from.iter().enumerate() {
            let name = format!(":from{index}");
            update = update.expression_attribute_values(&name, s(status.as_str()));
            from_names.push(name);
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        update
            .update_expression(expression)
            .condition_expression(format!("#version = :before AND #status IN ({})", from_names.join(", ")))
            .build()
            .expect("complete")
    }

    /// The submission's write: the plan of the address's reservation as just read.
    fn submission_write(&self, submission: &Submission, reservation: Option<&Item>, now: Timestamp) -> Write {
        let live = reservation.filter(|item| !is_expired(item, now.epoch()));
        let held_by =
            live.and_then(|item| string(item, attr::APPLICATION_ID)).and_then(|id| ApplicationId::parse(&id));
        let reservation = live.zip(held_by).map(|(item, application_id)| {
            if item.contains_key(attr::CONFIRMED_AT) {
                plan::Reservation::Verified { application_id }
            } else {
                let token = string(item, attr::TOKEN_HASH).as_deref().and_then(TokenHash::parse);
                plan::Reservation::Unverified { application_id, token }
            }
        });
        let plan = plan::submit(submission, reservation, now);
        let key = plan::RecordKey::Submission(&submission.idempotency_key);
        let idempotency = self.record_put(&key, &plan.record(submission, now), now.epoch());
        let email_pk = layout::email_pk(&submission.email_key);
        let mut items = Vec::new();
        let reception = match &plan {
            plan::SubmissionPlan::Notice { application_id, notice_id, expires_at } => {
                let mut notice = keys(&layout::notice_pk(*notice_id), layout::NOTICE_SORT_KEY);
                notice.extend([
                    (attr::NOTICE_ID.to_owned(), s(&notice_id.to_string())),
                    (attr::APPLICATION_ID.to_owned(), s(&application_id.to_string())),
                    (attr::EXPIRES_AT.to_owned(), n(expires_at.epoch())),
                ]);
                // The reservation still the verified application's, and the
                // notice listed on it, so that an erasure finds it.
                let reservation = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(keys(&email_pk, layout::EMAIL_SORT_KEY)))
                    .update_expression("ADD #notices :notice")
                    .condition_expression("#id = :id AND attribute_exists(#confirmed)")
                    .expression_attribute_names("#id", attr::APPLICATION_ID)
                    .expression_attribute_names("#confirmed", attr::CONFIRMED_AT)
                    .expression_attribute_names("#notices", attr::NOTICES)
                    .expression_attribute_values(":id", s(&application_id.to_string()))
                    .expression_attribute_values(":notice", AttributeValue::Ss(vec![notice_id.to_string()]))
                    .build()
                    .expect("complete");
                items.push(TransactWriteItem::builder().update(reservation).build());
                items.push(self.put(notice, "attribute_not_exists(#pk)", now.epoch()));
                None
            }
            plan::SubmissionPlan::Application { stored, supersedes, email_key, token } => {
                let application_id = s(&stored.id().to_string());
                let previous = match supersedes {
                    Some(plan::Reservation::Unverified { application_id: previous, token }) => {
                        // The earlier, unverified application and its token are replaced.
                        items.push(
                            self.delete(&layout::application_pk(*previous), layout::APPLICATION_SORT_KEY),
                        );
                        if let Some(token) = token {
                            items.push(self.delete(&layout::token_pk(token), layout::TOKEN_SORT_KEY));
                        }
                        Some(*previous)
                    }
                    _ => None,
                };
                let application = application_of(stored, email_key);
                items.push(self.put(application, "attribute_not_exists(#pk)", now.epoch()));

                let expires = n(submission.expires_at.epoch());
                let mut email = keys(&email_pk, layout::EMAIL_SORT_KEY);
                email.extend([
                    (attr::APPLICATION_ID.to_owned(), application_id.clone()),
                    (attr::TOKEN_HASH.to_owned(), s(token.as_str())),
                    (attr::EXPIRES_AT.to_owned(), expires.clone()),
                ]);
                items.push(match previous {
                    None => self.put(email, ABSENT, now.epoch()),
                    Some(previous) => {
                        let put = Put::builder()
                            .table_name(&self.table)
                            .set_item(Some(email))
                            .condition_expression("#id = :previous AND attribute_not_exists(#confirmed)")
                            .expression_attribute_names("#id", attr::APPLICATION_ID)
                            .expression_attribute_names("#confirmed", attr::CONFIRMED_AT)
                            .expression_attribute_values(":previous", s(&previous.to_string()))
                            .build()
                            .expect("complete");
                        TransactWriteItem::builder().put(put).build()
                    }
                });

                let mut reception =
                    keys(&layout::reception_pk(stored.receipt.reception_number), layout::RECEPTION_SORT_KEY);
                reception.extend([
                    (attr::APPLICATION_ID.to_owned(), application_id.clone()),
                    (attr::EXPIRES_AT.to_owned(), expires.clone()),
                ]);
                let reception_index = items.len();
                items.push(self.put(reception, ABSENT, now.epoch()));

                let mut token_item = keys(&layout::token_pk(token), layout::TOKEN_SORT_KEY);
                token_item.extend([
                    (attr::APPLICATION_ID.to_owned(), application_id),
                    (attr::EXPIRES_AT.to_owned(), expires),
                ]);
                items.push(self.put(token_item, "attribute_not_exists(#pk)", now.epoch()));
                Some(reception_index)
            }
        };
        items.extend(self.count_updates(&plan.count_changes()));
        let idempotency_index = items.len();
        items.push(idempotency);
        Write { items, idempotency: Some(idempotency_index), reception, plan }
    }

    /// A replay or a reused key, from the idempotency item the condition returned (or read).
    async fn replay(
        &self,
        submission: &Submission,
        reason: &CancellationReason,
    ) -> Result<Option<SubmitOutcome>, Unavailable> {
        let previous = match reason.item() {
            Some(item) => Some(record_from(item)?),
            None => {
                let key = plan::RecordKey::Submission(&submission.idempotency_key);
                self.read_record(&key, Timestamp::now().epoch()).await?
            }
        };
        // Deleted between the write and the read: try again.
        Ok(previous.map(|previous| plan::replay_submission(submission, &previous)))
    }

    async fn application_item(&self, application_id: ApplicationId) -> Result<Option<Item>, Unavailable> {
        self.get_item(&layout::application_pk(application_id), layout::APPLICATION_SORT_KEY).await
    }

    async fn live_application(
        &self,
        application_id: ApplicationId,
    ) -> Result<Option<StoredApplication>, Unavailable> {
        let Some(item) = self.application_item(application_id).await? else { return Ok(None) };
        self.live_from(&item)
    }

    async fn token_state(&self, token: &TokenHash) -> Result<(TokenState, Option<Item>), Unavailable> {
        let now = Timestamp::now().epoch();
        let Some(item) = self.get_item(&layout::token_pk(token), layout::TOKEN_SORT_KEY).await? else {
            return Ok((TokenState::NotFound, None));
        };
        let confirmed = item.contains_key(attr::CONFIRMED_AT);
        if is_expired(&item, now) {
            // A used token answers again until its own, later expiry.
            return Ok((if confirmed { TokenState::NotFound } else { TokenState::Expired }, None));
        }
        let Some(application_id) =
            string(&item, attr::APPLICATION_ID).as_deref().and_then(ApplicationId::parse)
        else {
            return Err(Unavailable("token item without an application id".into()));
        };
        let Some(stored) = self.live_application(application_id).await? else {
            return Ok((TokenState::NotFound, None));
        };
        let state = if confirmed { TokenState::Confirmed(stored) } else { TokenState::Pending(stored) };
        Ok((state, Some(item)))
    }

    /// The confirmation's write: the plan's transition on the application,
    /// and the reservations and token made permanent (their TTL removed) or used.
    fn confirm_write(
        &self,
        token: &TokenHash,
        plan: &plan::ConfirmPlan,
        email_key: &str,
    ) -> Vec<TransactWriteItem> {
        let stored = &plan.before;
        let id = s(&stored.id().to_string());
        let now = plan.at;
        let update_app = self.lifecycle_update(&plan.before, &plan.after, plan.from(), now);
        // A reservation of this application, made permanent.
        let permanent = |pk: String, sk: &str| {
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(keys(&pk, sk)))
                .condition_expression("#id = :id")
                .expression_attribute_names("#id", attr::APPLICATION_ID)
                .expression_attribute_names("#expires", attr::EXPIRES_AT)
                .expression_attribute_values(":id", id.clone())
        };
        let update_email = permanent(format!("{}{email_key}", layout::EMAIL_PREFIX), layout::EMAIL_SORT_KEY)
            .update_expression("SET #confirmed = :now REMOVE #expires, #token")
            .expression_attribute_names("#confirmed", attr::CONFIRMED_AT)
            .expression_attribute_names("#token", attr::TOKEN_HASH)
            .expression_attribute_values(":now", s(&now.to_string()))
            .build()
            .expect("complete");
        let update_reception =
            permanent(layout::reception_pk(stored.receipt.reception_number), layout::RECEPTION_SORT_KEY)
                .update_expression("REMOVE #expires")
                .build()
                .expect("complete");
        let update_token = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys(&layout::token_pk(token), layout::TOKEN_SORT_KEY)))
            .update_expression("SET #confirmed = :now, #expires = :later")
            .condition_expression("#id = :id AND attribute_not_exists(#confirmed)")
            .expression_attribute_names("#id", attr::APPLICATION_ID)
            .expression_attribute_names("#confirmed", attr::CONFIRMED_AT)
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_values(":id", id)
            .expression_attribute_values(":now", s(&now.to_string()))
            .expression_attribute_values(":later", n(plan.token_expires_at.epoch()))
            .build()
            .expect("complete");
        let mut items: Vec<TransactWriteItem> = [update_app, update_email, update_reception, update_token]
            .into_iter()
            .map(|update| TransactWriteItem::builder().update(update).build())
            .collect();
        items.extend(self.count_updates(&plan.count_changes()));
        items
    }

    /// Every item of the table (pending mail after a local restart; small tables only).
    async fn scan_all(&self) -> Result<Vec<Item>, Unavailable> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}

fn failed(reasons: &[CancellationReason], index: Option<usize>) -> bool {
    index.and_then(|i| reasons.get(i)).and_then(|r| r.code()) == Some("ConditionalCheckFailed")
}

fn cancelled_by(reasons: &[CancellationReason]) -> String {
    let codes: Vec<&str> = reasons.iter().filter_map(|r| r.code()).filter(|c| *c != "None").collect();
    codes.join(", ")
}

/// A growing, jittered pause, so that writers that collided do not collide again.
async fn pause(attempt: u32) {
    let ceiling = 10 * u64::from(attempt + 1);
    tokio::time::sleep(Duration::from_millis(5 + rand::random_range(0..ceiling))).await;
}

#[async_trait]
impl Intake for DynamoStore {
    async fn submit(&self, submission: &Submission) -> Result<SubmitOutcome, Unavailable> {
        for attempt in 0..ATTEMPTS {
            let now = Timestamp::now();
            let reservation =
                self.get_item(&layout::email_pk(&submission.email_key), layout::EMAIL_SORT_KEY).await?;
            let write = self.submission_write(submission, reservation.as_ref(), now);
            let reasons = match self.send(write.items).await? {
                Sent::Done => return Ok(write.plan.outcome(submission)),
                Sent::Cancelled(reasons) => reasons,
            };
            if failed(&reasons, write.idempotency) {
                let index = write.idempotency.expect("checked");
                if let Some(outcome) = self.replay(submission, &reasons[index]).await? {
                    return Ok(outcome);
                }
            } else if failed(&reasons, write.reception) {
                return Ok(SubmitOutcome::ReceptionNumberTaken);
            } else if !reasons
                .iter()
                .any(|r| matches!(r.code(), Some("ConditionalCheckFailed" | "TransactionConflict")))
            {
                return Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))));
            }
            // The address's reservation changed since it was read: read it again.
            pause(attempt).await;
        }
        Err(Unavailable("transaction conflicts persisted".into()))
    }

    async fn token(&self, token: &TokenHash) -> Result<TokenState, Unavailable> {
        Ok(self.token_state(token).await?.0)
    }

    async fn confirm(&self, token: &TokenHash) -> Result<ConfirmOutcome, Unavailable> {
        for attempt in 0..ATTEMPTS {
            let plan = match plan::confirm(self.token_state(token).await?.0, Timestamp::now()) {
                Ok(plan) => plan,
                Err(outcome) => return Ok(outcome),
            };
            let item = self.application_item(plan.before.id()).await?;
            let Some(email_key) = item.as_ref().and_then(|item| string(item, attr::EMAIL_KEY)) else {
                return Ok(ConfirmOutcome::NotFound);
            };
            match self.send(self.confirm_write(token, &plan, &email_key)).await? {
                Sent::Done => return Ok(ConfirmOutcome::Confirmed(plan.after)),
                Sent::Cancelled(reasons) => {
                    if !reasons
                        .iter()
                        .any(|r| matches!(r.code(), Some("ConditionalCheckFailed" | "TransactionConflict")))
                    {
                        return Err(Unavailable(format!(
                            "transaction cancelled: {}",
                            cancelled_by(&reasons)
                        )));
                    }
                }
            }
            // Another confirmation, or a superseding submission, came first: look again.
            pause(attempt).await;
        }
        Err(Unavailable("transaction conflicts persisted".into()))
    }

    async fn admit(&self, counter: &Counter) -> Result<bool, Unavailable> {
        if counter.limit == 0 {
            return Ok(false);
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys(&layout::counter_pk(&counter.key), layout::RATE_SORT_KEY)))
            .update_expression("SET #count = if_not_exists(#count, :zero) + :one, #expires = :ends")
            .condition_expression("attribute_not_exists(#count) OR #count < :limit")
            .expression_attribute_names("#count", attr::COUNT)
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(i64::from(counter.limit)))
            .expression_attribute_values(":ends", n(counter.window_ends.epoch()))
            .send()
            .await;
        condition_held(result)
    }
}

#[async_trait]
impl MailLedger for DynamoStore {
    async fn mail_sent(&self, subject: MailSubject, kind: MailKind) -> Result<bool, Unavailable> {
        if !subject.carries(kind) {
            return Ok(false);
        }
        let (pk, sk) = layout::subject_keys(subject);
        let item = self.get_item(&pk, &sk).await?;
        Ok(item.is_some_and(|item| item.contains_key(layout::mail_sent_attribute(kind))))
    }

    async fn mark_mail_sent(
        &self,
        subject: MailSubject,
        kind: MailKind,
        sent: Option<&super::SentMail>,
    ) -> Result<bool, Unavailable> {
        if !subject.carries(kind) {
            return Ok(false);
        }
        let (pk, sk) = layout::subject_keys(subject);
        let now = Timestamp::now().to_string();
        let marker = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys(&pk, &sk)))
            .update_expression("SET #sent = :now")
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#sent)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .expression_attribute_names("#sent", layout::mail_sent_attribute(kind))
            .expression_attribute_values(":now", s(&now));
        // The marker and the record together: a mail marked sent has its
        // record. (A transaction even without one: one way to write a marker.)
        let mut items = vec![TransactWriteItem::builder().update(marker.build().expect("complete")).build()];
        items.extend(sent.map(|sent| self.mail_put(sent)));
        match self.send(items).await? {
            Sent::Done => Ok(true),
            Sent::Cancelled(reasons) if failed(&reasons, Some(0)) || failed(&reasons, Some(1)) => Ok(false),
            Sent::Cancelled(reasons) => {
                Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))))
            }
        }
    }

    async fn get(&self, application_id: ApplicationId) -> Result<Option<StoredApplication>, Unavailable> {
        self.live_application(application_id).await
    }

    async fn notice(&self, notice_id: NoticeId) -> Result<Option<Notice>, Unavailable> {
        let Some(item) = self.get_item(&layout::notice_pk(notice_id), layout::NOTICE_SORT_KEY).await? else {
            return Ok(None);
        };
        if is_expired(&item, Timestamp::now().epoch()) {
            return Ok(None);
        }
        Ok(string(&item, attr::APPLICATION_ID)
            .as_deref()
            .and_then(ApplicationId::parse)
            .map(|application_id| Notice { notice_id, application_id }))
    }

    async fn history_entry(
        &self,
        application_id: ApplicationId,
        version: Version,
    ) -> Result<Option<HistoryEntry>, Unavailable> {
        self.history_entry_of(application_id, version).await
    }
}

#[async_trait]
impl Tooling for DynamoStore {
    /// BatchWriteItem, 25 items a request, unprocessed ones sent again.
    async fn import(&self, applications: &[super::Imported]) -> Result<(), Unavailable> {
        let mut items = Vec::new();
        for imported in applications {
            let stored = &imported.stored;
            let id = s(&stored.id().to_string());
            let verified = s(&stored.verified_at.unwrap_or(stored.receipt.received_at).to_string());
            let mut application = application_of(stored, &imported.email_key);
            for kind in plan::imported_mails(stored) {
                application.insert(layout::mail_sent_attribute(kind).to_owned(), verified.clone());
            }
            items.push(application);
            let mut email = keys(&layout::email_pk(&imported.email_key), layout::EMAIL_SORT_KEY);
            email.extend([
                (attr::APPLICATION_ID.to_owned(), id.clone()),
                (attr::CONFIRMED_AT.to_owned(), verified),
            ]);
            items.push(email);
            let mut reception =
                keys(&layout::reception_pk(stored.receipt.reception_number), layout::RECEPTION_SORT_KEY);
            reception.insert(attr::APPLICATION_ID.to_owned(), id.clone());
            items.push(reception);
            if let Some(due) = plan::due(stored) {
                items.push(Self::due_item(due, stored.id()));
            }
            if let Some(code) = stored.partner_code {
                let mut partner = keys(&layout::partner_pk(code), layout::PARTNER_SORT_KEY);
                partner.extend([
                    (attr::PARTNER_CODE.to_owned(), s(code.as_str())),
                    (attr::APPLICATION_ID.to_owned(), id),
                ]);
                items.push(partner);
            }
        }
        for chunk in items.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put =
                        PutRequest::builder().set_item(Some(item.clone())).build().expect("item is set");
                    WriteRequest::builder().put_request(put).build()
                })
                .collect();
            for attempt in 0..ATTEMPTS {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, std::mem::take(&mut requests))
                    .send()
                    .await
                    .map_err(sdk_unavailable)?;
                requests =
                    output.unprocessed_items.and_then(|mut m| m.remove(&self.table)).unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                pause(attempt).await;
            }
            if !requests.is_empty() {
                return Err(Unavailable("unprocessed items persisted".into()));
            }
        }
        // BatchWriteItem is no transaction, so the counters follow the items
        // (an import that fails half way leaves them short: `xtask recount`).
        for change in plan::imported_counts(applications) {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(keys(&layout::status_count_pk(change.status), layout::STATUS_COUNT_SORT_KEY)))
                .update_expression("ADD #count :delta")
                .expression_attribute_names("#count", attr::COUNT)
                .expression_attribute_values(":delta", n(change.delta))
                .send()
                .await
                .map_err(sdk_unavailable)?;
        }
        Ok(())
    }

    async fn recount(&self) -> Result<super::Recounted, Unavailable> {
        self.recount_all().await
    }

    async fn idempotency_record(
        &self,
        key: &plan::RecordKey<'_>,
    ) -> Result<Option<plan::IdempotencyRecord>, Unavailable> {
        self.read_record(key, Timestamp::now().epoch()).await
    }

    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
    ) -> Result<Vec<StoredApplication>, Unavailable> {
        let now = Timestamp::now();
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
                let stored = decode_application(item)?;
                if !stored.is_expired(now) {
                    applications.push(stored);
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(applications)
    }

    async fn pending_mail(&self) -> Result<Vec<MailEvent>, Unavailable> {
        let now = Timestamp::now();
        let mut records = Vec::new();
        for item in self.scan_all().await? {
            let Some(pk) = string(&item, layout::PARTITION_KEY) else { continue };
            let sk = string(&item, layout::SORT_KEY).unwrap_or_default();
            let record = layout::mail_record(&pk, &sk, |name| string(&item, name).map(Into::into), now)
                .map_err(|e| Unavailable(format!("unreadable item: {e}")))?;
            records.extend(record);
        }
        Ok(records.iter().filter_map(plan::owed).collect())
    }
}

/// The audit table's name for a table named `table`, unless `AUDIT_TABLE_NAME` says otherwise.
pub fn audit_table_name(table: &str) -> String {
    format!("{table}{}", layout::AUDIT_TABLE_SUFFIX)
}

/// A conditional UpdateItem's outcome: true when written, false when its
/// condition did not hold, unavailable otherwise.
fn condition_held<T, R>(result: Result<T, SdkError<UpdateItemError, R>>) -> Result<bool, Unavailable> {
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(context)) if context.err().is_conditional_check_failed_exception() => {
            Ok(false)
        }
        Err(other) => Err(sdk_unavailable(other)),
    }
}

/// True when the item carries a TTL that has passed (TTL deletes late).
fn is_expired(item: &Item, now: i64) -> bool {
    string(item, attr::EXPIRES_AT).and_then(|text| text.parse::<i64>().ok()).is_some_and(|at| at < now)
}

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("complete")
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("complete")
}

/// Creates a table with the layout's keys, indexes, TTL and stream, as the
/// SAM template does: for tests and local runs against moto.
pub async fn create_table(client: &Client, table: &str) -> Result<(), Unavailable> {
    let index = |name: &str, partition: &str, sort: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(partition, KeyType::Hash))
            .key_schema(key(sort, KeyType::Range))
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .expect("complete")
    };
    // An index that projects only `attributes` beside the keys.
    let compact = |name: &str, partition: &str, sort: &str, attributes: &[&str]| {
        let projection = Projection::builder()
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(attributes.iter().map(|a| (*a).to_owned()).collect()))
            .build();
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(partition, KeyType::Hash))
            .key_schema(key(sort, KeyType::Range))
            .projection(projection)
            .build()
            .expect("complete")
    };
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
        .attribute_definitions(string_attribute(layout::RECEIVED_INDEX_PARTITION_KEY))
        .attribute_definitions(string_attribute(layout::PHONE_INDEX_PARTITION_KEY))
        .attribute_definitions(string_attribute(layout::INVOICE_INDEX_PARTITION_KEY))
        .attribute_definitions(string_attribute(layout::CORPORATE_NAME_INDEX_PARTITION_KEY))
        .global_secondary_indexes(index(
            layout::STATUS_INDEX,
            layout::STATUS_INDEX_PARTITION_KEY,
            layout::STATUS_INDEX_SORT_KEY,
        ))
        .global_secondary_indexes(index(
            layout::RECEIVED_INDEX,
            layout::RECEIVED_INDEX_PARTITION_KEY,
            layout::RECEIVED_INDEX_SORT_KEY,
        ))
        .global_secondary_indexes(index(
            layout::PHONE_INDEX,
            layout::PHONE_INDEX_PARTITION_KEY,
            layout::PHONE_INDEX_SORT_KEY,
        ))
        .global_secondary_indexes(compact(
            layout::INVOICE_INDEX,
            layout::INVOICE_INDEX_PARTITION_KEY,
            layout::INVOICE_INDEX_SORT_KEY,
            &layout::RELATED_PROJECTION,
        ))
        .global_secondary_indexes(compact(
            layout::CORPORATE_NAME_INDEX,
            layout::CORPORATE_NAME_INDEX_PARTITION_KEY,
            layout::CORPORATE_NAME_INDEX_SORT_KEY,
            &layout::RELATED_PROJECTION,
        ))
        .global_secondary_indexes(compact(
            layout::SEARCH_INDEX,
            layout::SEARCH_INDEX_PARTITION_KEY,
            layout::SEARCH_INDEX_SORT_KEY,
            &layout::SEARCH_PROJECTION,
        ))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
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
    create_audit_table(client, &audit_table_name(table)).await
}

/// Creates the audit table (`pk`, `sk`; no TTL, no stream), as the SAM template does.
pub async fn create_audit_table(client: &Client, table: &str) -> Result<(), Unavailable> {
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(layout::PARTITION_KEY, KeyType::Hash))
        .key_schema(key(layout::SORT_KEY, KeyType::Range))
        .attribute_definitions(string_attribute(layout::PARTITION_KEY))
        .attribute_definitions(string_attribute(layout::SORT_KEY))
        .sse_specification(SseSpecification::builder().enabled(true).build())
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

/// An idempotency item as the plans read it.
fn record_from(item: &Item) -> Result<plan::IdempotencyRecord, Unavailable> {
    layout::idempotency_record_from(|name| string(item, name).map(Into::into))
        .map_err(|e| Unavailable(format!("unreadable idempotency item: {e}")))
}

/// An application item: the layout's attributes and the address's keyed hash.
fn application_of(stored: &StoredApplication, email_key: &crate::keyed::EmailKey) -> Item {
    let mut item = keys(&layout::application_pk(stored.id()), layout::APPLICATION_SORT_KEY);
    for (name, value) in layout::application_attributes(stored) {
        item.insert(name.to_owned(), to_attribute(value));
    }
    item.insert(attr::EMAIL_KEY.to_owned(), s(email_key.as_str()));
    item
}
