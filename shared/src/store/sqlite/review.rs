//! The operators' side of the SQLite store: decisions, the list and its
//! search, erasure, the history and the audit. Each change is one IMMEDIATE
//! transaction, with the same conditions as the DynamoDB store's.

use super::{
    application_by_id, live, q, read_applications, read_record, row_values, unreadable, update_lifecycle,
    write_record,
};
use crate::domain::{
    ApplicationId, AuditEntry, AuditId, Field, HistoryAction, HistoryEntry, InvoiceNumber, NoticeId, Status,
    Timestamp, Version,
};
use crate::store::layout::{self, Value, attr};
use crate::store::plan;
use crate::store::{
    AuditPage, DecideOutcome, DecisionWrite, EraseOutcome, ErasedApplication, Erasure, ListQuery, Page,
    Record, Related, Search, StatusCounts, StoredApplication,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params, params_from_iter};

/// The tables of the operators' side. The audit refuses UPDATE and DELETE by
/// triggers, so no code path (nor a mistaken one) can change an entry.
pub(super) fn schema() -> String {
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
fn corporate_name_key() -> String {
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

pub(super) fn sql_value(value: Value) -> rusqlite::Result<rusqlite::types::Value> {
    Ok(match value {
        Value::Text(text) => text.into(),
        Value::Number(digits) => {
            digits.parse::<i64>().map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?.into()
        }
    })
}

/// `INSERT INTO table (layout columns…)` from a layout's attributes.
fn insert(
    tx: &Connection,
    table: &str,
    attributes: Vec<(&str, Value)>,
    extra: &[(&str, rusqlite::types::Value)],
) -> rusqlite::Result<()> {
    let mut columns: Vec<String> = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    for (name, value) in attributes {
        columns.push(q(name));
        values.push(sql_value(value)?);
    }
    for (name, value) in extra {
        columns.push((*name).to_owned());
        values.push(value.clone());
    }
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
    tx.execute(
        &format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), placeholders.join(", ")),
        params_from_iter(values),
    )?;
    Ok(())
}

pub(super) fn append_audit_in(connection: &Connection, entry: &AuditEntry) -> rusqlite::Result<()> {
    insert(connection, "audit", layout::audit_attributes(entry), &[("id", entry.id.to_string().into())])
}

pub(super) fn decide_in(
    connection: &mut Connection,
    decision: &DecisionWrite,
) -> rusqlite::Result<DecideOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let key = plan::RecordKey::Decision(&decision.idempotency_key);
    let read = plan::DecisionRead {
        previous: read_record(&tx, &key, decision.at.epoch())?,
        application: application_by_id(&tx, &decision.application_id.to_string())?,
    };
    let plan = match plan::decide(decision, read) {
        Ok(plan) => plan,
        Err(outcome) => return Ok(outcome),
    };
    let id = decision.application_id.to_string();
    if let Some(code) = plan.partner_code {
        let taken: bool = tx.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM partner_codes WHERE {} = ?1)", q(attr::PARTNER_CODE)),
            [code.as_str()],
            |row| row.get(0),
        )?;
        if taken {
            return Ok(DecideOutcome::PartnerCodeTaken);
        }
        tx.execute(
            &format!(
                "INSERT INTO partner_codes ({}, {}) VALUES (?1, ?2)",
                q(attr::PARTNER_CODE),
                q(attr::APPLICATION_ID)
            ),
            params![code.as_str(), id],
        )?;
    }
    if !update_lifecycle(&tx, &plan.before, &plan.after, plan.from, plan.at)? {
        // Not reachable inside an IMMEDIATE transaction; refused all the same.
        return Ok(DecideOutcome::VersionConflict(plan.before));
    }
    insert(&tx, "history", layout::history_attributes(decision.application_id, &plan.entry), &[])?;
    if let Some(until) = plan.retain_until {
        // The history's messages go with the application's personal data.
        tx.execute(
            &format!(
                "UPDATE history SET {} = ?1 WHERE {} = ?2",
                q(attr::EXPIRES_AT),
                q(attr::APPLICATION_ID)
            ),
            params![until.epoch(), id],
        )?;
    }
    write_record(&tx, &key, &plan.record)?;
    append_audit_in(&tx, &plan.audit)?;
    tx.commit()?;
    Ok(plan.outcome())
}

