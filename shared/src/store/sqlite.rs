//! The embedded store for local runs: one SQLite file (WAL, synchronous=FULL)
//! with the same semantics as DynamoDB. Uniqueness is enforced by the database
//! (primary keys and UNIQUE constraints), idempotency and duplicates are
//! decided inside one IMMEDIATE transaction, so concurrent submissions, even from
//! several processes sharing the file, behave like the DynamoDB transaction.
//! Columns are named after the DynamoDB attributes ([`layout`]).

mod review;

use super::layout::{self, Value, attr};
use super::plan;
use super::{
    AuditPage, ConfirmOutcome, Counter, DecideOutcome, DecisionWrite, EraseOutcome, Erasure, Intake,
    ListQuery, MailLedger, Notice, Page, Record, Related, Review, StatusCounts, StoredApplication,
    Submission, SubmitOutcome, TokenState, Tooling, Unavailable,
};
use crate::domain::{
    ApplicationId, AuditEntry, AuditId, Field, HistoryEntry, NoticeId, Status, Timestamp, Version,
};
use crate::domain::{MailEvent, MailKind, MailSubject};
use crate::keyed::TokenHash;
use async_trait::async_trait;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The database file inside the data directory.
pub const FILE_NAME: &str = "applications.sqlite3";

/// The email-uniqueness column: the same keyed hash as the DynamoDB key.
const EMAIL_KEY: &str = attr::EMAIL_KEY;

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
        migrate(&connection).map_err(unavailable)?;
        connection.execute_batch(&schema()).map_err(unavailable)?;
        connection.execute_batch(&review::schema()).map_err(unavailable)?;
        review::backfill_search_text(&connection).map_err(unavailable)?;
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
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut purged = delete_expired_applications(&tx, None, now)?;
            purged += review::purge_history(&tx, now)?;
            for table in ["idempotency", "tokens", "notices", "counters"] {
                purged +=
                    tx.execute(&format!("DELETE FROM {table} WHERE {} < ?1", q(attr::EXPIRES_AT)), [now])?;
            }
            tx.commit()?;
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
    "{version}" INTEGER NOT NULL,
    "{received_at}" TEXT NOT NULL,
    "{updated_at}" TEXT NOT NULL,
    "{verified_at}" TEXT,
    "{expires_at}" INTEGER,
    "{supersedes}" TEXT,
    "{token_hash}" TEXT,
    "{terms}" TEXT NOT NULL,
    "{verification}" TEXT,
    "{ack}" TEXT,
    "{notice}" TEXT,
    "{partner_code}" TEXT,
    "{listing}" TEXT,
    "{search_text}" TEXT,
{fields}    CHECK ("{email}" IS NOT NULL)
) STRICT;
CREATE INDEX IF NOT EXISTS "{index}" ON applications ("{status}", "{received_at}");
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    "{id}" TEXT NOT NULL,
    "{expires_at}" INTEGER NOT NULL,
    "{confirmed_at}" TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS tokens_by_application ON tokens ("{id}");
CREATE TABLE IF NOT EXISTS notices (
    "{notice_id}" TEXT PRIMARY KEY,
    "{id}" TEXT NOT NULL,
    "{expires_at}" INTEGER NOT NULL,
    "{already}" TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    "{count}" INTEGER NOT NULL,
    "{expires_at}" INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS counters_by_expiry ON counters ("{expires_at}");
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    "{id}" TEXT,
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
        version = attr::VERSION,
        received_at = attr::RECEIVED_AT,
        updated_at = attr::UPDATED_AT,
        verified_at = attr::VERIFIED_AT,
        supersedes = attr::SUPERSEDES,
        token_hash = attr::TOKEN_HASH,
        terms = attr::TERMS_AGREED_AT,
        verification = attr::VERIFICATION_SENT_AT,
        ack = attr::ACKNOWLEDGEMENT_SENT_AT,
        notice = attr::OPERATOR_NOTICE_SENT_AT,
        partner_code = attr::PARTNER_CODE,
        listing = attr::LISTING,
        search_text = attr::SEARCH_TEXT,
        notice_id = attr::NOTICE_ID,
        already = attr::ALREADY_RECEIVED_SENT_AT,
        confirmed_at = attr::CONFIRMED_AT,
        count = attr::COUNT,
        email = Field::Email.key(),
        index = layout::STATUS_INDEX,
        hash = attr::REQUEST_HASH,
        response_status = attr::RESPONSE_STATUS,
        response_body = attr::RESPONSE_BODY,
        expires_at = attr::EXPIRES_AT,
    )
}

