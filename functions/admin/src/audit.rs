//! `GET /api/admin/audit?cursor=`: every operator action, newest first.

use super::{Handler, query_param, unavailable};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::domain::{Actor, AuditAction, AuditEntry, AuditId};
use shared::http::ApiError;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditPage<'a> {
    entries: &'a [AuditEntry],
    next_cursor: Option<String>,
}

pub async fn audit(handler: &Handler, req: &Request, actor: Actor) -> Result<Response<Body>, ApiError> {
    let before = match query_param(req, "cursor")? {
        Some(text) => Some(
            AuditId::parse(text).ok_or_else(|| ApiError::bad_request("cursor の値が正しくありません。"))?,
        ),
        None => None,
    };
    handler.audit(AuditEntry::now(actor, AuditAction::ViewAudit, None)).await?;
    let page = handler.store.audit_log(before, 100).await.map_err(unavailable)?;
    let body = AuditPage { entries: &page.entries, next_cursor: page.next.map(|id| id.to_string()) };
    Ok(shared::http::json(StatusCode::OK, &body))
}