fn history_in(
    connection: &Connection,
    id: &str,
    version: Option<Version>,
    now: i64,
) -> rusqlite::Result<Vec<HistoryEntry>> {
    let columns = [
        attr::VERSION,
        attr::AT,
        attr::ACTOR,
        attr::ACTION,
        attr::FROM_STATUS,
        attr::TO_STATUS,
        attr::MESSAGE,
    ];
    let select: Vec<String> = columns.iter().map(|c| q(c)).collect();
    let sql = format!(
        "SELECT {} FROM history WHERE {id} = ?1 AND (?2 IS NULL OR {version} = ?2) \
         AND ({expires} IS NULL OR {expires} >= ?3) ORDER BY {version}",
        select.join(", "),
        id = q(attr::APPLICATION_ID),
        version = q(attr::VERSION),
        expires = q(attr::EXPIRES_AT),
    );
    let mut statement = connection.prepare(&sql)?;
    let rows = statement.query_map(params![id, version.map(Version::get), now], |row| {
        let values = row_values(row, &columns)?;
        layout::history_entry_from(|name| values.get(name).map(|v| v.as_str().into())).map_err(unreadable)
    })?;
    rows.collect()
}

pub(super) fn history_entry_in(
    connection: &Connection,
    id: ApplicationId,
    version: Version,
) -> rusqlite::Result<Option<HistoryEntry>> {
    Ok(history_in(connection, &id.to_string(), Some(version), Timestamp::now().epoch())?.pop())
}

fn erased_in(connection: &Connection, id: &str) -> rusqlite::Result<Option<ErasedApplication>> {
    let columns = [
        attr::APPLICATION_ID,
        attr::RECEPTION_NUMBER,
        attr::RECEIVED_AT,
        attr::VERIFIED_AT,
        attr::ERASED_STATUS,
        attr::VERSION,
        attr::ERASED_AT,
    ];
    let select: Vec<String> = columns.iter().map(|c| q(c)).collect();
    let sql = format!("SELECT {} FROM erased WHERE {} = ?1", select.join(", "), q(attr::APPLICATION_ID));
    let values = connection.query_row(&sql, [id], |row| row_values(row, &columns)).optional()?;
    let Some(values) = values else { return Ok(None) };
    layout::erased_application_from(|name| values.get(name).map(|v| v.as_str().into())).map_err(unreadable)
}

pub(super) fn record_in(
    connection: &Connection,
    id: ApplicationId,
) -> rusqlite::Result<Option<(Record, Vec<HistoryEntry>)>> {
    let text = id.to_string();
    let record = match application_by_id(connection, &text)? {
        Some(stored) => Record::Live(stored),
        None => match erased_in(connection, &text)? {
            Some(erased) => Record::Erased(erased),
            None => return Ok(None),
        },
    };
    Ok(Some((record, history_in(connection, &text, None, Timestamp::now().epoch())?)))
}

pub(super) fn list_in(connection: &Connection, query: &ListQuery) -> rusqlite::Result<Page> {
    let mut conditions = vec![live(1)];
    let mut values: Vec<rusqlite::types::Value> = vec![Timestamp::now().epoch().into()];
    let mut bind = |value: rusqlite::types::Value| {
        values.push(value);
        format!("?{}", values.len())
    };
    match query.status {
        Some(status) => {
            conditions.push(format!("{} = {}", q(attr::STATUS), bind(status.as_str().to_owned().into())))
        }
        None => {
            conditions.push(format!("{} <> '{}'", q(attr::STATUS), Status::AwaitingVerification.as_str()))
        }
    }
    if let Some(from) = query.from {
        conditions.push(format!("{} >= {}", q(attr::RECEIVED_AT), bind(from.to_string().into())));
    }
    if let Some(to) = query.to {
        conditions.push(format!("{} < {}", q(attr::RECEIVED_AT), bind(to.to_string().into())));
    }
    if let Some(cursor) = query.cursor {
        let at = bind(cursor.received_at.to_string().into());
        let id = bind(cursor.application_id.to_string().into());
        conditions.push(format!(
            "({received} < {at} OR ({received} = {at} AND {id_column} < {id}))",
            received = q(attr::RECEIVED_AT),
            id_column = q(attr::APPLICATION_ID),
        ));
    }
    match &query.search {
        None => {}
        Some(Search::ReceptionNumber(number)) => {
            conditions.push(format!("{} = {}", q(attr::RECEPTION_NUMBER), bind(number.to_string().into())))
        }
        Some(Search::Email(key)) => {
            conditions.push(format!("{} = {}", q(attr::EMAIL_KEY), bind(key.as_str().to_owned().into())))
        }
        Some(Search::Phone(phone)) => conditions.push(format!(
            "{} = {}",
            q(layout::PHONE_INDEX_PARTITION_KEY),
            bind(phone.as_str().to_owned().into())
        )),
        Some(Search::Text { text, reading }) => {
            let text = bind(text.clone().into());
            let reading = bind(reading.clone().into());
            let column = q(attr::SEARCH_TEXT);
            conditions.push(format!("(instr({column}, {text}) > 0 OR instr({column}, {reading}) > 0)"));
        }
    }
    let limit = query.limit.clamp(1, ListQuery::MAX_LIMIT);
    let condition = format!(
        "WHERE {} ORDER BY {} DESC, {} DESC LIMIT {}",
        conditions.join(" AND "),
        q(attr::RECEIVED_AT),
        q(attr::APPLICATION_ID),
        limit + 1
    );
    let mut items = read_applications(connection, &condition, params_from_iter(values))?;
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(crate::store::Cursor::after)
    } else {
        None
    };
    Ok(Page { items, next })
}

