//! Retention on DynamoDB: the work list is the `DUE` partition's items whose
//! time has passed (one Query of keys); a retirement deletes the
//! application's own items (history, notes, mails, documents) in
//! transactions of deletions first, the address's reservation if it still
//! names this application, then the application, its due item and its
//! counter in one transaction conditional on the version it read.

use super::{DynamoStore, Item, Sent, cancelled_by, keys, n, s, sdk_unavailable, string};
use crate::domain::{ApplicationId, Status, Timestamp};
use crate::store::Unavailable;
use crate::store::layout::{self, attr};
use crate::store::plan::{self, RetirePlan, RetireRead};
use crate::store::retention::{Due, RetireOutcome, Retirement};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};

impl DynamoStore {
    /// A Delete of the due item, conditional on its being there (two sweeps
    /// must not both move the counter).
    fn due_delete(&self, due: &Due) -> TransactWriteItem {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keys(
                layout::DUE_PARTITION,
                &layout::due_sk(due.at, due.status, due.application_id),
            )))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .build()
            .expect("table and key are set");
        TransactWriteItem::builder().delete(delete).build()
    }

    /// A Delete of the application item, if still at `version`.
    fn application_delete(&self, id: ApplicationId, version: crate::domain::Version) -> TransactWriteItem {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keys(&layout::application_pk(id), layout::APPLICATION_SORT_KEY)))
            .condition_expression("#version = :version")
            .expression_attribute_names("#version", attr::VERSION)
            .expression_attribute_values(":version", n(i64::from(version.get())))
            .build()
            .expect("table and key are set");
        TransactWriteItem::builder().delete(delete).build()
    }

    async fn retire_read(&self, id: ApplicationId) -> Result<(RetireRead, Option<Item>), Unavailable> {
        let Some(item) = self.application_item(id).await? else { return Ok((RetireRead::Gone, None)) };
        if item.contains_key(attr::ERASED_AT) {
            return Ok((RetireRead::Tombstone, Some(item)));
        }
        Ok((RetireRead::Application(Box::new(super::decode_application(&item)?)), Some(item)))
    }
}

#[async_trait]
impl Retirement for DynamoStore {
    async fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<Due>, Unavailable> {
        let (keys, _) = self.past_due_keys(now, limit).await?;
        Ok(keys.iter().filter_map(|sk| due_of(sk)).take(limit).collect())
    }

    async fn retire(&self, due: &Due, now: Timestamp) -> Result<RetireOutcome, Unavailable> {
        let id = due.application_id;
        let (read, item) = self.retire_read(id).await?;
        let plan = match plan::retire(due, read, now) {
            Ok(plan) => plan,
            Err(outcome) => return Ok(outcome),
        };
        // The application's own items first, deletions only: a retirement
        // interrupted here and run again finds fewer and finishes. (An
        // application TTL took first may have left its own.)
        if matches!(plan, RetirePlan::Application { .. } | RetirePlan::Orphan(_)) {
            let pk = layout::application_pk(id);
            let own: Vec<String> = self
                .application_items(id)
                .await?
                .iter()
                .filter_map(|item| string(item, layout::SORT_KEY))
                .filter(|sk| sk != layout::APPLICATION_SORT_KEY)
                .collect();
            self.remove_all(&pk, &own).await?;
        }
        let mut items = Vec::new();
        if let RetirePlan::Application { before, .. } = &plan {
            // The address's reservation, unless a new application holds it by now.
            if let Some(email_key) = item.as_ref().and_then(|item| string(item, attr::EMAIL_KEY)) {
                let result = self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(keys(
                        &format!("{}{email_key}", layout::EMAIL_PREFIX),
                        layout::EMAIL_SORT_KEY,
                    )))
                    .condition_expression("#id = :id")
                    .expression_attribute_names("#id", attr::APPLICATION_ID)
                    .expression_attribute_values(":id", s(&id.to_string()))
                    .send()
                    .await;
                if let Err(error) = result {
                    let taken =
                        error.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception());
                    if !taken {
                        return Err(sdk_unavailable(error));
                    }
                }
            }
            items.push(self.application_delete(id, before.version));
        }
        items.push(self.due_delete(plan.due()));
        items.extend(self.count_updates(&plan.count_changes()));
        match self.send(items).await? {
            Sent::Done => Ok(RetireOutcome::Retired),
            // Another sweep came first, or the application changed: the next sweep looks again.
            Sent::Cancelled(reasons) if super::review::raced(&reasons) => Ok(RetireOutcome::NotDue),
            Sent::Cancelled(reasons) => {
                Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))))
            }
        }
    }
}

/// A due item's entry, from its `sk` (`<epoch>#<status>#<applicationId>`).
fn due_of(sk: &str) -> Option<Due> {
    let mut parts = sk.splitn(3, '#');
    let at = parts.next()?.parse::<i64>().ok().and_then(Timestamp::from_epoch)?;
    let status = Status::parse(parts.next()?)?;
    let application_id = ApplicationId::parse(parts.next()?)?;
    Some(Due { application_id, status, at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_items_key_is_its_entry() {
        let due = Due {
            application_id: ApplicationId::new(time::OffsetDateTime::now_utc()),
            status: Status::Rejected,
            at: Timestamp::from_epoch(1_800_000_000).unwrap(),
        };
        assert_eq!(due_of(&layout::due_sk(due.at, due.status, due.application_id)), Some(due));
        assert_eq!(due_of("nonsense"), None);
    }
}
