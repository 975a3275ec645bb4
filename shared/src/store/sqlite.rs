//! The embedded store for local runs: one SQLite file (WAL, synchronous=FULL)
//! with the same semantics as DynamoDB. Uniqueness is enforced by the database
//! (primary keys and UNIQUE constraints), idempotency and duplicates are
//! decided inside one IMMEDIATE transaction, so concurrent submissions, even from
//! several processes sharing the file, behave like the DynamoDB transaction.
//! Columns are named after the DynamoDB attributes ([`layout`]).

use super::layout::{self, Value, attr};
use super::{Store, StoredApplication, Submission, SubmitOutcome, Unavailable};
use crate::domain::{ApplicationId, Field, ReceivedAt, Status};
use crate::mail::MailKind;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The database file inside the data directory.
pub const FILE_NAME: &str = "applications.sqlite3";

/// The email-uniqueness column: the same hash as the DynamoDB key.
const EMAIL_KEY: &str = "emailKey";

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
        connection.pragma_update(None, "journal_mode", "WAL").map_err(unavailable)?;
        // Acknowledged means on disk, even after a power loss.
        connection.pragma_update(None, "synchronous", "FULL").map_err(unavailable)?;
        connection.execute_batch(&schema()).map_err(unavailable)?;
        Ok(SqliteStore { connection: Arc::new(Mutex::new(connection)), path: path.to_owned() })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes the idempotency records whose time has passed, as DynamoDB's TTL
    /// does on AWS (reads already ignore them), and returns how many. The local
    /// server calls it at start and once a day.
    pub async fn purge_expired(&self) -> Result<usize, Unavailable> {
        let now = now_epoch();
        let delete = format!("DELETE FROM idempotency WHERE \"{}\" < ?1", attr::EXPIRES_AT);
        self.with_connection(move |connection| connection.execute(&delete, params![now])).await
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

fn unavailable(error: rusqlite::Error) -> Unavailable {
    Unavailable(format!("sqlite: {error}"))
}

fn schema() -> String {
    let fields: String = Field::kept()
        .map(|field| {
            let kind = if layout::is_numeric(field) { "INTEGER" } else { "TEXT" };
            format!("    \"{}\" {kind},\n", field.key())
        })
        .collect();
    format!(
        r#"
CREATE TABLE IF NOT EXISTS applications (
    "{id}" TEXT PRIMARY KEY,
    "{reception}" TEXT NOT NULL UNIQUE,
    "{email_key}" TEXT NOT NULL UNIQUE,
    "{status}" TEXT NOT NULL,
    "{received_at}" TEXT NOT NULL,
    "{updated_at}" TEXT NOT NULL,
    "{terms}" TEXT NOT NULL,
    "{ack}" TEXT,
    "{notice}" TEXT,
{fields}    CHECK ("{email}" IS NOT NULL)
) STRICT;
CREATE INDEX IF NOT EXISTS "{index}" ON applications ("{status}", "{received_at}");
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    "{hash}" TEXT NOT NULL,
    "{response_status}" INTEGER NOT NULL,
    "{response_body}" TEXT NOT NULL,
    "{expires_at}" INTEGER NOT NULL
) STRICT;
"#,
        id = attr::APPLICATION_ID,
        reception = attr::RECEPTION_NUMBER,
        email_key = EMAIL_KEY,
        status = attr::STATUS,
        received_at = attr::RECEIVED_AT,
        updated_at = attr::UPDATED_AT,
        terms = attr::TERMS_AGREED_AT,
        ack = attr::ACKNOWLEDGEMENT_SENT_AT,
        notice = attr::OPERATOR_NOTICE_SENT_AT,
        email = Field::Email.key(),
        index = layout::STATUS_INDEX,
        hash = attr::REQUEST_HASH,
        response_status = attr::RESPONSE_STATUS,
        response_body = attr::RESPONSE_BODY,
        expires_at = attr::EXPIRES_AT,
    )
}

