//! The embedded store for local runs: one SQLite file (WAL, synchronous=FULL)
//! with the same semantics as DynamoDB. Uniqueness is enforced by the database
//! (primary keys and UNIQUE constraints), idempotency and duplicates are
//! decided inside one IMMEDIATE transaction, so concurrent submissions, even from
//! several processes sharing the file, behave like the DynamoDB transaction.
//! Columns are named after the DynamoDB attributes ([`layout`]).

mod deliveries;
mod desk;
mod documents;
mod intake;
mod retention;
mod review;
mod schema;

use super::layout::{self, Value, attr};
use super::plan;
use super::{
    ConfirmOutcome, Counter, Intake, MailLedger, Notice, StoredApplication, Submission, SubmitOutcome,
    TokenState, Tooling, Unavailable,
};
use crate::domain::{ApplicationId, Field, HistoryEntry, NoticeId, Status, Timestamp, Version};
use crate::domain::{MailEvent, MailKind, MailSubject};
use crate::keyed::TokenHash;
use async_trait::async_trait;
use rusqlite::config::DbConfig;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The database file inside the data directory.
pub const FILE_NAME: &str = "applications.sqlite3";

pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) `applications.sqlite3` in `data_dir`.
    pub fn open_dir(data_dir: &Path) -> Result<Self, Unavailable> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Unavailable(format!("cannot create {}: {e}", data_dir.display())))?;
        Self::open(&data_dir.join(FILE_NAME))
    }

    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, Unavailable> {
        let connection = Connection::open(path).map_err(unavailable)?;
        connection.busy_timeout(Duration::from_secs(5)).map_err(unavailable)?;
        // A misspelt "column" must be an error, not a string literal (SQLite's
        // legacy double-quoted-string quirk), since every name here is quoted.
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false).map_err(unavailable)?;
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false).map_err(unavailable)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(unavailable)?;
        // Acknowledged means on disk, even after a power loss.
        connection.pragma_update(None, "synchronous", "FULL").map_err(unavailable)?;
        // Deleted content is overwritten, not left in free pages: an erased
        // application leaves nothing readable in the file.
        connection.pragma_update(None, "secure_delete", "ON").map_err(unavailable)?;
        schema::prepare(&connection).map_err(unavailable)?;
        Ok(SqliteStore { connection: Arc::new(Mutex::new(connection)), path: path.to_owned() })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes every record whose time has passed, as DynamoDB's TTL does on
    /// AWS (reads already ignore them): idempotency records, unverified
    /// applications past their link's expiry with their tokens, rejected
    /// applications past their retention with their history, used tokens,
    /// notices and rate-limit counters. Returns how many. The local server
    /// calls it at start and once a day.
    pub async fn purge_expired(&self) -> Result<usize, Unavailable> {
        let now = now().epoch();
        self.with_connection(move |connection| {
            let purged = intake::purge_in(connection, now)?;
            // What was deleted must leave the log too, not only the file.
            checkpoint(connection)?;
            Ok(purged)
        })
        .await
    }

    /// Runs `work` on the connection off the async runtime.
    async fn with_connection<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, Unavailable> {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            let mut connection = connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut connection)
        })
        .await
        .map_err(|e| Unavailable(format!("storage task failed: {e}")))?
        .map_err(unavailable)
    }
}

/// Copies the write-ahead log into the (securely overwritten) file and empties
/// it, so deleted pages are nowhere on disk. A reader in the middle of a read
/// keeps the log busy; the checkpoint waits for it as long as the busy
/// timeout (5 s), then says so, and that is reported (never ignored): the
/// caller answers 503, and a retry checkpoints again.
fn checkpoint(connection: &Connection) -> rusqlite::Result<()> {
    // (busy, frames in the log, frames checkpointed)
    let busy: i64 = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
    if busy == 0 {
        return Ok(());
    }
    Err(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
        Some(
            "the write-ahead log stayed busy: deleted data may remain in it until the next checkpoint".into(),
        ),
    ))
}

fn unavailable(error: rusqlite::Error) -> Unavailable {
    Unavailable(format!("sqlite: {error}"))
}

fn now() -> Timestamp {
    Timestamp::now()
}

/// The live idempotency record under `key`, if any.
fn read_record(
    connection: &Connection,
    key: &plan::RecordKey<'_>,
    now: i64,
) -> rusqlite::Result<Option<plan::IdempotencyRecord>> {
    read_record_text(connection, &key.text(), now)
}