/// Brings an `applications` table of an earlier version up to this one: the
/// columns it lacks (new optional fields, the lifecycle's columns) are added,
/// nullable, and `version` starts at 1. `CREATE TABLE IF NOT EXISTS` alone
/// would leave an old file unusable.
fn migrate(connection: &Connection) -> rusqlite::Result<()> {
    migrate_idempotency(connection)?;
    let mut statement = connection.prepare("SELECT name FROM pragma_table_info('applications')")?;
    let existing: Vec<String> = statement.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    if existing.is_empty() {
        return Ok(()); // A new file: the schema creates everything.
    }
    let mut wanted: Vec<(&str, &str)> = vec![
        (attr::VERSION, "INTEGER NOT NULL DEFAULT 1"),
        (attr::VERIFIED_AT, "TEXT"),
        (attr::EXPIRES_AT, "INTEGER"),
        (attr::SUPERSEDES, "TEXT"),
        (attr::TOKEN_HASH, "TEXT"),
        (attr::VERIFICATION_SENT_AT, "TEXT"),
        (attr::PARTNER_CODE, "TEXT"),
        (attr::LISTING, "TEXT"),
        (attr::SEARCH_TEXT, "TEXT"),
    ];
    wanted.extend(
        Field::kept().map(|field| (field.key(), if layout::is_numeric(field) { "INTEGER" } else { "TEXT" })),
    );
    for (column, kind) in wanted {
        if !existing.iter().any(|name| name == column) {
            connection.execute_batch(&format!("ALTER TABLE applications ADD COLUMN {} {kind}", q(column)))?;
        }
    }
    Ok(())
}

/// Idempotency records before [`plan::IdempotencyRecord`] had no application
/// id: a decision's kept it as its body, which it now moves; a submission's
/// cannot be rebuilt, and is dropped (it only guards replays for 24 hours).
fn migrate_idempotency(connection: &Connection) -> rusqlite::Result<()> {
    let mut statement = connection.prepare("SELECT name FROM pragma_table_info('idempotency')")?;
    let existing: Vec<String> = statement.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    if existing.is_empty() || existing.iter().any(|name| name == attr::APPLICATION_ID) {
        return Ok(());
    }
    connection.execute_batch(&format!(
        "ALTER TABLE idempotency ADD COLUMN {id} TEXT;
         UPDATE idempotency SET {id} = {body}, {body} = '' WHERE key LIKE 'DECISION#%';
         DELETE FROM idempotency WHERE {id} IS NULL;",
        id = q(attr::APPLICATION_ID),
        body = q(attr::RESPONSE_BODY),
    ))
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
    let columns = [
        attr::APPLICATION_ID,
        attr::REQUEST_HASH,
        attr::RESPONSE_STATUS,
        attr::RESPONSE_BODY,
        attr::EXPIRES_AT,
    ];
    let select: Vec<String> = columns.iter().map(|c| q(c)).collect();
    let sql = format!(
        "SELECT {} FROM idempotency WHERE key = ?1 AND {} >= ?2",
        select.join(", "),
        q(attr::EXPIRES_AT)
    );
    let values = connection.query_row(&sql, params![key, now], |row| row_values(row, &columns)).optional()?;
    values
        .map(|values| layout::idempotency_record_from(|name| values.get(name).map(|v| v.as_str().into())))
        .transpose()
        .map_err(unreadable)
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
    let mut columns = vec!["key".to_owned()];
    let mut values: Vec<rusqlite::types::Value> = vec![key.text().into()];
    for (name, value) in attributes {
        columns.push(q(name));
        values.push(review::sql_value(value)?);
    }
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
    connection.execute(
        &format!(
            "INSERT OR REPLACE INTO idempotency ({}) VALUES ({})",
            columns.join(", "),
            placeholders.join(", ")
        ),
        rusqlite::params_from_iter(values),
    )?;
    Ok(())
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
    let mut sets = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    for (name, value) in layout::lifecycle_attributes(after, at) {
        values.push(match value {
            Some(value) => review::sql_value(value)?,
            None => rusqlite::types::Value::Null,
        });
        sets.push(format!("{} = ?{}", q(name), values.len()));
    }
    values.push(before.id().to_string().into());
    let id = values.len();
    values.push(i64::from(before.version.get()).into());
    let version = values.len();
    let mut statuses = Vec::new();
    for status in from {
        values.push(status.as_str().to_owned().into());
        statuses.push(format!("?{}", values.len()));
    }
    let changed = tx.execute(
        &format!(
            "UPDATE applications SET {} WHERE {} = ?{id} AND {} = ?{version} AND {} IN ({})",
            sets.join(", "),
            q(attr::APPLICATION_ID),
            q(attr::VERSION),
            q(attr::STATUS),
            statuses.join(", ")
        ),
        rusqlite::params_from_iter(values),
    )?;
    Ok(changed == 1)
}

