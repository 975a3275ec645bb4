//! The applicants' side of the SQLite store: submission (with its
//! idempotency and the address's reservation), the verification token and
//! its confirmation, the rate counters, the mail ledger (which mail is owed,
//! which was sent) and the purge of expired records. Each change is one
//! IMMEDIATE transaction executing a [`plan`].

use super::{
    SqlValue, application_by_id, insert_application, now, read_record, review, schema, unreadable,
    update_lifecycle, write_record,
};
use crate::domain::{ApplicationId, MailEvent, MailKind, MailSubject, NoticeId, Status};
use crate::keyed::TokenHash;
use crate::store::layout::{self, attr};
use crate::store::plan;
use crate::store::{ConfirmOutcome, Counter, Notice, Submission, SubmitOutcome, TokenState};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params, params_from_iter};

pub(super) fn submit_in(
    connection: &mut Connection,
    submission: &Submission,
) -> rusqlite::Result<SubmitOutcome> {
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
                r#"INSERT INTO notices ("noticeId", "applicationId", "expiresAt") VALUES (?1, ?2, ?3)"#,
                params![notice_id.to_string(), application_id.to_string(), expires_at.epoch()],
            )?;
        }
        plan::SubmissionPlan::Application { stored, supersedes, email_key, token } => {
            if let Some(plan::Reservation::Unverified { application_id, token }) = supersedes {
                // The earlier, unverified application and its link are replaced.
                if let Some(token) = token {
                    tx.execute(r#"DELETE FROM tokens WHERE "hash" = ?1"#, [token.as_str()])?;
                }
                tx.execute(
                    r#"DELETE FROM applications WHERE "applicationId" = ?1"#,
                    [application_id.to_string()],
                )?;
            }
            let taken: bool = tx.query_row(
                r#"SELECT EXISTS (SELECT 1 FROM applications WHERE "receptionNumber" = ?1)"#,
                [stored.receipt.reception_number.as_str()],
                |row| row.get(0),
            )?;
            if taken {
                return Ok(SubmitOutcome::ReceptionNumberTaken);
            }
            insert_application(&tx, stored, email_key.as_str(), Some(token.as_str()), &[])?;
            tx.execute(
                r#"INSERT INTO tokens ("hash", "applicationId", "expiresAt") VALUES (?1, ?2, ?3)"#,
                params![token.as_str(), stored.id().to_string(), submission.expires_at.epoch()],
            )?;
        }
    }
    review::apply_counts(&tx, &plan.count_changes())?;
    write_record(&tx, &key, &plan.record(submission, now))?;
    tx.commit()?;
    Ok(plan.outcome(submission))
}

/// The address's live reservation: the application that holds it, if any.
fn reservation_in(connection: &Connection, email_key: &str) -> rusqlite::Result<Option<plan::Reservation>> {
    let row: Option<(String, String, Option<String>)> = connection
        .query_row(
            r#"SELECT "applicationId", "status", "tokenHash" FROM applications WHERE "emailKey" = ?1"#,
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
/// tokens: unverified ones past their link's, rejected ones past their retention
/// (each out of its status's count, in the same transaction).
fn delete_expired_applications(
    tx: &Transaction<'_>,
    email_key: Option<&str>,
    now: i64,
) -> rusqlite::Result<usize> {
    tx.execute(
        r#"UPDATE status_counts SET "count" = "count" - (
               SELECT count(*) FROM applications WHERE applications."status" = status_counts."status"
               AND "expiresAt" < ?1 AND (?2 IS NULL OR "emailKey" = ?2))"#,
        params![now, email_key],
    )?;
    tx.execute(
        r#"DELETE FROM tokens WHERE "applicationId" IN (
               SELECT "applicationId" FROM applications
               WHERE "expiresAt" < ?1 AND (?2 IS NULL OR "emailKey" = ?2))"#,
        params![now, email_key],
    )?;
    tx.execute(
        r#"DELETE FROM applications WHERE "applicationId" IN (
               SELECT "applicationId" FROM applications
               WHERE "expiresAt" < ?1 AND (?2 IS NULL OR "emailKey" = ?2))"#,
        params![now, email_key],
    )
}

