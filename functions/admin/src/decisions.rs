//! `POST /api/admin/applications/{applicationId}/decisions`: one conditional
//! write (expected version, allowed transition, Idempotency-Key), its history
//! entry and its audit entry inside; the result mail follows from the stream.

use super::{Handler, application_id, not_found, unavailable};
use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::{
    Actor, ApplicationId, AuditEntry, Decision, MessageMismatch, MessageProblem, OperatorMessage,
    PartnerCode, Timestamp, Version,
};
use shared::http::idempotency::{IDEMPOTENT_REPLAYED, idempotency_key};
use shared::http::{ApiError, ErrorCode};
use shared::mail::MailEvent;
use shared::store::documents::RequestWrite;
use shared::store::{DecideOutcome, DecisionWrite};

/// How many fresh partner codes an approval draws before giving up (each
/// collision has a chance of about 1 in 780,000 at 100,000 partners).
const CODE_DRAWS: usize = 5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body_ {
    decision: String,
    expected_version: u32,
    #[serde(default)]
    message: Option<String>,
}

pub(crate) fn invalid(message: &'static str) -> ApiError {
    ApiError::new(ErrorCode::InvalidDecision, message)
}

pub(crate) fn message_of(text: Option<&str>) -> Result<Option<OperatorMessage>, ApiError> {
    match text.filter(|t| !t.trim().is_empty()) {
        None => Ok(None),
        Some(text) => OperatorMessage::parse(text).map(Some).map_err(|problem| match problem {
            MessageProblem::Empty => invalid("メッセージを入力してください。"),
            MessageProblem::TooLong => invalid("メッセージは2,000文字以内で入力してください。"),
            MessageProblem::InvalidCharacters => {
                invalid("メッセージに使用できない文字(制御文字・不可視文字)が含まれています。")
            }
        }),
    }
}

pub async fn decide(handler: &Handler, req: &Request, actor: Actor) -> Result<Response<Body>, ApiError> {
    let id = application_id(req)?;
    let key = idempotency_key(req.headers())?;
    let body: Body_ = shared::http::decode_json(req)?;
    let decision = Decision::parse(&body.decision)
        .ok_or_else(|| invalid("decision は approve、reject、request_documents のいずれかです。"))?;
    let expected_version = Version::from_number(body.expected_version)
        .ok_or_else(|| invalid("expectedVersion は1以上の整数です。"))?;
    let message =
        decision.check_message(message_of(body.message.as_deref())?).map_err(|mismatch| match mismatch {
            MessageMismatch::Required => invalid("資料提出の依頼には、申込者へのメッセージが必要です。"),
            MessageMismatch::NotAllowed => {
                invalid("承認にはメッセージを付けられません(承認の通知は定型文です)。")
            }
        })?;
    let at = Timestamp::now();
    let request_hash = handler.key.request_hash(
        format!(
            "{id}\n{}\n{expected_version}\n{}",
            decision.as_str(),
            message.as_ref().map_or("", |m| m.as_str())
        )
        .as_bytes(),
    );
    let mut write = DecisionWrite {
        application_id: id,
        decision,
        expected_version,
        message,
        actor: actor.clone(),
        at,
        idempotency_key: key,
        request_hash,
        partner_code: None,
        retain_until: (decision == Decision::Reject).then(|| at.plus_secs(handler.settings.retention_secs())),
        // The link names the version this request makes: a later request's
        // makes another, and this one stops working.
        document_request: (decision == Decision::RequestDocuments).then(|| RequestWrite {
            token: handler.key.documents_token(id, expected_version.next()).hash(),
            expires_at: at.plus_secs(i64::from(handler.settings.document_request_ttl_days) * 86_400),
        }),
        audit: AuditEntry::now(actor, decision.into(), Some(id)),
    };
    for _ in 0..CODE_DRAWS {
        write.partner_code = (decision == Decision::Approve).then(PartnerCode::random);
        match handler.store.decide(&write).await.map_err(unavailable)? {
            DecideOutcome::PartnerCodeTaken => continue,
            DecideOutcome::Decided(stored) => {
                handler.stored(MailEvent::Recorded(id, stored.version, decision.into()));
                return handler.detail(id, crate::WithChecks::No).await;
            }
            DecideOutcome::Replayed(_) => return replayed(handler, id).await,
            DecideOutcome::KeyReused => {
                return Err(ApiError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "この操作の識別情報(Idempotency-Key)は、別の内容で使われています。画面を開き直してから操作してください。",
                ));
            }
            DecideOutcome::NotFound => return Err(not_found()),
            DecideOutcome::VersionConflict(_) => {
                return Err(ApiError::new(
                    ErrorCode::VersionConflict,
                    "この申込は、ほかの操作によって更新されています。最新の内容を確認してから、もう一度操作してください。",
                ));
            }
            DecideOutcome::InvalidTransition(_) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidTransition,
                    "この申込の状態では、その判定はできません。",
                ));
            }
        }
    }
    Err(ApiError::unavailable(shared::http::RETRY_AFTER_SECS))
}

async fn replayed(handler: &Handler, id: ApplicationId) -> Result<Response<Body>, ApiError> {
    let mut response = handler.detail(id, crate::WithChecks::No).await?;
    response.headers_mut().insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    Ok(response)
}
