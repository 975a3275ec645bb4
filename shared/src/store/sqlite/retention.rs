//! Retention on the SQLite store: the work list is the counted applications
//! whose end has passed (their rows: SQLite keeps no separate entries), and
//! a retirement deletes the application and every row under it and moves
//! its status's counter, in one IMMEDIATE transaction carrying out
//! [`plan::retire`].

use super::{SqliteStore, read_applications, schema};
use crate::domain::{ApplicationId, Status, Timestamp};
use crate::store::Unavailable;
use crate::store::layout::attr;
use crate::store::plan::{self, RetirePlan, RetireRead};
use crate::store::retention::{Due, RetireOutcome, Retirement};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

#[async_trait]
impl Retirement for SqliteStore {
    async fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<Due>, Unavailable> {
        self.with_connection(move |connection| due_in(connection, now, limit)).await
    }

    async fn retire(&self, due: &Due, now: Timestamp) -> Result<RetireOutcome, Unavailable> {
        let due = *due;
        self.with_connection(move |connection| retire_in(connection, &due, now)).await
    }
}

fn due_in(connection: &Connection, now: Timestamp, limit: usize) -> rusqlite::Result<Vec<Due>> {
    let counted: Vec<String> = Status::ALL
        .into_iter()
        .filter(|status| plan::counted(*status))
        .map(|status| format!("'{}'", status.as_str()))
        .collect();
    let sql = format!(
        r#"SELECT "applicationId", "status", "expiresAt" FROM applications
           WHERE "expiresAt" < ?1 AND "status" IN ({}) ORDER BY "expiresAt" LIMIT ?2"#,
        counted.join(", ")
    );
    let mut statement = connection.prepare(&sql)?;
    let rows = statement
        .query_map(params![now.epoch(), i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?))
        })?;
    let mut entries = Vec::new();
    for row in rows {
        let (id, status, at) = row?;
        if let (Some(application_id), Some(status), Some(at)) =
            (ApplicationId::parse(&id), Status::parse(&status), Timestamp::from_epoch(at))
        {
            entries.push(Due { application_id, status, at });
        }
    }
    Ok(entries)
}

fn retire_in(connection: &mut Connection, due: &Due, now: Timestamp) -> rusqlite::Result<RetireOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = due.application_id.to_string();
    // Whatever its expiry: the plan compares it with the entry.
    let stored = read_applications(&tx, r#"WHERE "applicationId" = ?1"#, params![id])?.pop();
    let erased = tx
        .query_row(r#"SELECT 1 FROM erased WHERE "applicationId" = ?1"#, [&id], |_| Ok(()))
        .optional()?
        .is_some();
    let read = match stored {
        Some(stored) => RetireRead::Application(Box::new(stored)),
        None if erased => RetireRead::Tombstone,
        // Here the row is the entry: gone with it (another purge came first).
        None => return Ok(RetireOutcome::NotDue),
    };
    let plan = match plan::retire(due, read, now) {
        Ok(plan) => plan,
        Err(outcome) => return Ok(outcome),
    };
    if let RetirePlan::Application { before, .. } = &plan {
        for table in ["history", "notes", "mails", "documents", "document_requests", "tokens"] {
            tx.execute(&format!(r#"DELETE FROM {table} WHERE "applicationId" = ?1"#), [&id])?;
        }
        // The row holds the address's reservation (its `emailKey`): both go.
        let deleted = tx.execute(
            &format!(
                r#"DELETE FROM applications WHERE "applicationId" = ?1 AND {} = ?2"#,
                schema::quoted(attr::VERSION)
            ),
            params![id, before.version.get()],
        )?;
        if deleted == 0 {
            return Ok(RetireOutcome::NotDue);
        }
    }
    // No entry of its own to delete: the row was the entry.
    super::review::apply_counts(&tx, &plan.count_changes())?;
    tx.commit()?;
    Ok(RetireOutcome::Retired)
}