fn now() -> Timestamp {
    Timestamp::now()
}

/// `"name"`, quoted for SQL.
fn q(name: &str) -> String {
    format!("\"{name}\"")
}

/// The condition that leaves out applications past their expiry (unverified
/// ones past their link's, rejected ones past their retention); `now` is the
/// number of the parameter that holds the time.
fn live(now: usize) -> String {
    format!("({expires} IS NULL OR {expires} >= ?{now})", expires = q(attr::EXPIRES_AT))
}

fn insert_application(
    tx: &Transaction<'_>,
    stored: &StoredApplication,
    email_key: &str,
    token_hash: Option<&str>,
    sent: &[(MailKind, Timestamp)],
) -> rusqlite::Result<()> {
    let mut columns: Vec<String> = vec![q(EMAIL_KEY), q(attr::TOKEN_HASH)];
    let mut values: Vec<rusqlite::types::Value> =
        vec![email_key.to_owned().into(), token_hash.map(str::to_owned).into()];
    for (kind, at) in sent {
        columns.push(q(layout::mail_sent_attribute(*kind)));
        values.push(at.to_string().into());
    }
    for (name, value) in layout::application_attributes(stored) {
        columns.push(q(name));
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
    Ok(())
}

fn submit_in(connection: &mut Connection, submission: &Submission) -> rusqlite::Result<SubmitOutcome> {
    let now = now();
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let key = plan::RecordKey::Submission(&submission.idempotency_key);
    if let Some(previous) = read_record(&tx, &key, now.epoch())? {
        return Ok(plan::replay_submission(submission, &previous));
    }
    let email_key = submission.email_key.as_str();
    // An unverified application past its expiry is absent: remove it and its token now.
    delete_expired_applications(&tx, Some(email_key), now.epoch())?;
    let plan = plan::submit(submission, reservation_in(&tx, email_key)?, now);
    match &plan {
        plan::SubmissionPlan::Notice { application_id, notice_id, expires_at } => {
            tx.execute(
                &format!(
                    "INSERT INTO notices ({}, {}, {}) VALUES (?1, ?2, ?3)",
                    q(attr::NOTICE_ID),
                    q(attr::APPLICATION_ID),
                    q(attr::EXPIRES_AT)
                ),
                params![notice_id.to_string(), application_id.to_string(), expires_at.epoch()],
            )?;
        }
        plan::SubmissionPlan::Application { stored, supersedes, email_key, token } => {
            if let Some(plan::Reservation::Unverified { application_id, token }) = supersedes {
                // The earlier, unverified application and its link are replaced.
                if let Some(token) = token {
                    tx.execute("DELETE FROM tokens WHERE hash = ?1", [token.as_str()])?;
                }
                tx.execute(
                    &format!("DELETE FROM applications WHERE {} = ?1", q(attr::APPLICATION_ID)),
                    [application_id.to_string()],
                )?;
            }
            let taken: bool = tx.query_row(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM applications WHERE {} = ?1)",
                    q(attr::RECEPTION_NUMBER)
                ),
                [stored.receipt.reception_number.as_str()],
                |row| row.get(0),
            )?;
            if taken {
                return Ok(SubmitOutcome::ReceptionNumberTaken);
            }
            insert_application(&tx, stored, email_key.as_str(), Some(token.as_str()), &[])?;
            tx.execute(
                &format!(
                    "INSERT INTO tokens (hash, {}, {}) VALUES (?1, ?2, ?3)",
                    q(attr::APPLICATION_ID),
                    q(attr::EXPIRES_AT)
                ),
                params![token.as_str(), stored.id().to_string(), submission.expires_at.epoch()],
            )?;
        }
    }
    write_record(&tx, &key, &plan.record(submission, now))?;
    tx.commit()?;
    Ok(plan.outcome(submission))
}