fn read_record_text(
    connection: &Connection,
    key: &str,
    now: i64,
) -> rusqlite::Result<Option<plan::IdempotencyRecord>> {
    let record = connection
        .query_row(
            r#"SELECT "applicationId", "requestHash", "responseStatus", "responseBody", "noticeId", "expiresAt"
               FROM idempotency WHERE "key" = ?1 AND "expiresAt" >= ?2"#,
            params![key, now],
            |row| {
                let values = row_values(row)?;
                Ok(layout::idempotency_record_from(|name| values.get(name).map(|v| v.as_str().into())))
            },
        )
        .optional()?;
    record.transpose().map_err(unreadable)
}

/// Writes an idempotency record under `key` (replacing an expired one).
fn write_record(
    connection: &Connection,
    key: &plan::RecordKey<'_>,
    record: &plan::IdempotencyRecord,
) -> rusqlite::Result<()> {
    let mut attributes = layout::idempotency_attributes(record);
    if record.response_body.is_none() {
        // The column is NOT NULL since its first version: no body is ''.
        attributes.push((attr::RESPONSE_BODY, Value::Text(String::new())));
    }
    let mut row = vec![(schema::KEY, key.text().into())];
    row.extend(sql_values(attributes)?);
    insert(connection, "INSERT OR REPLACE INTO idempotency", row)
}

/// A layout's value as SQLite stores it: a number as INTEGER, text as TEXT.
fn sql_value(value: Value) -> rusqlite::Result<SqlValue> {
    Ok(match value {
        Value::Text(text) => text.into(),
        Value::Number(digits) => {
            digits.parse::<i64>().map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?.into()
        }
    })
}