/// How many live applications each status has (`byStatus` is the index).
pub(super) fn count_in(connection: &Connection) -> rusqlite::Result<StatusCounts> {
    let sql = format!(
        "SELECT {status}, count(*) FROM applications WHERE {} GROUP BY {status}",
        live(1),
        status = q(attr::STATUS)
    );
    let mut statement = connection.prepare(&sql)?;
    let rows = statement
        .query_map([Timestamp::now().epoch()], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
    let mut counts = StatusCounts::default();
    for row in rows {
        let (status, count) = row?;
        let status =
            Status::parse(&status).ok_or_else(|| unreadable(layout::LayoutError::Malformed(attr::STATUS)))?;
        counts.add(status, u64::try_from(count).unwrap_or(0));
    }
    Ok(counts)
}

/// The reviewer's check ([`Related`]): one query, each of its three terms
/// an index's (SQLite unions them).
pub(super) fn related_in(
    connection: &Connection,
    query: &Related,
) -> rusqlite::Result<Vec<StoredApplication>> {
    let condition = format!(
        "WHERE {live} AND {status} <> '{awaiting}' AND {id} <> ?2 \
         AND ({phone} = ?3 OR {invoice} = ?4 OR {corporate} = ?5) \
         ORDER BY {received} DESC, {id} DESC LIMIT ?6",
        live = live(1),
        status = q(attr::STATUS),
        awaiting = Status::AwaitingVerification.as_str(),
        id = q(attr::APPLICATION_ID),
        phone = q(layout::PHONE_INDEX_PARTITION_KEY),
        invoice = q(Field::InvoiceNumber.key()),
        corporate = corporate_name_key(),
        received = q(attr::RECEIVED_AT),
    );
    let limit = i64::try_from(query.limit.clamp(1, Related::MAX_LIMIT)).unwrap_or(1);
    let found = read_applications(
        connection,
        &condition,
        params![
            Timestamp::now().epoch(),
            query.application_id.to_string(),
            query.phone.as_str(),
            query.invoice_number.as_ref().map(InvoiceNumber::as_str),
            query.corporate_name,
            limit
        ],
    )?;
    // SQL's terms are the check's own; this only guards what they compare.
    Ok(found.into_iter().filter(|stored| query.finds(stored)).collect())
}

pub(super) fn erase_in(connection: &mut Connection, erasure: &Erasure) -> rusqlite::Result<EraseOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = erasure.application_id.to_string();
    let application = application_by_id(&tx, &id)?;
    let read = plan::ErasureRead {
        tombstone: if application.is_none() { erased_in(&tx, &id)? } else { None },
        history: history_in(&tx, &id, None, erasure.at.epoch())?.into_iter().map(|e| e.version).collect(),
        notices: notices_of(&tx, &id)?,
        application,
    };
    let plan = match plan::erase(erasure, read) {
        Ok(plan) => plan,
        Err(outcome) => return Ok(outcome),
    };
    insert(&tx, "erased", layout::tombstone_attributes(&plan.tombstone), &[])?;
    tx.execute("DELETE FROM tokens WHERE hash = ?1", [plan.token.as_str()])?;
    let by_id = |table: &str| format!("DELETE FROM {table} WHERE {} = ?1", q(attr::APPLICATION_ID));
    // Any token the application still has (its link's, whatever key derived it).
    tx.execute(&by_id("tokens"), [&id])?;
    for notice in &plan.notices {
        tx.execute(&format!("DELETE FROM notices WHERE {} = ?1", q(attr::NOTICE_ID)), [notice.to_string()])?;
    }
    // The row holds the address's reservation (its `emailKey`): both go.
    let deleted = tx.execute(
        &format!("{} AND {} = ?2", by_id("applications"), q(attr::VERSION)),
        params![id, plan.before.version.get()],
    )?;
    if deleted != 1 {
        return Ok(EraseOutcome::NotFound);
    }
    for version in &plan.clear_messages {
        tx.execute(
            &format!(
                "UPDATE history SET {} = NULL WHERE {} = ?1 AND {} = ?2",
                q(attr::MESSAGE),
                q(attr::APPLICATION_ID),
                q(attr::VERSION)
            ),
            params![id, version.get()],
        )?;
    }
    insert(&tx, "history", layout::history_attributes(erasure.application_id, &plan.entry), &[])?;
    append_audit_in(&tx, &plan.audit)?;
    tx.commit()?;
    Ok(plan.outcome())
}

