//! The documents link on the SQLite store: the request a token names, the
//! upload targets issued for it and the submission, each carrying out a
//! [`plan`] in one IMMEDIATE transaction, as the DynamoDB store does.

use super::review::{apply_counts, history_in, insert_history};
use super::{
    SqliteStore, application_by_id, insert, read_record, row_values, sql_values, unreadable,
    update_lifecycle, write_record,
};
use crate::domain::{ApplicationId, Document, DocumentRequest, Timestamp};
use crate::keyed::TokenHash;
use crate::store::documents::{DocumentsSubmission, RequestState, SubmitDocumentsOutcome};
use crate::store::{Documents, Unavailable, layout, plan};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

#[async_trait]
impl Documents for SqliteStore {
    async fn document_request(&self, token: &TokenHash) -> Result<RequestState, Unavailable> {
        let token = token.clone();
        self.with_connection(move |connection| request_state_in(connection, &token, Timestamp::now())).await
    }

    async fn add_upload(&self, document: &Document) -> Result<(), Unavailable> {
        let document = document.clone();
        self.with_connection(move |connection| {
            insert(connection, "INSERT INTO documents", sql_values(layout::document_attributes(&document))?)
        })
        .await
    }

    async fn submit_documents(
        &self,
        submission: &DocumentsSubmission,
    ) -> Result<SubmitDocumentsOutcome, Unavailable> {
        let submission = submission.clone();
        self.with_connection(move |connection| submit_in(connection, &submission)).await
    }

    async fn forget_documents(&self, application_id: ApplicationId) -> Result<usize, Unavailable> {
        self.with_connection(move |connection| {
            connection
                .execute(r#"DELETE FROM documents WHERE "applicationId" = ?1"#, [application_id.to_string()])
        })
        .await
    }

    async fn documents_of(&self, application_id: ApplicationId) -> Result<Vec<Document>, Unavailable> {
        self.with_connection(move |connection| {
            let documents = documents_in(connection, &application_id.to_string())?;
            Ok(crate::store::documents::of_application(documents, application_id))
        })
        .await
    }
}

/// Every document row of an application.
pub(super) fn documents_in(connection: &Connection, id: &str) -> rusqlite::Result<Vec<Document>> {
    let mut statement = connection.prepare(
        r#"SELECT "documentId", "applicationId", "requestVersion", "fileName", "contentType", "size",
                  "uploadedAt", "submittedAt"
           FROM documents WHERE "applicationId" = ?1"#,
    )?;
    let rows = statement.query_map([id], |row| {
        let values = row_values(row)?;
        layout::document_from(|name| values.get(name).map(|v| v.as_str().into())).map_err(unreadable)
    })?;
    rows.collect()
}

fn request_in(connection: &Connection, token: &TokenHash) -> rusqlite::Result<Option<DocumentRequest>> {
    let request = connection
        .query_row(
            r#"SELECT "applicationId", "version", "expiresAt" FROM document_requests WHERE "hash" = ?1"#,
            [token.as_str()],
            |row| {
                let values = row_values(row)?;
                Ok(layout::document_request_from(|name| values.get(name).map(|v| v.as_str().into())))
            },
        )
        .optional()?;
    request.transpose().map_err(unreadable)
}

fn request_state_in(
    connection: &Connection,
    token: &TokenHash,
    now: Timestamp,
) -> rusqlite::Result<RequestState> {
    let Some(request) = request_in(connection, token)? else { return Ok(RequestState::NotFound) };
    let id = request.application_id.to_string();
    let application = application_by_id(connection, &id)?;
    let history = history_in(connection, &id, None, now.epoch())?;
    Ok(plan::request_state(Some(request), application, &history, documents_in(connection, &id)?, now))
}

/// Writes a request's row (a decision that asks for documents).
pub(super) fn insert_request(
    connection: &Connection,
    token: &TokenHash,
    request: &DocumentRequest,
) -> rusqlite::Result<()> {
    let mut row = vec![(super::schema::HASH, token.as_str().to_owned().into())];
    row.extend(sql_values(layout::document_request_attributes(request))?);
    insert(connection, "INSERT INTO document_requests", row)
}

fn submit_in(
    connection: &mut Connection,
    submission: &DocumentsSubmission,
) -> rusqlite::Result<SubmitDocumentsOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let key = plan::RecordKey::Documents(&submission.idempotency_key);
    let previous = read_record(&tx, &key, submission.at.epoch())?;
    let state = request_state_in(&tx, &submission.token, submission.at)?;
    let plan = match plan::submit_documents(submission, previous, state) {
        Ok(plan) => plan,
        Err(outcome) => return Ok(outcome),
    };
    if !update_lifecycle(&tx, &plan.before, &plan.after, plan.from, plan.entry.at)? {
        // Not reachable inside an IMMEDIATE transaction; refused all the same.
        return Ok(SubmitDocumentsOutcome::NotWaiting(plan.before));
    }
    insert_history(&tx, plan.before.id(), &plan.entry)?;
    for document in &plan.documents {
        tx.execute(
            r#"UPDATE documents SET "submittedAt" = ?1 WHERE "documentId" = ?2"#,
            params![plan.entry.at.to_string(), document.document_id.to_string()],
        )?;
    }
    apply_counts(&tx, &plan.count_changes())?;
    write_record(&tx, &key, &plan.record)?;
    tx.commit()?;
    Ok(plan.outcome())
}
