//! The desk on DynamoDB: a note is an item `NOTE#<noteId>` under its
//! application's `pk` (so the erasure's Query of the application reads it,
//! and the notes are one Query of that prefix); the assignee is an attribute
//! of the application item that no lifecycle write names. Each write is one
//! TransactWriteItems with its audit entry, conditional on the application
//! being live (it has a `status`, which a tombstone has not, and has not
//! expired); neither reads nor writes the version.

use super::review::{item_of, raced, transact_put, transact_update};
use super::{ATTEMPTS, DynamoStore, Sent, cancelled_by, n, pause, s, string};
use crate::domain::{ApplicationId, Note};
use crate::store::desk::{AssignOutcome, Assignment, NoteOutcome, NoteWrite};
use crate::store::layout::{self, Value, attr};
use crate::store::{Desk, Unavailable, plan};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem, Update};

/// The application is live: an application item (not a tombstone: it has a
/// `status`) whose retention or link has not run out.
const LIVE: &str = "attribute_exists(#status) AND (attribute_not_exists(#expires) OR #expires >= :now)";

impl DynamoStore {
    async fn add_note_once(&self, write: &NoteWrite) -> Result<Option<NoteOutcome>, Unavailable> {
        let id = write.note.application_id;
        let application = self.live_application(id).await?;
        let note = match plan::note(write, application.as_ref()) {
            Ok(note) => note,
            Err(outcome) => return Ok(Some(outcome)),
        };
        let now = write.note.at.epoch();
        let pk = layout::application_pk(id);
        let mut attributes = layout::note_attributes(&note);
        // A rejected application's notes go with it, by the same TTL.
        if let Some(expires) = application.and_then(|stored| stored.expires_at) {
            attributes.push((attr::EXPIRES_AT, Value::Number(expires.epoch().to_string())));
        }
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(super::keys(&pk, layout::APPLICATION_SORT_KEY)))
            .condition_expression(LIVE)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_values(":now", n(now))
            .build()
            .expect("complete");
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item_of(&pk, &layout::note_sk(note.note_id), attributes)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", layout::PARTITION_KEY)
            .build()
            .expect("table and item are set");
        let items = vec![
            TransactWriteItem::builder().condition_check(check).build(),
            transact_put(put),
            transact_put(self.audit_put(&write.audit)),
        ];
        match self.send(items).await? {
            Sent::Done => Ok(Some(NoteOutcome::Added(note))),
            // Erased (or expired) since the read: read again.
            Sent::Cancelled(reasons) if raced(&reasons) => Ok(None),
            Sent::Cancelled(reasons) => {
                Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))))
            }
        }
    }

    async fn assign_once(&self, assignment: &Assignment) -> Result<Option<AssignOutcome>, Unavailable> {
        let id = assignment.application_id;
        let application = self.live_application(id).await?;
        let outcome = match plan::assign(assignment, application.as_ref()) {
            Ok(outcome) => outcome,
            Err(outcome) => return Ok(Some(outcome)),
        };
        let now = assignment.audit.at.epoch();
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(super::keys(&layout::application_pk(id), layout::APPLICATION_SORT_KEY)))
            .condition_expression(LIVE)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_names("#assignee", attr::ASSIGNEE)
            .expression_attribute_values(":now", n(now));
        let update = match &assignment.assignee {
            Some(assignee) => update
                .update_expression("SET #assignee = :assignee")
                .expression_attribute_values(":assignee", s(assignee.as_str())),
            None => update.update_expression("REMOVE #assignee"),
        };
        let items = vec![
            transact_update(update.build().expect("complete")),
            transact_put(self.audit_put(&assignment.audit)),
        ];
        match self.send(items).await? {
            Sent::Done => Ok(Some(outcome)),
            Sent::Cancelled(reasons) if raced(&reasons) => Ok(None),
            Sent::Cancelled(reasons) => {
                Err(Unavailable(format!("transaction cancelled: {}", cancelled_by(&reasons))))
            }
        }
    }

    /// The application's note items: one Query of its `NOTE#` prefix (the
    /// notes only), newest first.
    async fn notes_query(&self, application_id: ApplicationId) -> Result<Vec<Note>, Unavailable> {
        let items = self.prefixed_items(application_id, layout::NOTE_SORT_PREFIX).await?;
        let notes = items
            .iter()
            .map(|item| layout::note_from(|name| string(item, name).map(Into::into)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Unavailable(format!("unreadable note: {e}")))?;
        Ok(crate::store::desk::newest_first(notes, application_id))
    }

    /// The note ids among an application's items (an erasure's read).
    pub(super) fn note_ids_in(items: &[super::Item]) -> Vec<crate::domain::NoteId> {
        items
            .iter()
            .filter_map(|item| string(item, layout::SORT_KEY))
            .filter_map(|sk| sk.strip_prefix(layout::NOTE_SORT_PREFIX).and_then(crate::domain::NoteId::parse))
            .collect()
    }
}

#[async_trait]
impl Desk for DynamoStore {
    async fn add_note(&self, write: &NoteWrite) -> Result<NoteOutcome, Unavailable> {
        for attempt in 0..ATTEMPTS {
            if let Some(outcome) = self.add_note_once(write).await? {
                return Ok(outcome);
            }
            pause(attempt).await;
        }
        Err(Unavailable("transaction conflicts persisted".into()))
    }

    async fn notes_of(&self, application_id: ApplicationId) -> Result<Vec<Note>, Unavailable> {
        self.notes_query(application_id).await
    }

    async fn assign(&self, assignment: &Assignment) -> Result<AssignOutcome, Unavailable> {
        for attempt in 0..ATTEMPTS {
            if let Some(outcome) = self.assign_once(assignment).await? {
                return Ok(outcome);
            }
            pause(attempt).await;
        }
        Err(Unavailable("transaction conflicts persisted".into()))
    }
}