fn sql_values(attributes: Vec<(&'static str, Value)>) -> rusqlite::Result<Vec<(&'static str, SqlValue)>> {
    attributes.into_iter().map(|(name, value)| Ok((name, sql_value(value)?))).collect()
}

/// `head (columns…) VALUES (?, …)`, `head` being the statement's literal
/// start (`INSERT INTO history`). Dynamic because the columns are whichever
/// attributes the layout writes for the item (a blank optional field has none).
fn insert(connection: &Connection, head: &str, row: Vec<(&str, SqlValue)>) -> rusqlite::Result<()> {
    let columns: Vec<String> = row.iter().map(|(name, _)| schema::quoted(name)).collect();
    let placeholders = vec!["?"; row.len()].join(", ");
    let sql = format!("{head} ({}) VALUES ({placeholders})", columns.join(", "));
    connection.execute(&sql, rusqlite::params_from_iter(row.into_iter().map(|(_, value)| value)))?;
    Ok(())
}

/// Inserts a new application row: the layout's attributes, the address's
/// key, the link's token hash and the mails already sent.
fn insert_application(
    tx: &Transaction<'_>,
    stored: &StoredApplication,
    email_key: &str,
    token_hash: Option<&str>,
    sent: &[(MailKind, Timestamp)],
) -> rusqlite::Result<()> {
    let mut row: Vec<(&str, SqlValue)> = vec![
        (attr::EMAIL_KEY, email_key.to_owned().into()),
        (attr::TOKEN_HASH, token_hash.map(str::to_owned).into()),
    ];
    for (kind, at) in sent {
        row.push((layout::mail_sent_attribute(*kind), at.to_string().into()));
    }
    row.extend(sql_values(layout::application_attributes(stored))?);
    insert(tx, "INSERT INTO applications", row)
}

/// Moves an application from `before` to `after` ([`layout::lifecycle_attributes`])
/// if it is still at `before`'s version and in one of `from`. False if not.
fn update_lifecycle(
    tx: &Connection,
    before: &StoredApplication,
    after: &StoredApplication,
    from: &[Status],
    at: Timestamp,
) -> rusqlite::Result<bool> {
    update_application(tx, before, layout::lifecycle_attributes(after, at), from)
}

/// Writes `attributes` over the application of `before` (`None` empties a
/// column) if it is still at `before`'s version and in one of `from`. False
/// if not. Dynamic because the layout decides which attributes a change writes.
fn update_application(
    tx: &Connection,
    before: &StoredApplication,
    attributes: Vec<(&'static str, Option<Value>)>,
    from: &[Status],
) -> rusqlite::Result<bool> {
    let mut sets = Vec::new();
    let mut values: Vec<SqlValue> = Vec::new();
    for (name, value) in attributes {
        sets.push(format!("{} = ?", schema::quoted(name)));
        values.push(match value {
            Some(value) => sql_value(value)?,
            None => SqlValue::Null,
        });
    }
    values.push(before.id().to_string().into());
    values.push(i64::from(before.version.get()).into());
    values.extend(from.iter().map(|status| SqlValue::from(status.as_str().to_owned())));
    let mut sql = format!("UPDATE applications SET {}", sets.join(", "));
    sql.push_str(r#" WHERE "applicationId" = ? AND "version" = ? AND "status" IN ("#);
    sql.push_str(&vec!["?"; from.len()].join(", "));
    sql.push(')');
    let changed = tx.execute(&sql, rusqlite::params_from_iter(values))?;
    Ok(changed == 1)
}

/// Reads application rows with every layout column ([`layout::APPLICATION_STATE`]
/// and the kept fields), as the layout's decoder wants them. `condition` is
/// the rest of the statement (`WHERE …`).
fn read_applications(
    connection: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<StoredApplication>> {
    let columns: Vec<String> = layout::APPLICATION_STATE
        .into_iter()
        .chain(Field::kept().map(Field::key))
        .map(schema::quoted)
        .collect();
    let sql = format!("SELECT {} FROM applications {condition}", columns.join(", "));
    let mut statement = connection.prepare(&sql)?;
    let rows = statement.query_map(params, |row| {
        let values = row_values(row)?;
        layout::stored_application_from(|name| values.get(name).map(|v| v.as_str().into()))
            .map_err(unreadable)
    })?;
    rows.collect()
}

/// The live application `id` (unverified ones past their link's expiry and
/// rejected ones past their retention are absent).
fn application_by_id(connection: &Connection, id: &str) -> rusqlite::Result<Option<StoredApplication>> {
    let condition = r#"WHERE "applicationId" = ?1 AND ("expiresAt" IS NULL OR "expiresAt" >= ?2)"#;
    Ok(read_applications(connection, condition, params![id, now().epoch()])?.pop())
}

/// A row's columns as the layout's decoders read attributes, by the names the
/// statement gives them: integers as their digits, text as is, NULL absent.
/// SQLite names a result column that is a plain column reference after the
/// table's column, so a SELECT's own list is the only list of what it reads.
fn row_values<'r>(row: &'r rusqlite::Row<'_>) -> rusqlite::Result<HashMap<&'r str, String>> {
    let statement = row.as_ref();
    let mut values = HashMap::with_capacity(statement.column_count());
    for index in 0..statement.column_count() {
        let value = match row.get_ref(index)? {
            rusqlite::types::ValueRef::Integer(n) => Some(n.to_string()),
            rusqlite::types::ValueRef::Text(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        };
        if let Some(value) = value {
            values.insert(statement.column_name(index)?, value);
        }
    }
    Ok(values)
}

/// A row the layout cannot read back (its error names attributes, not values).
fn unreadable(error: layout::LayoutError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(error))
}

#[async_trait]
impl Intake for SqliteStore {
    async fn submit(&self, submission: &Submission) -> Result<SubmitOutcome, Unavailable> {
        let submission = submission.clone();
        self.with_connection(move |connection| intake::submit_in(connection, &submission)).await
    }

    async fn token(&self, token: &TokenHash) -> Result<TokenState, Unavailable> {
        let token = token.as_str().to_owned();
        self.with_connection(move |connection| intake::token_in(connection, &token)).await
    }

    async fn confirm(&self, token: &TokenHash) -> Result<ConfirmOutcome, Unavailable> {
        let token = token.as_str().to_owned();
        self.with_connection(move |connection| intake::confirm_in(connection, &token)).await
    }

    async fn admit(&self, counter: &Counter) -> Result<bool, Unavailable> {
        let counter = counter.clone();
        self.with_connection(move |connection| intake::admit_in(connection, &counter)).await
    }
}

#[async_trait]
impl MailLedger for SqliteStore {
    async fn mail_sent(&self, subject: MailSubject, kind: MailKind) -> Result<bool, Unavailable> {
        if !subject.carries(kind) {
            return Ok(false);
        }
        self.with_connection(move |connection| intake::mail_sent_in(connection, subject, kind)).await
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
        let now = now().to_string();
        let sent = sent.cloned();
        self.with_connection(move |connection| {
            // The marker and the record together: a mail marked sent has its record.
            let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let marked = intake::mark_mail_sent_in(&tx, subject, kind, &now)?;
            if marked && let Some(sent) = &sent {
                deliveries::insert_mail(&tx, sent)?;
            }
            tx.commit()?;
            Ok(marked)
        })
        .await
    }

    async fn get(&self, application_id: ApplicationId) -> Result<Option<StoredApplication>, Unavailable> {
        let id = application_id.to_string();
        self.with_connection(move |connection| application_by_id(connection, &id)).await
    }

    async fn notice(&self, notice_id: NoticeId) -> Result<Option<Notice>, Unavailable> {
        self.with_connection(move |connection| intake::notice_in(connection, notice_id)).await
    }

    async fn history_entry(
        &self,
        application_id: ApplicationId,
        version: Version,
    ) -> Result<Option<HistoryEntry>, Unavailable> {
        self.with_connection(move |connection| review::history_entry_in(connection, application_id, version))
            .await
    }
}

#[async_trait]
impl Tooling for SqliteStore {
    async fn import(&self, applications: &[super::Imported]) -> Result<(), Unavailable> {
        let applications = applications.to_vec();
        self.with_connection(move |connection| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for imported in &applications {
                let stored = &imported.stored;
                let verified = stored.verified_at.unwrap_or(stored.receipt.received_at);
                let sent: Vec<(MailKind, Timestamp)> =
                    plan::imported_mails(stored).iter().map(|kind| (*kind, verified)).collect();
                insert_application(&tx, stored, imported.email_key.as_str(), None, &sent)?;
                if let Some(code) = stored.partner_code {
                    tx.execute(
                        r#"INSERT INTO partner_codes ("partnerCode", "applicationId") VALUES (?1, ?2)"#,
                        params![code.as_str(), stored.id().to_string()],
                    )?;
                }
            }
            review::apply_counts(&tx, &plan::imported_counts(&applications))?;
            tx.commit()
        })
        .await
    }

    async fn recount(&self) -> Result<super::Recounted, Unavailable> {
        self.with_connection(|connection| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let recounted = review::recount_in(&tx)?;
            tx.commit()?;
            Ok(recounted)
        })
        .await
    }

    async fn idempotency_record(
        &self,
        key: &plan::RecordKey<'_>,
    ) -> Result<Option<plan::IdempotencyRecord>, Unavailable> {
        let key = key.text();
        self.with_connection(move |connection| read_record_text(connection, &key, now().epoch())).await
    }

    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
    ) -> Result<Vec<StoredApplication>, Unavailable> {
        let status = status.as_str();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_connection(move |connection| {
            let condition = r#"WHERE "status" = ?1 AND ("expiresAt" IS NULL OR "expiresAt" >= ?3)
                               ORDER BY "receivedAt" DESC, "applicationId" DESC LIMIT ?2"#;
            read_applications(connection, condition, params![status, limit, now().epoch()])
        })
        .await
    }

    async fn pending_mail(&self) -> Result<Vec<MailEvent>, Unavailable> {
        self.with_connection(|connection| intake::pending_in(connection)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file made by the version before the lifecycle opens, and its
    /// applications read back as received, version 1.
    #[test]
    fn an_earlier_file_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                r#"CREATE TABLE applications ("applicationId" TEXT PRIMARY KEY, "receptionNumber" TEXT NOT NULL UNIQUE,
                   "emailKey" TEXT NOT NULL UNIQUE, "status" TEXT NOT NULL, "receivedAt" TEXT NOT NULL,
                   "updatedAt" TEXT NOT NULL, "termsAgreedAt" TEXT NOT NULL, "acknowledgementSentAt" TEXT,
                   "operatorNoticeSentAt" TEXT, "email" TEXT) STRICT;
                   INSERT INTO applications VALUES ('01KB5Q9Z8E4M7T3W6X2C9HJ5RA', 'PR-7A3C-K9XE', 'k', 'received',
                   '2026-11-28T18:30:05+09:00', '2026-11-28T18:30:05+09:00', '2026-11-28T18:30:05+09:00', NULL, NULL,
                   'a@example.com');"#,
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).expect("migrated");
        let connection = store.connection.lock().unwrap();
        let (status, version): (String, i64) = connection
            .query_row(r#"SELECT "status", "version" FROM applications"#, [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap();
        assert_eq!((status.as_str(), version), ("received", 1));
        let search: String =
            connection.query_row(r#"SELECT "searchText" FROM applications"#, [], |row| row.get(0)).unwrap();
        assert_eq!(search, layout::search_text_from(|_| None), "given its search text by the layout's rule");
        for table in ["tokens", "notices", "counters", "idempotency"] {
            let count: i64 =
                connection.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get(0)).unwrap();
            assert_eq!(count, 0, "{table} exists");
        }
    }
}

#[cfg(test)]
mod audit_tests {
    use super::*;
    use crate::domain::{Actor, AuditAction, AuditEntry};
    use crate::store::Review;

    /// Not even a statement written by hand changes or deletes an entry.
    #[tokio::test]
    async fn the_audit_refuses_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        let entry = AuditEntry::now(Actor::parse("op@example.com").unwrap(), AuditAction::SignIn, None);
        store.append_audit(&entry).await.unwrap();
        let connection = store.connection.lock().unwrap();
        for sql in [r#"UPDATE audit SET "actor" = 'someone else'"#, "DELETE FROM audit"] {
            let error = connection.execute(sql, []).unwrap_err();
            assert!(error.to_string().contains("append-only"), "{sql}: {error}");
        }
        let count: i64 = connection.query_row("SELECT count(*) FROM audit", [], |row| row.get(0)).unwrap();
        assert_eq!(count, 1);
    }
}

