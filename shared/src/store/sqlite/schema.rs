//! Every table, index and trigger of the SQLite store, and the migration
//! that brings a file made by an earlier version up to this one. `open` runs
//! [`migrate`], then [`schema`] and [`review_schema`], then [`backfill_search_text`].

use super::{EMAIL_KEY, q};
use crate::domain::Field;
use crate::store::layout::{self, attr};
use rusqlite::Connection;

pub(super) fn schema() -> String {
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
pub(super) fn migrate(connection: &Connection) -> rusqlite::Result<()> {
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

/// Idempotency records before [`crate::store::plan::IdempotencyRecord`] had no application
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

/// The tables of the operators' side. The audit refuses UPDATE and DELETE by
/// triggers, so no code path (nor a mistaken one) can change an entry.
pub(super) fn review_schema() -> String {
    format!(
        r#"
CREATE TABLE IF NOT EXISTS history (
    "{id}" TEXT NOT NULL,
    "{version}" INTEGER NOT NULL,
    "{at}" TEXT NOT NULL,
    "{actor}" TEXT NOT NULL,
    "{action}" TEXT NOT NULL,
    "{from}" TEXT,
    "{to}" TEXT,
    "{message}" TEXT,
    "{sent}" TEXT,
    "{expires}" INTEGER,
    PRIMARY KEY ("{id}", "{version}")
) STRICT;
CREATE TABLE IF NOT EXISTS partner_codes (
    "{code}" TEXT PRIMARY KEY,
    "{id}" TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS erased (
    "{id}" TEXT PRIMARY KEY,
    "{reception}" TEXT NOT NULL,
    "{received}" TEXT NOT NULL,
    "{verified}" TEXT,
    "{erased_status}" TEXT NOT NULL,
    "{version}" INTEGER NOT NULL,
    "{erased_at}" TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS audit (
    id TEXT PRIMARY KEY,
    "{at}" TEXT NOT NULL,
    "{actor}" TEXT NOT NULL,
    "{action}" TEXT NOT NULL,
    "{id}" TEXT
) STRICT;
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
CREATE INDEX IF NOT EXISTS applications_by_received ON applications ("{received}", "{id}");
CREATE INDEX IF NOT EXISTS applications_by_phone ON applications ("{phone}", "{received}");
CREATE INDEX IF NOT EXISTS applications_by_invoice_number ON applications ("{invoice}");
CREATE INDEX IF NOT EXISTS applications_by_corporate_name ON applications ({corporate});
-- The tabs' counts from the index alone (status and expiry), not the rows.
CREATE INDEX IF NOT EXISTS applications_by_status_expiry ON applications ("{status}", "{expires}");
"#,
        id = attr::APPLICATION_ID,
        version = attr::VERSION,
        at = attr::AT,
        actor = attr::ACTOR,
        action = attr::ACTION,
        from = attr::FROM_STATUS,
        to = attr::TO_STATUS,
        message = attr::MESSAGE,
        sent = attr::RESULT_SENT_AT,
        expires = attr::EXPIRES_AT,
        code = attr::PARTNER_CODE,
        reception = attr::RECEPTION_NUMBER,
        received = attr::RECEIVED_AT,
        verified = attr::VERIFIED_AT,
        erased_status = attr::ERASED_STATUS,
        status = attr::STATUS,
        erased_at = attr::ERASED_AT,
        phone = layout::PHONE_INDEX_PARTITION_KEY,
        invoice = Field::InvoiceNumber.key(),
        corporate = corporate_name_key(),
    )
}

/// The corporate name as the reviewer's check compares it (without spaces):
/// the expression of the index `applications_by_corporate_name`, which a
/// query uses only when it names the same expression.
pub(super) fn corporate_name_key() -> String {
    format!("replace({}, ' ', '')", q(Field::CorporateName.key()))
}

/// The search text of rows stored before it existed, computed as
/// [`layout::search_text`] does.
pub(super) fn backfill_search_text(connection: &Connection) -> rusqlite::Result<()> {
    let part =
        |a: &str, b: &str| format!("replace(coalesce({}, '') || coalesce({}, ''), ' ', '')", q(a), q(b));
    let one = |a: &str| format!("replace(coalesce({}, ''), ' ', '')", q(a));
    connection.execute_batch(&format!(
        "UPDATE applications SET {} = {} || char(10) || {} || char(10) || {} || char(10) || {} WHERE {} IS NULL",
        q(attr::SEARCH_TEXT),
        part("lastName", "firstName"),
        part("lastNameKana", "firstNameKana"),
        one("corporateName"),
        one("corporateNameKana"),
        q(attr::SEARCH_TEXT),
    ))
}
