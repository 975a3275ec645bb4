//! The desk on the SQLite store: notes (the `notes` table) and the assignee
//! (a column of `applications` that no lifecycle write names), each with its
//! audit entry in one IMMEDIATE transaction carrying out a [`plan`].

use super::review::append_audit_in;
use super::{SqliteStore, application_by_id, insert, row_values, sql_values, unreadable};
use crate::domain::{ApplicationId, Note};
use crate::store::desk::{AssignOutcome, Assignment, NoteOutcome, NoteWrite};
use crate::store::{Desk, Unavailable, layout, plan};
use async_trait::async_trait;
use rusqlite::{Connection, TransactionBehavior, params};

#[async_trait]
impl Desk for SqliteStore {
    async fn add_note(&self, write: &NoteWrite) -> Result<NoteOutcome, Unavailable> {
        let write = write.clone();
        self.with_connection(move |connection| add_note_in(connection, &write)).await
    }

    async fn notes_of(&self, application_id: ApplicationId) -> Result<Vec<Note>, Unavailable> {
        self.with_connection(move |connection| {
            let notes = notes_in(connection, &application_id.to_string())?;
            Ok(crate::store::desk::newest_first(notes, application_id))
        })
        .await
    }

    async fn assign(&self, assignment: &Assignment) -> Result<AssignOutcome, Unavailable> {
        let assignment = assignment.clone();
        self.with_connection(move |connection| assign_in(connection, &assignment)).await
    }
}

fn add_note_in(connection: &mut Connection, write: &NoteWrite) -> rusqlite::Result<NoteOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let application = application_by_id(&tx, &write.note.application_id.to_string())?;
    let note = match plan::note(write, application.as_ref()) {
        Ok(note) => note,
        Err(outcome) => return Ok(outcome),
    };
    insert(&tx, "INSERT INTO notes", sql_values(layout::note_attributes(&note))?)?;
    append_audit_in(&tx, &write.audit)?;
    tx.commit()?;
    Ok(NoteOutcome::Added(note))
}

/// Every note row of an application.
pub(super) fn notes_in(connection: &Connection, id: &str) -> rusqlite::Result<Vec<Note>> {
    let mut statement = connection.prepare(
        r#"SELECT "noteId", "applicationId", "at", "actor", "text" FROM notes WHERE "applicationId" = ?1"#,
    )?;
    let rows = statement.query_map([id], |row| {
        let values = row_values(row)?;
        layout::note_from(|name| values.get(name).map(|v| v.as_str().into())).map_err(unreadable)
    })?;
    rows.collect()
}

fn assign_in(connection: &mut Connection, assignment: &Assignment) -> rusqlite::Result<AssignOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = assignment.application_id.to_string();
    let application = application_by_id(&tx, &id)?;
    let outcome = match plan::assign(assignment, application.as_ref()) {
        Ok(outcome) => outcome,
        Err(outcome) => return Ok(outcome),
    };
    tx.execute(
        r#"UPDATE applications SET "assignee" = ?1 WHERE "applicationId" = ?2"#,
        params![assignment.assignee.as_ref().map(|a| a.as_str().to_owned()), id],
    )?;
    append_audit_in(&tx, &assignment.audit)?;
    tx.commit()?;
    Ok(outcome)
}
