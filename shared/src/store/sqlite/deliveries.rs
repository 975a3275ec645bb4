//! Mail records on the SQLite store: the `mails` table, a row inserted in
//! the transaction that sets the mail's marker; a delivery event is one
//! conditional UPDATE (with the application's flag in the same transaction).
//! Locally the outbox is as far as a mail goes, so a record stays `sent`
//! unless an event is fed in (the local server's `/local/ses-events`).

use super::{SqliteStore, insert, row_values, sql_values, unreadable};
use crate::domain::{ApplicationId, MailRecord};
use crate::store::deliveries::{DeliveryOutcome, DeliveryUpdate, SentMail, oldest_first};
use crate::store::layout::{self, attr};
use crate::store::{Deliveries, Unavailable};
use async_trait::async_trait;
use rusqlite::{Connection, TransactionBehavior, params_from_iter};

#[async_trait]
impl Deliveries for SqliteStore {
    async fn record_delivery(&self, update: &DeliveryUpdate) -> Result<DeliveryOutcome, Unavailable> {
        let update = update.clone();
        self.with_connection(move |connection| record_delivery_in(connection, &update)).await
    }

    async fn mails_of(&self, application_id: ApplicationId) -> Result<Vec<MailRecord>, Unavailable> {
        self.with_connection(move |connection| {
            Ok(oldest_first(mails_in(connection, &application_id.to_string())?))
        })
        .await
    }
}

/// Inserts a mail's record (its marker's transaction is the caller's).
pub(super) fn insert_mail(connection: &Connection, sent: &SentMail) -> rusqlite::Result<()> {
    // The row goes when its application does (`purge_in`, erasure), not by a time of its own.
    insert(connection, "INSERT INTO mails", sql_values(layout::mail_attributes(&sent.record))?)
}

fn record_delivery_in(
    connection: &mut Connection,
    update: &DeliveryUpdate,
) -> rusqlite::Result<DeliveryOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changes = layout::delivery_attributes(update);
    let assignments: Vec<String> = changes
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!("{} = ?{}", super::schema::quoted(name), i + 1))
        .collect();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    for (_, value) in changes {
        values.push(match value {
            Some(value) => super::sql_value(value)?,
            None => rusqlite::types::Value::Null,
        });
    }
    let at = values.len();
    values.extend([
        update.application_id.to_string().into(),
        update.mail_id.to_string().into(),
        update.message_id.clone().into(),
        i64::from(update.status.rank()).into(),
    ]);
    // As DynamoDB's condition: the record, for that message, not this far yet.
    let sql = format!(
        r#"UPDATE mails SET {} WHERE "{}" = ?{} AND "{}" = ?{} AND "{}" = ?{} AND "{}" < ?{}"#,
        assignments.join(", "),
        attr::APPLICATION_ID,
        at + 1,
        attr::MAIL_ID,
        at + 2,
        attr::MESSAGE_ID,
        at + 3,
        attr::DELIVERY_RANK,
        at + 4,
    );
    if tx.execute(&sql, params_from_iter(values))? == 0 {
        return Ok(DeliveryOutcome::Ignored);
    }
    if update.flags_problem {
        let flag = super::sql_value(layout::Value::Number(layout::MAIL_PROBLEM.to_owned()))?;
        let sql =
            format!(r#"UPDATE applications SET "{}" = ?1 WHERE "applicationId" = ?2"#, attr::MAIL_PROBLEM);
        let flagged = tx.execute(&sql, rusqlite::params![flag, update.application_id.to_string()])?;
        if flagged == 0 {
            // Erased since: as DynamoDB's transaction, nothing is recorded.
            return Ok(DeliveryOutcome::Ignored);
        }
    }
    tx.commit()?;
    Ok(DeliveryOutcome::Recorded)
}

/// Every mail row of an application.
pub(super) fn mails_in(connection: &Connection, id: &str) -> rusqlite::Result<Vec<MailRecord>> {
    let mut statement = connection.prepare(r#"SELECT * FROM mails WHERE "applicationId" = ?1"#)?;
    let rows = statement.query_map([id], |row| {
        let values = row_values(row)?;
        layout::mail_from(|name| values.get(name).map(|v| v.as_str().into())).map_err(unreadable)
    })?;
    rows.collect()
}
