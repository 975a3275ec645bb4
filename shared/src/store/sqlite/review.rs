//! The operators' side of the SQLite store: decisions, the record of one
//! application with its history, the list and its search, the counts, the
//! reviewer's related applications, erasure and the audit. Each change is one
//! IMMEDIATE transaction executing a [`plan`], with the same conditions as the
//! DynamoDB store's.

use super::{
    SqlValue, SqliteStore, application_by_id, insert, read_applications, read_record, row_values, schema,
    sql_values, unreadable, update_application, update_lifecycle, write_record,
};
use crate::domain::{
    ApplicationId, AuditEntry, AuditId, HistoryAction, HistoryEntry, InvoiceNumber, NoticeId, Status,
    Timestamp, Version,
};
use crate::store::desk::AssigneeFilter;
use crate::store::layout;
use crate::store::plan;
use crate::store::{
    AuditPage, CorrectOutcome, CorrectionWrite, DecideOutcome, DecisionWrite, EraseOutcome,
    ErasedApplication, Erasure, ListQuery, Page, Record, Recounted, Related, RelatedApplication, Review,
    Search, StatusCounts, Unavailable,
};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params, params_from_iter};

#[async_trait]
impl Review for SqliteStore {
    async fn decide(&self, decision: &DecisionWrite) -> Result<DecideOutcome, Unavailable> {
        let decision = decision.clone();
        self.with_connection(move |connection| decide_in(connection, &decision)).await
    }

    async fn correct(&self, correction: &CorrectionWrite) -> Result<CorrectOutcome, Unavailable> {
        let correction = correction.clone();
        self.with_connection(move |connection| correct_in(connection, &correction)).await
    }

    async fn record(
        &self,
        application_id: ApplicationId,
    ) -> Result<Option<(Record, Vec<HistoryEntry>)>, Unavailable> {
        self.with_connection(move |connection| record_in(connection, application_id)).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page, Unavailable> {
        let query = query.clone();
        self.with_connection(move |connection| list_in(connection, &query)).await
    }

    async fn count_by_status(&self) -> Result<StatusCounts, Unavailable> {
        self.with_connection(|connection| count_in(connection)).await
    }

    async fn related(&self, query: &Related) -> Result<Vec<RelatedApplication>, Unavailable> {
        let query = query.clone();
        self.with_connection(move |connection| related_in(connection, &query)).await
    }

    async fn erase(&self, erasure: &Erasure) -> Result<EraseOutcome, Unavailable> {
        let erasure = erasure.clone();
        self.with_connection(move |connection| {
            let outcome = erase_in(connection, &erasure)?;
            // The write-ahead log still holds the pages as they were (also
            // after an earlier erasure whose checkpoint was busy).
            super::checkpoint(connection)?;
            Ok(outcome)
        })
        .await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), Unavailable> {
        let entry = entry.clone();
        self.with_connection(move |connection| append_audit_in(connection, &entry)).await
    }

    async fn audit_log(&self, before: Option<AuditId>, limit: usize) -> Result<AuditPage, Unavailable> {
        self.with_connection(move |connection| audit_log_in(connection, before, limit)).await
    }
}

pub(super) fn append_audit_in(connection: &Connection, entry: &AuditEntry) -> rusqlite::Result<()> {
    let mut row = vec![(schema::ID, entry.id.to_string().into())];
    row.extend(sql_values(layout::audit_attributes(entry))?);
    insert(connection, "INSERT INTO audit", row)
}

pub(super) fn insert_history(
    tx: &Connection,
    id: ApplicationId,
    entry: &HistoryEntry,
) -> rusqlite::Result<()> {
    insert(tx, "INSERT INTO history", sql_values(layout::history_attributes(id, entry))?)
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
            r#"SELECT EXISTS (SELECT 1 FROM partner_codes WHERE "partnerCode" = ?1)"#,
            [code.as_str()],
            |row| row.get(0),
        )?;
        if taken {
            return Ok(DecideOutcome::PartnerCodeTaken);
        }
        tx.execute(
            r#"INSERT INTO partner_codes ("partnerCode", "applicationId") VALUES (?1, ?2)"#,
            params![code.as_str(), id],
        )?;
    }
    if !update_lifecycle(&tx, &plan.before, &plan.after, plan.from, plan.at)? {
        // Not reachable inside an IMMEDIATE transaction; refused all the same.
        return Ok(DecideOutcome::VersionConflict(plan.before));
    }
    insert_history(&tx, decision.application_id, &plan.entry)?;
    if let Some((token, request)) = &plan.document_request {
        super::documents::insert_request(&tx, token, request)?;
    }
    if let Some(until) = plan.retain_until {
        // The history's messages go with the application's personal data.
        tx.execute(
            r#"UPDATE history SET "expiresAt" = ?1 WHERE "applicationId" = ?2"#,
            params![until.epoch(), id],
        )?;
    }
    apply_counts(&tx, &plan.count_changes())?;
    write_record(&tx, &key, &plan.record)?;
    append_audit_in(&tx, &plan.audit)?;
    tx.commit()?;
    Ok(plan.outcome())
}

