//! What the operators' desk asks of a store beside decisions (contract v3,
//! *Notes* and *Assignment*): notes, records of their own under the
//! application, and the assignee, an attribute of the application that no
//! lifecycle write touches. Neither changes the version or the status, so
//! neither conflicts with a decision. The rules are [`super::plan`]'s
//! (`note`, `assign`); both stores only read and carry out.

use crate::domain::{Actor, ApplicationId, AuditEntry, Note};

/// A note to keep, with its audit entry (written together, or neither).
#[derive(Debug, Clone)]
pub struct NoteWrite {
    pub note: Note,
    pub audit: AuditEntry,
}

/// How a note ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteOutcome {
    Added(Note),
    /// No such live application (unknown, expired or erased).
    NotFound,
}

/// An assignment: `assignee` (`None`: nobody) on a live application, with
/// its audit entry.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub application_id: ApplicationId,
    pub assignee: Option<Actor>,
    pub audit: AuditEntry,
}

/// How an assignment ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignOutcome {
    /// Assigned now (or to the one it had: the write is the same).
    Assigned(Option<Actor>),
    /// No such live application (unknown, expired or erased).
    NotFound,
}

/// The list's `?assignee=`: one operator's applications, or those nobody has.
/// (`me` is the caller's address, resolved by the caller.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    Operator(Actor),
    Unassigned,
}

impl AssigneeFilter {
    /// Whether an application with `assignee` is listed.
    pub fn lists(&self, assignee: Option<&Actor>) -> bool {
        match self {
            AssigneeFilter::Operator(wanted) => assignee == Some(wanted),
            AssigneeFilter::Unassigned => assignee.is_none(),
        }
    }
}

/// The notes of one application, newest first.
pub fn newest_first(mut notes: Vec<Note>, application_id: ApplicationId) -> Vec<Note> {
    notes.retain(|note| note.application_id == application_id);
    notes.sort_by_key(|note| std::cmp::Reverse(note.note_id));
    notes
}