/// The address's live reservation: the application that holds it, if any.
fn reservation_in(connection: &Connection, email_key: &str) -> rusqlite::Result<Option<plan::Reservation>> {
    let row: Option<(String, String, Option<String>)> = connection
        .query_row(
            &format!(
                "SELECT {}, {}, {} FROM applications WHERE {} = ?1",
                q(attr::APPLICATION_ID),
                q(attr::STATUS),
                q(attr::TOKEN_HASH),
                q(EMAIL_KEY)
            ),
            [email_key],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((id, status, token)) = row else { return Ok(None) };
    let application_id =
        ApplicationId::parse(&id).ok_or(unreadable(layout::LayoutError::Malformed(attr::APPLICATION_ID)))?;
    let verified =
        Status::parse(&status).ok_or(unreadable(layout::LayoutError::Malformed(attr::STATUS)))?.is_verified();
    Ok(Some(if verified {
        plan::Reservation::Verified { application_id }
    } else {
        plan::Reservation::Unverified { application_id, token: token.as_deref().and_then(TokenHash::parse) }
    }))
}

/// Deletes applications past their expiry (of one address, or all) with their
/// tokens: unverified ones past their link's, rejected ones past their retention.
fn delete_expired_applications(
    tx: &Transaction<'_>,
    email_key: Option<&str>,
    now: i64,
) -> rusqlite::Result<usize> {
    let expired = format!(
        "SELECT {id} FROM applications WHERE {expires} < ?1 AND (?2 IS NULL OR {email} = ?2)",
        id = q(attr::APPLICATION_ID),
        expires = q(attr::EXPIRES_AT),
        email = q(EMAIL_KEY),
    );
    tx.execute(
        &format!("DELETE FROM tokens WHERE {} IN ({expired})", q(attr::APPLICATION_ID)),
        params![now, email_key],
    )?;
    tx.execute(
        &format!("DELETE FROM applications WHERE {} IN ({expired})", q(attr::APPLICATION_ID)),
        params![now, email_key],
    )
}

/// The token's application id, expiry and whether it was used.
fn read_token(connection: &Connection, token: &str) -> rusqlite::Result<Option<(String, i64, bool)>> {
    connection
        .query_row(
            &format!(
                "SELECT {}, {}, {} IS NOT NULL FROM tokens WHERE hash = ?1",
                q(attr::APPLICATION_ID),
                q(attr::EXPIRES_AT),
                q(attr::CONFIRMED_AT)
            ),
            [token],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
}

fn application_by_id(connection: &Connection, id: &str) -> rusqlite::Result<Option<StoredApplication>> {
    let condition = format!("WHERE {} = ?1 AND {}", q(attr::APPLICATION_ID), live(2));
    Ok(read_applications(connection, &condition, params![id, now().epoch()])?.pop())
}

fn token_in(connection: &Connection, token: &str) -> rusqlite::Result<TokenState> {
    let now = now().epoch();
    let Some((application_id, expires_at, confirmed)) = read_token(connection, token)? else {
        return Ok(TokenState::NotFound);
    };
    if !confirmed && expires_at < now {
        return Ok(TokenState::Expired);
    }
    Ok(match application_by_id(connection, &application_id)? {
        None => TokenState::NotFound,
        Some(stored) if confirmed => TokenState::Confirmed(stored),
        Some(stored) => TokenState::Pending(stored),
    })
}

fn confirm_in(connection: &mut Connection, token: &str) -> rusqlite::Result<ConfirmOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let plan = match plan::confirm(token_in(&tx, token)?, now()) {
        Ok(plan) => plan,
        Err(outcome) => return Ok(outcome),
    };
    if !update_lifecycle(&tx, &plan.before, &plan.after, plan.from(), plan.at)? {
        return Ok(ConfirmOutcome::NotFound);
    }
    tx.execute(
        &format!(
            "UPDATE tokens SET {} = ?1, {} = ?2 WHERE hash = ?3",
            q(attr::CONFIRMED_AT),
            q(attr::EXPIRES_AT)
        ),
        params![plan.at.to_string(), plan.token_expires_at.epoch(), token],
    )?;
    tx.commit()?;
    Ok(ConfirmOutcome::Confirmed(plan.after))
}

/// One atomic statement: the first request of a window inserts the counter,
/// later ones increment it while it is under the limit. No purge here: a
/// counter's window is in its key, so an old one is never counted again, and
/// `purge_expired` (daily) deletes it.
fn admit_in(connection: &mut Connection, counter: &Counter) -> rusqlite::Result<bool> {
    if counter.limit == 0 {
        return Ok(false);
    }
    let changed = connection.execute(
        &format!(
            "INSERT INTO counters (key, {count}, {expires}) VALUES (?1, 1, ?2) \
             ON CONFLICT (key) DO UPDATE SET {count} = {count} + 1 WHERE {count} < ?3",
            count = q(attr::COUNT),
            expires = q(attr::EXPIRES_AT),
        ),
        params![counter.key, counter.window_ends.epoch(), counter.limit],
    )?;
    Ok(changed == 1)
}

/// Every record that may owe a mail, as [`plan::owed`] reads it.
fn pending_in(connection: &Connection) -> rusqlite::Result<Vec<MailEvent>> {
    let now = now().epoch();
    let mut records = Vec::new();
    let sql = format!(
        "SELECT {id}, {status}, coalesce({expires} < ?1, 0), {verification} IS NOT NULL, {ack} IS NOT NULL, \
         {notice} IS NOT NULL FROM applications",
        id = q(attr::APPLICATION_ID),
        status = q(attr::STATUS),
        expires = q(attr::EXPIRES_AT),
        verification = q(attr::VERIFICATION_SENT_AT),
        ack = q(attr::ACKNOWLEDGEMENT_SENT_AT),
        notice = q(attr::OPERATOR_NOTICE_SENT_AT),
    );
    let mut statement = connection.prepare(&sql)?;
    let mut rows = statement.query([now])?;
    while let Some(row) = rows.next()? {
        let (Some(id), Some(status)) =
            (ApplicationId::parse(&row.get::<_, String>(0)?), Status::parse(&row.get::<_, String>(1)?))
        else {
            continue;
        };
        let sent =
            [(3, MailKind::Verification), (4, MailKind::Acknowledgement), (5, MailKind::OperatorNotice)];
        let mut kinds = Vec::new();
        for (index, kind) in sent {
            if row.get::<_, bool>(index)? {
                kinds.push(kind);
            }
        }
        records.push(plan::MailRecord::Application { id, status, expired: row.get(2)?, sent: kinds });
    }
    let sql = format!(
        "SELECT {id}, {expires} < ?1, {sent} IS NOT NULL FROM notices",
        id = q(attr::NOTICE_ID),
        expires = q(attr::EXPIRES_AT),
        sent = q(attr::ALREADY_RECEIVED_SENT_AT),
    );
    let mut statement = connection.prepare(&sql)?;
    let mut rows = statement.query([now])?;
    while let Some(row) = rows.next()? {
        if let Some(id) = NoticeId::parse(&row.get::<_, String>(0)?) {
            records.push(plan::MailRecord::Notice { id, expired: row.get(1)?, sent: row.get(2)? });
        }
    }
    records.extend(review::history_mail_records(connection, now)?);
    Ok(records.iter().filter_map(plan::owed).collect())
}

/// The table of a mail subject's row and the condition (on ?2 and ?3) that selects it.
fn subject_row(subject: MailSubject) -> (&'static str, String, String, Option<u32>) {
    let by = |column: &str| format!("{} = ?2 AND ?3 IS NULL", q(column));
    match subject {
        MailSubject::Application(id) => ("applications", by(attr::APPLICATION_ID), id.to_string(), None),
        MailSubject::Notice(id) => ("notices", by(attr::NOTICE_ID), id.to_string(), None),
        MailSubject::Decision(id, version) => (
            "history",
            format!("{} = ?2 AND {} = ?3", q(attr::APPLICATION_ID), q(attr::VERSION)),
            id.to_string(),
            Some(version.get()),
        ),
    }
}

/// Reads application rows with every layout column, as the layout's decoder wants them.
fn read_applications(
    connection: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<StoredApplication>> {
    let mut columns: Vec<&str> = layout::APPLICATION_STATE.to_vec();
    columns.extend(Field::kept().map(Field::key));
    let select: Vec<String> = columns.iter().map(|c| q(c)).collect();
    let sql = format!("SELECT {} FROM applications {condition}", select.join(", "));
    let mut statement = connection.prepare(&sql)?;
    let rows = statement.query_map(params, |row| {
        let values = row_values(row, &columns)?;
        layout::stored_application_from(|name| values.get(name).map(|v| v.as_str().into()))
            .map_err(unreadable)
    })?;
    rows.collect()
}

/// A row's columns as the layout's decoders read attributes: integers as
/// their digits, text as is, NULL absent.
fn row_values<'c>(
    row: &rusqlite::Row<'_>,
    columns: &[&'c str],
) -> rusqlite::Result<std::collections::HashMap<&'c str, String>> {
    let mut values = std::collections::HashMap::with_capacity(columns.len());
    for (index, column) in columns.iter().enumerate() {
        let value = match row.get_ref(index)? {
            rusqlite::types::ValueRef::Integer(n) => Some(n.to_string()),
            rusqlite::types::ValueRef::Text(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        };
        if let Some(value) = value {
            values.insert(*column, value);
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
        self.with_connection(move |connection| submit_in(connection, &submission)).await
    }

    async fn token(&self, token: &TokenHash) -> Result<TokenState, Unavailable> {
        let token = token.as_str().to_owned();
        self.with_connection(move |connection| token_in(connection, &token)).await
    }

    async fn confirm(&self, token: &TokenHash) -> Result<ConfirmOutcome, Unavailable> {
        let token = token.as_str().to_owned();
        self.with_connection(move |connection| confirm_in(connection, &token)).await
    }

    async fn admit(&self, counter: &Counter) -> Result<bool, Unavailable> {
        let counter = counter.clone();
        self.with_connection(move |connection| admit_in(connection, &counter)).await
    }
}

#[async_trait]
impl MailLedger for SqliteStore {
    async fn mail_sent(&self, subject: MailSubject, kind: MailKind) -> Result<bool, Unavailable> {
        if !subject.carries(kind) {
            return Ok(false);
        }
        self.with_connection(move |connection| {
            let (table, condition, id, version) = subject_row(subject);
            let sql = format!(
                "SELECT {} IS NOT NULL FROM {table} WHERE ?1 IS NULL AND {condition}",
                q(layout::mail_sent_attribute(kind)),
            );
            let sent = connection.query_row(&sql, params![None::<String>, id, version], |row| row.get(0));
            Ok(sent.optional()?.unwrap_or(false))
        })
        .await
    }

    async fn mark_mail_sent(&self, subject: MailSubject, kind: MailKind) -> Result<bool, Unavailable> {
        if !subject.carries(kind) {
            return Ok(false);
        }
        let now = now().to_string();
        self.with_connection(move |connection| {
            let (table, condition, id, version) = subject_row(subject);
            let column = q(layout::mail_sent_attribute(kind));
            let sql = format!("UPDATE {table} SET {column} = ?1 WHERE {condition} AND {column} IS NULL");
            Ok(connection.execute(&sql, params![now, id, version])? == 1)
        })
        .await
    }

    async fn get(&self, application_id: ApplicationId) -> Result<Option<StoredApplication>, Unavailable> {
        let id = application_id.to_string();
        self.with_connection(move |connection| application_by_id(connection, &id)).await
    }

    async fn notice(&self, notice_id: NoticeId) -> Result<Option<Notice>, Unavailable> {
        self.with_connection(move |connection| {
            let sql = format!(
                "SELECT {} FROM notices WHERE {} = ?1 AND {} >= ?2",
                q(attr::APPLICATION_ID),
                q(attr::NOTICE_ID),
                q(attr::EXPIRES_AT)
            );
            let id: Option<String> = connection
                .query_row(&sql, params![notice_id.to_string(), now().epoch()], |row| row.get(0))
                .optional()?;
            Ok(id
                .and_then(|id| ApplicationId::parse(&id))
                .map(|application_id| Notice { notice_id, application_id }))
        })
        .await
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
impl Review for SqliteStore {
    async fn decide(&self, decision: &DecisionWrite) -> Result<DecideOutcome, Unavailable> {
        let decision = decision.clone();
        self.with_connection(move |connection| review::decide_in(connection, &decision)).await
    }

    async fn record(
        &self,
        application_id: ApplicationId,
    ) -> Result<Option<(Record, Vec<HistoryEntry>)>, Unavailable> {
        self.with_connection(move |connection| review::record_in(connection, application_id)).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, Unavailable> {
        let query = query.clone();
        self.with_connection(move |connection| review::list_in(connection, &query)).await
    }

    async fn count_by_status(&self) -> Result<StatusCounts, Unavailable> {
        self.with_connection(|connection| review::count_in(connection)).await
    }

    async fn related(&self, query: &Related) -> Result<Vec<StoredApplication>, Unavailable> {
        let query = query.clone();
        self.with_connection(move |connection| review::related_in(connection, &query)).await
    }

    async fn erase(&self, erasure: &Erasure) -> Result<EraseOutcome, Unavailable> {
        let erasure = erasure.clone();
        self.with_connection(move |connection| {
            let outcome = review::erase_in(connection, &erasure)?;
            // The write-ahead log still holds the pages as they were: copy it
            // into the (securely overwritten) file and empty it.
            connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(outcome)
        })
        .await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), Unavailable> {
        let entry = entry.clone();
        self.with_connection(move |connection| review::append_audit_in(connection, &entry)).await
    }

    async fn audit_log(&self, before: Option<AuditId>, limit: usize) -> Result<AuditPage, Unavailable> {
        self.with_connection(move |connection| review::audit_log_in(connection, before, limit)).await
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
                        &format!(
                            "INSERT INTO partner_codes ({}, {}) VALUES (?1, ?2)",
                            q(attr::PARTNER_CODE),
                            q(attr::APPLICATION_ID)
                        ),
                        params![code.as_str(), stored.id().to_string()],
                    )?;
                }
            }
            tx.commit()
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
            let condition = format!(
                "WHERE {} = ?1 AND {} ORDER BY {} DESC, {} DESC LIMIT ?2",
                q(attr::STATUS),
                live(3),
                q(attr::RECEIVED_AT),
                q(attr::APPLICATION_ID)
            );
            read_applications(connection, &condition, params![status, limit, now().epoch()])
        })
        .await
    }

    async fn pending_mail(&self) -> Result<Vec<MailEvent>, Unavailable> {
        self.with_connection(|connection| pending_in(connection)).await
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
    use crate::domain::{Actor, AuditAction};

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
        assert_eq!(store.purge_expired().await.unwrap(), 0, "nothing left to purge");
    }
}