pub(super) fn correct_in(
    connection: &mut Connection,
    correction: &CorrectionWrite,
) -> rusqlite::Result<CorrectOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let key = plan::RecordKey::Correction(&correction.idempotency_key);
    let id = correction.application_id.to_string();
    let read = plan::CorrectionRead {
        previous: read_record(&tx, &key, correction.at.epoch())?,
        application: application_by_id(&tx, &id)?,
        erased: erased_in(&tx, &id)?.is_some(),
    };
    let plan = match plan::correct(correction, read) {
        Ok(plan) => plan,
        Err(outcome) => return Ok(outcome),
    };
    let attributes = layout::correction_attributes(&plan.after, plan.at);
    if !update_application(&tx, &plan.before, attributes, plan.from())? {
        // Not reachable inside an IMMEDIATE transaction; refused all the same.
        return Ok(CorrectOutcome::VersionConflict(plan.before));
    }
    insert_history(&tx, correction.application_id, &plan.entry)?;
    if let Some(until) = plan.after.expires_at {
        // A rejected application's history goes with it: this entry too.
        tx.execute(
            r#"UPDATE history SET "expiresAt" = ?1 WHERE "applicationId" = ?2 AND "version" = ?3"#,
            params![until.epoch(), id, plan.entry.version.get()],
        )?;
    }
    write_record(&tx, &key, &plan.record)?;
    append_audit_in(&tx, &plan.audit)?;
    tx.commit()?;
    Ok(plan.outcome())
}

