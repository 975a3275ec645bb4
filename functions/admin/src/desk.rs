//! The desk's two writes beside decisions: a note
//! (`POST /api/admin/applications/{applicationId}/notes`, audited `note`) and
//! the assignee (`PUT /api/admin/applications/{applicationId}/assignee`,
//! audited `assign`). Neither takes nor changes the version; the audit names
//! the application only, never a note's text.

use super::{Handler, application_id, not_found, unavailable};
use crate::operator::Caller;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::domain::{Actor, AuditAction, AuditEntry, MessageProblem, Note, NoteId, NoteText, Timestamp};
use shared::http::{ApiError, ErrorCode};
use shared::store::desk::{AssignOutcome, AssigneeFilter, Assignment, NoteOutcome, NoteWrite};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    text: Option<String>,
}

/// A note's text by the message rules, or 422 with what is wrong.
fn note_text(text: Option<&str>) -> Result<NoteText, ApiError> {
    let invalid = |message: &'static str| ApiError::new(ErrorCode::InvalidNote, message);
    NoteText::parse(text.unwrap_or_default()).map_err(|problem| match problem {
        MessageProblem::Empty => invalid("メモを入力してください。"),
        MessageProblem::TooLong => invalid("メモは2,000文字以内で入力してください。"),
        MessageProblem::InvalidCharacters => {
            invalid("メモに使用できない文字(制御文字・不可視文字)が含まれています。")
        }
    })
}

pub async fn note(handler: &Handler, req: &Request, actor: Actor) -> Result<Response<Body>, ApiError> {
    let id = application_id(req)?;
    let body: NoteBody = shared::http::decode_json(req)?;
    let text = note_text(body.text.as_deref())?;
    let note =
        Note { note_id: NoteId::new(), application_id: id, at: Timestamp::now(), actor: actor.clone(), text };
    let write = NoteWrite { note, audit: AuditEntry::now(actor, AuditAction::Note, Some(id)) };
    match handler.store.add_note(&write).await.map_err(unavailable)? {
        NoteOutcome::Added(note) => Ok(shared::http::json(StatusCode::CREATED, &note)),
        NoteOutcome::NotFound => Err(not_found()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssigneeBody {
    /// Required: `null` unassigns (a missing key is a mistake, not a request).
    #[serde(deserialize_with = "present")]
    assignee: Option<String>,
}

/// The value of a key that must be present, `null` allowed.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(deserializer)
}

#[derive(Serialize)]
struct Assigned {
    assignee: Option<Actor>,
}

fn unknown_operator() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidAssignee,
        "担当者には、運用者として登録されているメールアドレスを指定してください。",
    )
}

/// The operator `name` names, as the directory keeps them, or 422.
async fn known_operator(handler: &Handler, name: &str) -> Result<Actor, ApiError> {
    let name = name.trim();
    if name.is_empty() || Actor::parse(name).is_none() {
        return Err(unknown_operator());
    }
    handler.directory.operator(name).await.map_err(unavailable)?.ok_or_else(unknown_operator)
}

pub async fn assign(handler: &Handler, req: &Request, actor: Actor) -> Result<Response<Body>, ApiError> {
    let id = application_id(req)?;
    let body: AssigneeBody = shared::http::decode_json(req)?;
    let assignee = match body.assignee.as_deref() {
        None => None,
        Some(name) => Some(known_operator(handler, name).await?),
    };
    let assignment = Assignment {
        application_id: id,
        assignee,
        audit: AuditEntry::now(actor, AuditAction::Assign, Some(id)),
    };
    match handler.store.assign(&assignment).await.map_err(unavailable)? {
        AssignOutcome::Assigned(assignee) => Ok(shared::http::json(StatusCode::OK, &Assigned { assignee })),
        AssignOutcome::NotFound => Err(not_found()),
    }
}

/// The list's `?assignee=`: `me` (the caller, as the directory knows them),
/// `none`, or an operator's address (422 if no operator has it).
pub async fn assignee_filter(
    handler: &Handler,
    caller: &Caller,
    value: Option<&str>,
) -> Result<Option<AssigneeFilter>, ApiError> {
    Ok(match value {
        None => None,
        Some("none") => Some(AssigneeFilter::Unassigned),
        Some("me") => {
            // The caller is an operator: if the directory cannot name them
            // (an account removed meanwhile), they have nothing assigned.
            let me = handler.directory.operator(&caller.email).await.map_err(unavailable)?;
            Some(AssigneeFilter::Operator(me.unwrap_or_else(|| caller.actor.clone())))
        }
        Some(name) => Some(AssigneeFilter::Operator(known_operator(handler, name).await?)),
    })
}
