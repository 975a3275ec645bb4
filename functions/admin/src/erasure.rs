//! `POST /api/admin/applications/{applicationId}/erasure`: the application's
//! personal data goes from every record that holds it (privacy notice (8));
//! its tombstone and history keep who erased it, when and why.

use super::{Handler, application_id, not_found, unavailable};
use crate::decisions::invalid;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::{Actor, AuditAction, AuditEntry, ErasureReason, Timestamp};
use shared::http::ApiError;
use shared::store::{EraseOutcome, Erasure};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body_ {
    reason: Option<String>,
}

/// The reason's code; free text (which could name the applicant, and would
/// be kept for good) is refused.
fn reason_of(reason: Option<&str>) -> Result<ErasureReason, ApiError> {
    match reason.map(str::trim).filter(|reason| !reason.is_empty()) {
        None => Err(invalid("削除の理由を選んでください。")),
        Some(code) => ErasureReason::parse(code).ok_or_else(|| {
            invalid(
                "削除の理由は applicant_request、duplicate、mistaken、retention、other のいずれかです(自由記述は記録しません)。",
            )
        }),
    }
}

pub async fn erase(handler: &Handler, req: &Request, actor: Actor) -> Result<Response<Body>, ApiError> {
    let id = application_id(req)?;
    let body: Body_ = shared::http::decode_json(req)?;
    let reason = reason_of(body.reason.as_deref())?;
    let erasure = Erasure {
        application_id: id,
        actor: actor.clone(),
        reason,
        at: Timestamp::now(),
        token_hash: handler.key.verification_token(id).hash(),
        audit: AuditEntry::now(actor, AuditAction::Erase, Some(id)),
    };
    match handler.store.erase(&erasure).await.map_err(unavailable)? {
        EraseOutcome::Erased(_) | EraseOutcome::AlreadyErased(_) => {
            // The files, after their records: an erasure asked again (also
            // when erased before) deletes what a failed attempt left.
            handler.files.delete_application(id).await.map_err(unavailable)?;
            // Also when erased before: a hook that failed then is retried.
            handler.erased(id).await;
            handler.detail(id, crate::WithChecks::No).await
        }
        EraseOutcome::NotFound => Err(not_found()),
    }
}