/// The token's application id, expiry and whether it was used.
fn read_token(connection: &Connection, token: &str) -> rusqlite::Result<Option<(String, i64, bool)>> {
    connection
        .query_row(
            r#"SELECT "applicationId", "expiresAt", "confirmedAt" IS NOT NULL FROM tokens WHERE "hash" = ?1"#,
            [token],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
}

pub(super) fn token_in(connection: &Connection, token: &str) -> rusqlite::Result<TokenState> {
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

pub(super) fn confirm_in(connection: &mut Connection, token: &str) -> rusqlite::Result<ConfirmOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let plan = match plan::confirm(token_in(&tx, token)?, now()) {
        Ok(plan) => plan,
        Err(outcome) => return Ok(outcome),
    };
    if !update_lifecycle(&tx, &plan.before, &plan.after, plan.from(), plan.at)? {
        return Ok(ConfirmOutcome::NotFound);
    }
    tx.execute(
        r#"UPDATE tokens SET "confirmedAt" = ?1, "expiresAt" = ?2 WHERE "hash" = ?3"#,
        params![plan.at.to_string(), plan.token_expires_at.epoch(), token],
    )?;
    review::apply_counts(&tx, &plan.count_changes())?;
    tx.commit()?;
    Ok(ConfirmOutcome::Confirmed(plan.after))
}

/// One atomic statement: the first request of a window inserts the counter,
/// later ones increment it while it is under the limit. No purge here: a
/// counter's window is in its key, so an old one is never counted again, and
/// `purge_expired` (daily) deletes it.
pub(super) fn admit_in(connection: &mut Connection, counter: &Counter) -> rusqlite::Result<bool> {
    if counter.limit == 0 {
        return Ok(false);
    }
    let changed = connection.execute(
        r#"INSERT INTO counters ("key", "count", "expiresAt") VALUES (?1, 1, ?2)
           ON CONFLICT ("key") DO UPDATE SET "count" = "count" + 1 WHERE "count" < ?3"#,
        params![counter.key, counter.window_ends.epoch(), counter.limit],
    )?;
    Ok(changed == 1)
}

/// Every record that may owe a mail, as [`plan::owed`] reads it.
pub(super) fn pending_in(connection: &Connection) -> rusqlite::Result<Vec<MailEvent>> {
    let now = now().epoch();
    let mut records = Vec::new();
    let mut statement = connection.prepare(
        r#"SELECT "applicationId", "status", coalesce("expiresAt" < ?1, 0), "verificationSentAt" IS NOT NULL,
                  "acknowledgementSentAt" IS NOT NULL, "operatorNoticeSentAt" IS NOT NULL
           FROM applications"#,
    )?;
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
    let mut statement = connection.prepare(
        r#"SELECT "noticeId", "expiresAt" < ?1, "alreadyReceivedSentAt" IS NOT NULL FROM notices"#,
    )?;
    let mut rows = statement.query([now])?;
    while let Some(row) = rows.next()? {
        if let Some(id) = NoticeId::parse(&row.get::<_, String>(0)?) {
            records.push(plan::MailRecord::Notice { id, expired: row.get(1)?, sent: row.get(2)? });
        }
    }
    records.extend(review::history_mail_records(connection, now)?);
    Ok(records.iter().filter_map(plan::owed).collect())
}

/// The table of a mail subject's row, the condition that selects it, and
/// the values of that condition's parameters (?1, and ?2 for a decision).
fn subject_row(subject: MailSubject) -> (&'static str, &'static str, Vec<SqlValue>) {
    match subject {
        MailSubject::Application(id) => {
            ("applications", r#""applicationId" = ?1"#, vec![id.to_string().into()])
        }
        MailSubject::Notice(id) => ("notices", r#""noticeId" = ?1"#, vec![id.to_string().into()]),
        MailSubject::History(id, version) => (
            "history",
            r#""applicationId" = ?1 AND "version" = ?2"#,
            vec![id.to_string().into(), i64::from(version.get()).into()],
        ),
    }
}

/// Whether `kind`'s marker is set on `subject`'s row (which carries it). The
/// marker's column is the layout's ([`layout::mail_sent_attribute`]).
pub(super) fn mail_sent_in(
    connection: &Connection,
    subject: MailSubject,
    kind: MailKind,
) -> rusqlite::Result<bool> {
    let (table, condition, keys) = subject_row(subject);
    let marker = schema::quoted(layout::mail_sent_attribute(kind));
    let sql = format!("SELECT {marker} IS NOT NULL FROM {table} WHERE {condition}");
    let sent = connection.query_row(&sql, params_from_iter(keys), |row| row.get(0));
    Ok(sent.optional()?.unwrap_or(false))
}

/// Sets `kind`'s marker on `subject`'s row (which carries it) unless it is
/// set already. True if this call set it.
pub(super) fn mark_mail_sent_in(
    connection: &Connection,
    subject: MailSubject,
    kind: MailKind,
    now: &str,
) -> rusqlite::Result<bool> {
    let (table, condition, mut values) = subject_row(subject);
    let marker = schema::quoted(layout::mail_sent_attribute(kind));
    values.push(now.to_owned().into());
    let at = values.len();
    let sql = format!("UPDATE {table} SET {marker} = ?{at} WHERE {condition} AND {marker} IS NULL");
    Ok(connection.execute(&sql, params_from_iter(values))? == 1)
}

/// The notice, while it lives.
pub(super) fn notice_in(connection: &Connection, notice_id: NoticeId) -> rusqlite::Result<Option<Notice>> {
    let id: Option<String> = connection
        .query_row(
            r#"SELECT "applicationId" FROM notices WHERE "noticeId" = ?1 AND "expiresAt" >= ?2"#,
            params![notice_id.to_string(), now().epoch()],
            |row| row.get(0),
        )
        .optional()?;
    Ok(id.and_then(|id| ApplicationId::parse(&id)).map(|application_id| Notice { notice_id, application_id }))
}

/// Deletes every record whose time has passed ([`super::SqliteStore::purge_expired`]).
pub(super) fn purge_in(connection: &mut Connection, now: i64) -> rusqlite::Result<usize> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut purged = delete_expired_applications(&tx, None, now)?;
    purged += review::purge_history(&tx, now)?;
    for expired in [
        r#"DELETE FROM idempotency WHERE "expiresAt" < ?1"#,
        r#"DELETE FROM tokens WHERE "expiresAt" < ?1"#,
        r#"DELETE FROM notices WHERE "expiresAt" < ?1"#,
        r#"DELETE FROM counters WHERE "expiresAt" < ?1"#,
        r#"DELETE FROM document_requests WHERE "expiresAt" < ?1"#,
    ] {
        purged += tx.execute(expired, [now])?;
    }
    // The records of the documents of an application deleted above (a
    // rejected one past its retention): the local sweep deletes their files.
    purged += tx.execute(
        r#"DELETE FROM documents WHERE "applicationId" NOT IN (SELECT "applicationId" FROM applications)"#,
        [],
    )?;
    // And the notes and the mail records on it.
    for orphans in [
        r#"DELETE FROM notes WHERE "applicationId" NOT IN (SELECT "applicationId" FROM applications)"#,
        r#"DELETE FROM mails WHERE "applicationId" NOT IN (SELECT "applicationId" FROM applications)"#,
    ] {
        purged += tx.execute(orphans, [])?;
    }
    tx.commit()?;
    Ok(purged)
}