#[cfg(test)]
mod purge_tests {
    use super::*;

    /// An idempotency record for `key` that expires at `expires_at` (epoch seconds).
    fn insert(store: &SqliteStore, key: &str, expires_at: i64) {
        let connection = store.connection.lock().unwrap();
        let insert = format!(
            "INSERT INTO idempotency (key, \"{}\", \"{}\", \"{}\", \"{}\") VALUES (?1, 'hash', 201, '{{}}', ?2)",
            attr::REQUEST_HASH,
            attr::RESPONSE_STATUS,
            attr::RESPONSE_BODY,
            attr::EXPIRES_AT
        );
        connection.execute(&insert, params![key, expires_at]).unwrap();
    }

    fn keys(store: &SqliteStore) -> Vec<String> {
        let connection = store.connection.lock().unwrap();
        let mut query = connection.prepare("SELECT key FROM idempotency ORDER BY key").unwrap();
        query.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
    }

    #[tokio::test]
    async fn purge_expired_deletes_only_records_whose_time_has_passed() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        let now = now().epoch();
        insert(&store, "expired-long-ago", now - 86_400);
        insert(&store, "expired-just-now", now - 1);
        insert(&store, "live", now + 3_600);
        assert_eq!(store.purge_expired().await.unwrap(), 2);
        assert_eq!(keys(&store), ["live"]);
        // What the sweep deleted is not left in the write-ahead log either.
        let log = dir.path().join(format!("{FILE_NAME}-wal"));
        assert_eq!(std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0), 0, "the log is emptied");
        assert_eq!(store.purge_expired().await.unwrap(), 0, "nothing left to purge");
    }

    /// A file from before the counts gains their table, counted, when it is
    /// opened; a recount repairs a wrong row, and a second changes nothing.
    #[tokio::test]
    async fn the_counts_are_made_for_an_older_file_and_repaired_by_a_recount() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        let received = r#"UPDATE status_counts SET "count" = 7 WHERE "status" = 'received'"#;
        {
            let connection = store.connection.lock().unwrap();
            connection.execute_batch("DROP TABLE status_counts").unwrap();
        }
        drop(store);
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        let rows: i64 = {
            let connection = store.connection.lock().unwrap();
            let rows = connection.query_row("SELECT count(*) FROM status_counts", [], |row| row.get(0));
            connection.execute_batch(received).unwrap();
            rows.unwrap()
        };
        assert_eq!(rows, 5, "one row per counted status");
        let recounted = store.recount().await.unwrap();
        assert_eq!(recounted.before.get(Status::Received), 7);
        assert_eq!(recounted.after, crate::store::StatusCounts::default());
        let again = store.recount().await.unwrap();
        assert_eq!(again.before, again.after);
    }
}