pub(super) fn history_in(
    connection: &Connection,
    id: &str,
    version: Option<Version>,
    now: i64,
) -> rusqlite::Result<Vec<HistoryEntry>> {
    let mut statement = connection.prepare(
        r#"SELECT "version", "at", "actor", "action", "fromStatus", "toStatus", "message", "reason", "files",
                  "fields"
           FROM history
           WHERE "applicationId" = ?1 AND (?2 IS NULL OR "version" = ?2)
           AND ("expiresAt" IS NULL OR "expiresAt" >= ?3) ORDER BY "version""#,
    )?;
    let rows = statement.query_map(params![id, version.map(Version::get), now], |row| {
        let values = row_values(row)?;
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
    let erased = connection
        .query_row(
            r#"SELECT "applicationId", "receptionNumber", "receivedAt", "verifiedAt", "erasedStatus", "version",
                      "erasedAt"
               FROM erased WHERE "applicationId" = ?1"#,
            [id],
            |row| {
                let values = row_values(row)?;
                Ok(layout::erased_application_from(|name| values.get(name).map(|v| v.as_str().into())))
            },
        )
        .optional()?;
    Ok(erased.transpose().map_err(unreadable)?.flatten())
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

/// One page of the list. Dynamic because each of the query's filters adds a
/// condition; every fragment is literal, and its `?`s are bound in order.
pub(super) fn list_in(connection: &Connection, query: &ListQuery) -> rusqlite::Result<Page> {
    let mut condition = String::from(r#"WHERE ("expiresAt" IS NULL OR "expiresAt" >= ?)"#);
    let mut values: Vec<SqlValue> = vec![Timestamp::now().epoch().into()];
    let mut and = |fragment: &str, bound: Vec<SqlValue>| {
        condition.push_str(" AND ");
        condition.push_str(fragment);
        values.extend(bound);
    };
    let text = |value: &str| SqlValue::from(value.to_owned());
    match query.status {
        Some(status) => and(r#""status" = ?"#, vec![text(status.as_str())]),
        None => and(r#""status" <> ?"#, vec![text(Status::AwaitingVerification.as_str())]),
    }
    if let Some(from) = query.from {
        and(r#""receivedAt" >= ?"#, vec![from.to_string().into()]);
    }
    if let Some(to) = query.to {
        and(r#""receivedAt" < ?"#, vec![to.to_string().into()]);
    }
    if let Some(cursor) = query.cursor {
        let at = cursor.received_at.to_string();
        and(
            r#"("receivedAt" < ? OR ("receivedAt" = ? AND "applicationId" < ?))"#,
            vec![text(&at), text(&at), cursor.application_id.to_string().into()],
        );
    }
    match &query.assignee {
        None => {}
        Some(AssigneeFilter::Operator(assignee)) => and(r#""assignee" = ?"#, vec![text(assignee.as_str())]),
        Some(AssigneeFilter::Unassigned) => and(r#""assignee" IS NULL"#, vec![]),
    }
    match &query.search {
        None => {}
        Some(Search::ReceptionNumber(number)) => {
            and(r#""receptionNumber" = ?"#, vec![number.to_string().into()])
        }
        Some(Search::Email(key)) => and(r#""emailKey" = ?"#, vec![text(key.as_str())]),
        Some(Search::Phone(phone)) => and(r#""phone" = ?"#, vec![text(phone.as_str())]),
        Some(Search::Text { text: words, reading }) => and(
            r#"(instr("searchText", ?) > 0 OR instr("searchText", ?) > 0)"#,
            vec![words.clone().into(), reading.clone().into()],
        ),
    }
    let limit = query.limit.clamp(1, ListQuery::MAX_LIMIT);
    condition.push_str(r#" ORDER BY "receivedAt" DESC, "applicationId" DESC LIMIT ?"#);
    values.push(i64::try_from(limit + 1).unwrap_or(i64::MAX).into());
    let mut items = read_applications(connection, &condition, params_from_iter(values))?;
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(crate::store::Cursor::after)
    } else {
        None
    };
    Ok(Page { items, next })
}

/// Applies a plan's counter changes (a missing row starts at 0).
pub(super) fn apply_counts(tx: &Connection, changes: &[plan::CountChange]) -> rusqlite::Result<()> {
    for change in changes {
        tx.execute(
            r#"INSERT INTO status_counts ("status", "count") VALUES (?1, ?2)
               ON CONFLICT ("status") DO UPDATE SET "count" = "count" + excluded."count""#,
            params![change.status.as_str(), change.delta],
        )?;
    }
    Ok(())
}

/// How many live applications each status has: a counted status's row less
/// its applications past their retention but not yet deleted, the uncounted
/// status's live rows; each an index range of `applications_by_status_expiry`
/// over the few rows past (or, unverified, before) their time.
pub(super) fn count_in(connection: &Connection) -> rusqlite::Result<StatusCounts> {
    let now = Timestamp::now().epoch();
    let mut counts = StatusCounts::default();
    for status in Status::ALL {
        let count: i64 = if plan::counted(status) {
            connection.query_row(
                r#"SELECT coalesce((SELECT "count" FROM status_counts WHERE "status" = ?1), 0)
                        - (SELECT count(*) FROM applications WHERE "status" = ?1 AND "expiresAt" < ?2)"#,
                params![status.as_str(), now],
                |row| row.get(0),
            )?
        } else {
            connection.query_row(
                r#"SELECT count(*) FROM applications
                   WHERE "status" = ?1 AND ("expiresAt" IS NULL OR "expiresAt" >= ?2)"#,
                params![status.as_str(), now],
                |row| row.get(0),
            )?
        };
        counts.set(status, u64::try_from(count).unwrap_or(0));
    }
    Ok(counts)
}

/// Sets every counted status's row to the rows it has (expired ones too:
/// they stay counted until deleted). Returns the counts before and after.
/// For a file from before the counts, and `xtask recount`.
pub(super) fn recount_in(connection: &Connection) -> rusqlite::Result<Recounted> {
    let mut before = StatusCounts::default();
    let mut after = StatusCounts::default();
    for status in Status::ALL.into_iter().filter(|status| plan::counted(*status)) {
        let (was, is): (i64, i64) = connection.query_row(
            r#"SELECT coalesce((SELECT "count" FROM status_counts WHERE "status" = ?1), 0),
                      (SELECT count(*) FROM applications WHERE "status" = ?1)"#,
            [status.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        connection.execute(
            r#"INSERT INTO status_counts ("status", "count") VALUES (?1, ?2)
               ON CONFLICT ("status") DO UPDATE SET "count" = excluded."count""#,
            params![status.as_str(), is],
        )?;
        before.set(status, u64::try_from(was).unwrap_or(0));
        after.set(status, u64::try_from(is).unwrap_or(0));
    }
    Ok(Recounted { before, after })
}

/// The reviewer's check ([`Related`]): one query, each of its three terms
/// an index's (SQLite unions them). The corporate name is compared without
/// spaces by the very expression of `applications_by_corporate_name`
/// ([`super::schema`]), which a query uses only when it names the same one.
pub(super) fn related_in(
    connection: &Connection,
    query: &Related,
) -> rusqlite::Result<Vec<RelatedApplication>> {
    let condition = r#"WHERE ("expiresAt" IS NULL OR "expiresAt" >= ?1) AND "status" <> ?7
        AND "applicationId" <> ?2
        AND ("phone" = ?3 OR "invoiceNumber" = ?4 OR replace("corporateName", ' ', '') = ?5)
        ORDER BY "receivedAt" DESC, "applicationId" DESC LIMIT ?6"#;
    let limit = i64::try_from(query.limit.clamp(1, Related::MAX_LIMIT)).unwrap_or(1);
    let found = read_applications(
        connection,
        condition,
        params![
            Timestamp::now().epoch(),
            query.application_id.to_string(),
            query.phone.as_str(),
            query.invoice_number.as_ref().map(InvoiceNumber::as_str),
            query.corporate_name,
            limit,
            Status::AwaitingVerification.as_str(),
        ],
    )?;
    // SQL's terms are the check's own; this only guards what they compare.
    Ok(found.iter().map(RelatedApplication::of).filter(|other| query.finds(other)).collect())
}

pub(super) fn erase_in(connection: &mut Connection, erasure: &Erasure) -> rusqlite::Result<EraseOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = erasure.application_id.to_string();
    let application = application_by_id(&tx, &id)?;
    let read = plan::ErasureRead {
        tombstone: if application.is_none() { erased_in(&tx, &id)? } else { None },
        history: history_in(&tx, &id, None, erasure.at.epoch())?.into_iter().map(|e| e.version).collect(),
        notices: notices_of(&tx, &id)?,
        documents: super::documents::documents_in(&tx, &id)?.into_iter().map(|d| d.document_id).collect(),
        notes: super::desk::notes_in(&tx, &id)?.into_iter().map(|n| n.note_id).collect(),
        mails: super::deliveries::mails_in(&tx, &id)?.into_iter().map(|m| m.mail_id).collect(),
        application,
    };
    let plan = match plan::erase(erasure, read) {
        Ok(plan) => plan,
        Err(outcome) => return Ok(outcome),
    };
    insert(&tx, "INSERT INTO erased", sql_values(layout::tombstone_attributes(&plan.tombstone))?)?;
    tx.execute(r#"DELETE FROM tokens WHERE "hash" = ?1"#, [plan.token.as_str()])?;
    // Any token the application still has (its link's, whatever key derived it).
    tx.execute(r#"DELETE FROM tokens WHERE "applicationId" = ?1"#, [&id])?;
    for notice in &plan.notices {
        tx.execute(r#"DELETE FROM notices WHERE "noticeId" = ?1"#, [notice.to_string()])?;
    }
    for document in &plan.documents {
        tx.execute(r#"DELETE FROM documents WHERE "documentId" = ?1"#, [document.to_string()])?;
    }
    for note in &plan.notes {
        tx.execute(r#"DELETE FROM notes WHERE "noteId" = ?1"#, [note.to_string()])?;
    }
    for mail in &plan.mails {
        tx.execute(
            r#"DELETE FROM mails WHERE "applicationId" = ?1 AND "mailId" = ?2"#,
            [&id, mail.as_str()],
        )?;
    }
    // Its links name an application that is gone; they go with it.
    tx.execute(r#"DELETE FROM document_requests WHERE "applicationId" = ?1"#, [&id])?;
    // The row holds the address's reservation (its `emailKey`): both go.
    let deleted = tx.execute(
        r#"DELETE FROM applications WHERE "applicationId" = ?1 AND "version" = ?2"#,
        params![id, plan.before.version.get()],
    )?;
    if deleted != 1 {
        return Ok(EraseOutcome::NotFound);
    }
    for version in &plan.clear_messages {
        tx.execute(
            r#"UPDATE history SET "message" = NULL WHERE "applicationId" = ?1 AND "version" = ?2"#,
            params![id, version.get()],
        )?;
    }
    apply_counts(&tx, &plan.count_changes())?;
    insert_history(&tx, erasure.application_id, &plan.entry)?;
    append_audit_in(&tx, &plan.audit)?;
    tx.commit()?;
    Ok(plan.outcome())
}

/// The notices made for the application's address.
fn notices_of(connection: &Connection, id: &str) -> rusqlite::Result<Vec<NoticeId>> {
    let mut statement = connection.prepare(r#"SELECT "noticeId" FROM notices WHERE "applicationId" = ?1"#)?;
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
    let mut statement = connection.prepare(
        r#"SELECT "id", "at", "actor", "action", "applicationId",
                  "exportStatus", "exportFrom", "exportTo", "exportRows" FROM audit
           WHERE (?1 IS NULL OR "id" < ?1) ORDER BY "id" DESC LIMIT ?2"#,
    )?;
    let rows = statement.query_map(
        params![before.map(|id| id.to_string()), i64::try_from(limit).unwrap_or(500) + 1],
        |row| {
            let id: String = row.get(0)?;
            let values = row_values(row)?;
            layout::audit_entry_from(&id, |name| values.get(name).map(|v| v.as_str().into()))
                .map_err(unreadable)
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
    let mut statement = connection.prepare(
        r#"SELECT "applicationId", "version", "action", coalesce("expiresAt" < ?1, 0), "resultSentAt" IS NOT NULL
           FROM history WHERE "applicationId" IN (SELECT "applicationId" FROM applications)"#,
    )?;
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
    tx.execute(r#"DELETE FROM history WHERE "expiresAt" < ?1"#, [now])
}