/// The notices made for the application's address.
fn notices_of(connection: &Connection, id: &str) -> rusqlite::Result<Vec<NoticeId>> {
    let mut statement = connection.prepare(&format!(
        "SELECT {} FROM notices WHERE {} = ?1",
        q(attr::NOTICE_ID),
        q(attr::APPLICATION_ID)
    ))?;
    let rows = statement.query_map([id], |row| row.get::<_, String>(0))?;
    let mut notices = Vec::new();
    for row in rows {
        notices.extend(NoticeId::parse(&row?));
    }
    Ok(notices)
}

pub(super) fn audit_log_in(
    connection: &Connection,
    before: Option<AuditId>,
    limit: usize,
) -> rusqlite::Result<AuditPage> {
    let limit = limit.clamp(1, ListQuery::MAX_LIMIT);
    let sql = format!(
        "SELECT id, {}, {}, {}, {} FROM audit WHERE (?1 IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2",
        q(attr::AT),
        q(attr::ACTOR),
        q(attr::ACTION),
        q(attr::APPLICATION_ID)
    );
    let mut statement = connection.prepare(&sql)?;
    let rows = statement.query_map(
        params![before.map(|id| id.to_string()), i64::try_from(limit).unwrap_or(500) + 1],
        |row| {
            let id: String = row.get(0)?;
            let values: [(&str, Option<String>); 4] = [
                (attr::AT, row.get(1)?),
                (attr::ACTOR, row.get(2)?),
                (attr::ACTION, row.get(3)?),
                (attr::APPLICATION_ID, row.get(4)?),
            ];
            layout::audit_entry_from(&id, |name| {
                values.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.as_deref().map(Into::into))
            })
            .map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
            })
        },
    )?;
    let mut entries: Vec<AuditEntry> = rows.collect::<Result<_, _>>()?;
    let next = if entries.len() > limit {
        entries.truncate(limit);
        entries.last().map(|entry| entry.id)
    } else {
        None
    };
    Ok(AuditPage { entries, next })
}

/// The history entries of live applications, as [`plan::owed`] reads them.
pub(super) fn history_mail_records(
    connection: &Connection,
    now: i64,
) -> rusqlite::Result<Vec<plan::MailRecord>> {
    let sql = format!(
        "SELECT {id}, {version}, {action}, coalesce({expires} < ?1, 0), {sent} IS NOT NULL FROM history \
         WHERE {id} IN (SELECT {id} FROM applications)",
        id = q(attr::APPLICATION_ID),
        version = q(attr::VERSION),
        action = q(attr::ACTION),
        sent = q(attr::RESULT_SENT_AT),
        expires = q(attr::EXPIRES_AT),
    );
    let mut statement = connection.prepare(&sql)?;
    let mut rows = statement.query([now])?;
    let mut records = Vec::new();
    while let Some(row) = rows.next()? {
        let id = ApplicationId::parse(&row.get::<_, String>(0)?);
        let version = Version::from_number(row.get::<_, i64>(1)?);
        let action = HistoryAction::parse(&row.get::<_, String>(2)?);
        if let (Some(id), Some(version), Some(action)) = (id, version, action) {
            records.push(plan::MailRecord::History {
                id,
                version,
                action,
                expired: row.get(3)?,
                sent: row.get(4)?,
            });
        }
    }
    Ok(records)
}

/// Deletes history entries whose retention has passed (a rejected
/// application's, with it).
pub(super) fn purge_history(tx: &Transaction<'_>, now: i64) -> rusqlite::Result<usize> {
    tx.execute(&format!("DELETE FROM history WHERE {} < ?1", q(attr::EXPIRES_AT)), [now])
}