fn now_epoch() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn submit_in(connection: &mut Connection, submission: &Submission) -> rusqlite::Result<SubmitOutcome> {
    let now = now_epoch();
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;

    let previous: Option<(String, String)> = tx
        .query_row(
            &format!(
                "SELECT \"{}\", \"{}\" FROM idempotency WHERE key = ?1 AND \"{}\" >= ?2",
                attr::REQUEST_HASH,
                attr::RESPONSE_BODY,
                attr::EXPIRES_AT
            ),
            params![submission.idempotency_key.as_str(), now],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    if let Some((request_hash, response_body)) = previous {
        return Ok(if request_hash == submission.request_hash {
            SubmitOutcome::Replayed { response_body }
        } else {
            SubmitOutcome::KeyReused
        });
    }

    let email_key = layout::email_pk(&submission.application);
    let exists = |column: &str, value: &str| -> rusqlite::Result<bool> {
        tx.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM applications WHERE \"{column}\" = ?1)"),
            [value],
            |row| row.get(0),
        )
    };
    if exists(EMAIL_KEY, &email_key)? {
        return Ok(SubmitOutcome::DuplicateEmail);
    }
    if exists(attr::RECEPTION_NUMBER, submission.receipt.reception_number.as_str())? {
        return Ok(SubmitOutcome::ReceptionNumberTaken);
    }

    let stored =
        StoredApplication { receipt: submission.receipt, application: submission.application.clone() };
    let attributes = layout::application_attributes(&stored);
    let mut columns: Vec<String> = vec![format!("\"{EMAIL_KEY}\"")];
    let mut values: Vec<rusqlite::types::Value> = vec![email_key.into()];
    for (name, value) in attributes {
        columns.push(format!("\"{name}\""));
        values.push(match value {
            Value::Text(text) => text.into(),
            Value::Number(digits) => digits
                .parse::<i64>()
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?
                .into(),
        });
    }
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
    tx.execute(
        &format!("INSERT INTO applications ({}) VALUES ({})", columns.join(", "), placeholders.join(", ")),
        rusqlite::params_from_iter(values),
    )?;
    tx.execute(
        &format!(
            "INSERT OR REPLACE INTO idempotency (key, \"{}\", \"{}\", \"{}\", \"{}\") VALUES (?1, ?2, 201, ?3, ?4)",
            attr::REQUEST_HASH,
            attr::RESPONSE_STATUS,
            attr::RESPONSE_BODY,
            attr::EXPIRES_AT
        ),
        params![
            submission.idempotency_key.as_str(),
            submission.request_hash,
            submission.response_body,
            now + layout::IDEMPOTENCY_TTL_SECS
        ],
    )?;
    tx.commit()?;
    Ok(SubmitOutcome::Created { response_body: submission.response_body.clone() })
}

/// Reads application rows with every layout column, as the layout's decoder wants them.
fn read_applications(
    connection: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<StoredApplication>> {
    let mut columns =
        vec![attr::APPLICATION_ID, attr::RECEPTION_NUMBER, attr::RECEIVED_AT, attr::TERMS_AGREED_AT];
    columns.extend(Field::kept().map(Field::key));
    let select: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let sql = format!("SELECT {} FROM applications {condition}", select.join(", "));
    let mut statement = connection.prepare(&sql)?;
    let rows = statement.query_map(params, |row| {
        let mut values = std::collections::HashMap::with_capacity(columns.len());
        for (index, column) in columns.iter().enumerate() {
            let value: Option<String> = match row.get_ref(index)? {
                rusqlite::types::ValueRef::Integer(n) => Some(n.to_string()),
                rusqlite::types::ValueRef::Text(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
                _ => None,
            };
            if let Some(value) = value {
                values.insert(*column, value);
            }
        }
        layout::stored_application_from(|name| values.get(name).map(|v| v.as_str().into())).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
    })?;
    rows.collect()
}

#[async_trait]
impl Store for SqliteStore {
    async fn submit(&self, submission: &Submission) -> Result<SubmitOutcome, Unavailable> {
        let submission = submission.clone();
        self.with_connection(move |connection| submit_in(connection, &submission)).await
    }

    async fn mail_sent(&self, application_id: ApplicationId, kind: MailKind) -> Result<bool, Unavailable> {
        let id = application_id.to_string();
        self.with_connection(move |connection| {
            let sql = format!(
                "SELECT \"{}\" IS NOT NULL FROM applications WHERE \"{}\" = ?1",
                layout::mail_sent_attribute(kind),
                attr::APPLICATION_ID
            );
            Ok(connection.query_row(&sql, [id], |row| row.get(0)).optional()?.unwrap_or(false))
        })
        .await
    }

    async fn mark_mail_sent(
        &self,
        application_id: ApplicationId,
        kind: MailKind,
    ) -> Result<bool, Unavailable> {
        let id = application_id.to_string();
        let now = ReceivedAt::now().to_string();
        self.with_connection(move |connection| {
            let column = layout::mail_sent_attribute(kind);
            let sql = format!(
                "UPDATE applications SET \"{column}\" = ?1, \"{}\" = ?1 WHERE \"{}\" = ?2 AND \"{column}\" IS NULL",
                attr::UPDATED_AT,
                attr::APPLICATION_ID
            );
            Ok(connection.execute(&sql, params![now, id])? == 1)
        })
        .await
    }

    async fn get(&self, application_id: ApplicationId) -> Result<Option<StoredApplication>, Unavailable> {
        let id = application_id.to_string();
        self.with_connection(move |connection| {
            let condition = format!("WHERE \"{}\" = ?1", attr::APPLICATION_ID);
            Ok(read_applications(connection, &condition, [id])?.pop())
        })
        .await
    }

    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
    ) -> Result<Vec<StoredApplication>, Unavailable> {
        let status = status.as_str();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_connection(move |connection| {
            let condition = format!(
                "WHERE \"{}\" = ?1 ORDER BY \"{}\" DESC, \"{}\" DESC LIMIT ?2",
                attr::STATUS,
                attr::RECEIVED_AT,
                attr::APPLICATION_ID
            );
            read_applications(connection, &condition, params![status, limit])
        })
        .await
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
        let now = now_epoch();
        insert(&store, "expired-long-ago", now - 86_400);
        insert(&store, "expired-just-now", now - 1);
        insert(&store, "live", now + 3_600);
        assert_eq!(store.purge_expired().await.unwrap(), 2);
        assert_eq!(keys(&store), ["live"]);
        assert_eq!(store.purge_expired().await.unwrap(), 0, "nothing left to purge");
    }
}
