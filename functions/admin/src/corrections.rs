//! `POST /api/admin/applications/{applicationId}/corrections`: 訂正 (privacy
//! notice (8)). One conditional write (expected version, Idempotency-Key)
//! sets the fields, parsed again whole by the form's rules (`plan::correct`),
//! with its history entry (the changed keys only) and its audit entry inside;
//! 登録内容訂正のお知らせ follows from the entry, as a decision's result does.

use super::{Handler, application_id, not_found, unavailable};
use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::domain::{
    Actor, AuditAction, AuditEntry, Changes, ChangesError, CorrectionReason, HistoryAction, Timestamp,
    Version,
};
use shared::http::idempotency::{IDEMPOTENT_REPLAYED, idempotency_key};
use shared::http::{ApiError, ErrorCode};
use shared::mail::MailEvent;
use shared::store::{CorrectOutcome, CorrectionWrite};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body_ {
    expected_version: u32,
    reason: String,
    changes: serde_json::Value,
}

fn invalid(message: &'static str) -> ApiError {
    ApiError::new(ErrorCode::InvalidDecision, message)
}

/// What is wrong with `changes`, in words an operator can act on. A key is
/// named only when it is short ASCII (never a value: values are personal data).
fn changes_error(error: ChangesError) -> ApiError {
    match error {
        ChangesError::NotAnObject => ApiError::bad_request(
            "changes は、項目のキーと新しい値のオブジェクトで指定してください(例: {\"addressStreet\": \"…\"})。",
        ),
        ChangesError::Empty => invalid("訂正する項目を1つ以上指定してください。"),
        ChangesError::UnknownKey(Some(key)) => ApiError::bad_request(format!(
            "changes の「{key}」は、申込フォームの項目ではありません。項目のキー(例: addressStreet)で指定してください。"
        )),
        ChangesError::UnknownKey(None) => ApiError::bad_request(
            "changes に申込フォームの項目ではないキーがあります。項目のキー(例: addressStreet)で指定してください。",
        ),
        ChangesError::NotCorrectable(field) => ApiError::new(
            ErrorCode::FieldNotCorrectable,
            format!(
                "「{}」は訂正できません。メールアドレスと契約者種別を変えるには、新しいお申し込みが必要です。",
                field.label()
            ),
        ),
        ChangesError::WrongType => ApiError::bad_request(
            "changes の値の型が正しくありません(文字列、従業員数などの数は整数、空にするには null)。",
        ),
    }
}

pub async fn correct(handler: &Handler, req: &Request, actor: Actor) -> Result<Response<Body>, ApiError> {
    let id = application_id(req)?;
    let key = idempotency_key(req.headers())?;
    let body: Body_ = shared::http::decode_json(req)?;
    let reason = CorrectionReason::parse(&body.reason)
        .ok_or_else(|| invalid("reason は applicant_request、operator_fix のいずれかです。"))?;
    let expected_version = Version::from_number(body.expected_version)
        .ok_or_else(|| invalid("expectedVersion は1以上の整数です。"))?;
    let changes = Changes::decode(&body.changes).map_err(changes_error)?;
    let request_hash = handler.key.request_hash(
        format!("{id}\ncorrect\n{expected_version}\n{}\n{}", reason.as_str(), changes.digest_text())
            .as_bytes(),
    );
    let write = CorrectionWrite {
        application_id: id,
        expected_version,
        reason,
        changes,
        actor: actor.clone(),
        at: Timestamp::now(),
        idempotency_key: key,
        request_hash,
        audit: AuditEntry::now(actor, AuditAction::Correct, Some(id)),
    };
    match handler.store.correct(&write).await.map_err(unavailable)? {
        CorrectOutcome::Corrected(stored) => {
            handler.stored(MailEvent::Recorded(id, stored.version, HistoryAction::Correct));
            handler.detail(id, crate::WithChecks::No).await
        }
        CorrectOutcome::Replayed(_) => {
            let mut response = handler.detail(id, crate::WithChecks::No).await?;
            response.headers_mut().insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
            Ok(response)
        }
        CorrectOutcome::Invalid(invalid) => Ok(shared::http::invalid(&invalid)),
        CorrectOutcome::Unchanged => {
            Err(invalid("訂正後の内容が、いまの登録内容と同じです。変更する値を入力してください。"))
        }
        CorrectOutcome::KeyReused => Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "この操作の識別情報(Idempotency-Key)は、別の内容で使われています。画面を開き直してから操作してください。",
        )),
        CorrectOutcome::NotFound => Err(not_found()),
        CorrectOutcome::Erased => Err(ApiError::new(
            ErrorCode::NotCorrectable,
            "この申込の個人情報は消去されているため、訂正できません。",
        )),
        CorrectOutcome::NotVerified => Err(ApiError::new(
            ErrorCode::NotCorrectable,
            "この申込はメールアドレスの確認前のため、訂正できません。",
        )),
        CorrectOutcome::VersionConflict(_) => Err(ApiError::new(
            ErrorCode::VersionConflict,
            "この申込は、ほかの操作によって更新されています。最新の内容を確認してから、もう一度操作してください。",
        )),
    }
}
