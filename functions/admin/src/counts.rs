//! `GET /api/admin/counts`: how many applications each status has, as the
//! list shows them (the console's tabs). No applicant data, but audited as
//! every operator route is.

use super::{Handler, unavailable};
use crate::views::Counts;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use shared::domain::{Actor, AuditAction, AuditEntry};
use shared::http::ApiError;

pub async fn counts(handler: &Handler, actor: Actor) -> Result<Response<Body>, ApiError> {
    handler.audit(AuditEntry::now(actor, AuditAction::Count, None)).await?;
    let counts = handler.store.count_by_status().await.map_err(unavailable)?;
    Ok(shared::http::json(StatusCode::OK, &Counts::from(counts)))
}
