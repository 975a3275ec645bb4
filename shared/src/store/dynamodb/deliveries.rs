//! Mail records on DynamoDB: an item `MAIL#<mailId>` under its application's
//! `pk`, put in the transaction that sets the mail's marker; a delivery
//! event is one conditional UpdateItem of that item (found by its key: the
//! SES tags name the application and the mail), or, when it flags the
//! application, a transaction of that update and the application's flag.
//! Neither reads first.

use super::review::{item_of, transact_update};
use super::{DynamoStore, Sent, cancelled_by, keys, n, s, string};
use crate::domain::{ApplicationId, MailRecord};
use crate::store::deliveries::{DeliveryOutcome, DeliveryUpdate, SentMail, oldest_first};
use crate::store::layout::{self, attr};
use crate::store::{Deliveries, Unavailable};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

/// The record exists, names the event's message, and has not reached this
/// status's rank (events arrive in any order, and at least once).
const MOVES_FORWARD: &str = "attribute_exists(#pk) AND #message = :message AND #rank < :rank";

impl DynamoStore {
    /// The Put of a new mail record (its marker's transaction makes it once).
    pub(super) fn mail_put(&self, sent: &SentMail) -> TransactWriteItem {
        let record = &sent.record;
        let mut attributes = layout::mail_attributes(record);
        // A rejected application's records go with it, by the same TTL.
        if let Some(expires) = sent.expires_at {
            attributes.push((attr::EXPIRES_AT, layout::Value::Number(expires.epoch().to_string())));
        }
        let item = item_of(
            &layout::application_pk(record.application_id),
            &layout::mail_sk(&record.mail_id),
            attributes,
        );
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .build()
            .expect("table and item are set");
        TransactWriteItem::builder().put(put).build()
    }

    fn delivery_update(&self, update: &DeliveryUpdate) -> Update {
        let mut set = Vec::new();
        let mut remove = Vec::new();
        let mut builder = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys(
                &layout::application_pk(update.application_id),
                &layout::mail_sk(&update.mail_id),
            )))
            .condition_expression(MOVES_FORWARD)
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .expression_attribute_names("#message", attr::MESSAGE_ID)
            .expression_attribute_names("#rank", attr::DELIVERY_RANK)
            .expression_attribute_values(":message", s(&update.message_id))
            .expression_attribute_values(":rank", n(i64::from(update.status.rank())));
        for (index, (name, value)) in layout::delivery_attributes(update).into_iter().enumerate() {
            builder = builder.expression_attribute_names(format!("#a{index}"), name);
            match value {
                Some(value) => {
                    set.push(format!("#a{index} = :a{index}"));
                    builder =
                        builder.expression_attribute_values(format!(":a{index}"), super::to_attribute(value));
                }
                None => remove.push(format!("#a{index}")),
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        builder.update_expression(expression).build().expect("table, key and expression are set")
    }

    /// The application's flag: only on a live application item (a tombstone
    /// has no `status`), never creating one.
    fn problem_flag(&self, application_id: ApplicationId) -> Update {
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys(&layout::application_pk(application_id), layout::APPLICATION_SORT_KEY)))
            .update_expression("SET #problem = :problem")
            .condition_expression("attribute_exists(#status)")
            .expression_attribute_names("#problem", attr::MAIL_PROBLEM)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":problem", n(1))
            .build()
            .expect("table, key and expression are set")
    }

    /// The mail ids among an application's items (an erasure's read).
    pub(super) fn mail_ids_in(items: &[super::Item]) -> Vec<crate::domain::MailId> {
        items
            .iter()
            .filter_map(|item| string(item, layout::SORT_KEY))
            .filter_map(|sk| sk.strip_prefix(layout::MAIL_SORT_PREFIX).and_then(crate::domain::MailId::parse))
            .collect()
    }
}

#[async_trait]
impl Deliveries for DynamoStore {
    async fn record_delivery(&self, update: &DeliveryUpdate) -> Result<DeliveryOutcome, Unavailable> {
        // One item or two, all or nothing: a transaction either way (mail
        // events are few; one code path is worth the second write unit).
        let mut items = vec![transact_update(self.delivery_update(update))];
        if update.flags_problem {
            items.push(transact_update(self.problem_flag(update.application_id)));
        }
        match self.send(items).await? {
            Sent::Done => Ok(DeliveryOutcome::Recorded),
            // Unknown, resent since, already this far, or the application erased.
            Sent::Cancelled(reasons)
                if reasons
                    .iter()
                    .all(|r| matches!(r.code(), Some("ConditionalCheckFailed" | "None") | None)) =>
            {
                Ok(DeliveryOutcome::Ignored)
            }
            Sent::Cancelled(reasons) => {
                Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))))
            }
        }
    }

    async fn mails_of(&self, application_id: ApplicationId) -> Result<Vec<MailRecord>, Unavailable> {
        let items = self.prefixed_items(application_id, layout::MAIL_SORT_PREFIX).await?;
        let mails = items
            .iter()
            .map(|item| layout::mail_from(|name| string(item, name).map(Into::into)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Unavailable(format!("unreadable mail record: {e}")))?;
        Ok(oldest_first(mails))
    }
}
