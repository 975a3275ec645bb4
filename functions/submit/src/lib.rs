//! `POST /api/applications`: validates an application exactly as `/api/validate`
//! does, stores it exactly once, and acknowledges it (201) only after the store
//! said it is durable. Replays of the same `Idempotency-Key` and body get the
//! same body back; storage trouble is a 503 with `Retry-After`, never a 201.

use lambda_http::http::{HeaderMap, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::domain::{Application, IdempotencyKey, RawApplication, Receipt};
use shared::http::{self, ApiError, ErrorCode, RETRY_AFTER_SECS};
use shared::routes::SUBMIT;
use shared::store::layout::sha256_hex;
use shared::store::{Store, StoredApplication, Submission, SubmitOutcome};
use std::sync::Arc;

/// The request header naming one submission attempt (the browser makes one
/// when it shows the confirmation step).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header that marks a replayed acknowledgement.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
/// Fresh reception numbers to try when one is taken (about 1 in 10¹⁰ each).
const RECEPTION_NUMBER_ATTEMPTS: usize = 3;

/// Called once after a new application is durably stored.
pub type AfterCreated = Arc<dyn Fn(StoredApplication) + Send + Sync>;

/// The submit handler over an injected store.
pub struct Handler {
    store: Arc<dyn Store>,
    after_created: Option<AfterCreated>,
}

/// How a request ended, for the log (never personal data): `created`,
/// `replayed`, `honeypot`, `invalid` or an error code.
type Outcome = &'static str;

impl Handler {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Handler { store, after_created: None }
    }

    /// Runs `hook` once after each new application is stored (the local
    /// server sends its mails from here; on AWS the table's stream does).
    pub fn after_created(mut self, hook: AfterCreated) -> Self {
        self.after_created = Some(hook);
        self
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        let (response, outcome) = match self.submit(&req).await {
            Ok(answer) => answer,
            Err(error) => {
                let code = error.code.as_str();
                (error.into_response(), code)
            }
        };
        tracing::info!(route = SUBMIT.path, status = response.status().as_u16(), outcome, "submitted");
        response
    }

    async fn submit(&self, req: &Request) -> Result<(Response<Body>, Outcome), ApiError> {
        http::require_method(req, SUBMIT.method)?;
        let raw: RawApplication = http::decode_json(req)?;
        let idempotency_key = idempotency_key(req.headers())?;
        let application = match Application::parse(&raw) {
            Ok(validated) => validated.application,
            Err(invalid) => return Ok((http::invalid(&invalid), "invalid")),
        };
        if raw.is_from_bot() {
            // Indistinguishable from a success, and nothing is kept.
            let body = receipt_body(&Receipt::issue_now());
            return Ok((acknowledged(body, false), "honeypot"));
        }

        let normalised = serde_json::to_vec(&application).expect("an application serialises");
        let receipt = Receipt::issue_now();
        let mut submission = Submission {
            idempotency_key,
            request_hash: sha256_hex(&normalised),
            response_body: receipt_body(&receipt),
            receipt,
            application,
        };
        for _ in 0..RECEPTION_NUMBER_ATTEMPTS {
            let outcome = self.store.submit(&submission).await.map_err(|unavailable| {
                tracing::warn!(route = SUBMIT.path, reason = %unavailable, "storage unavailable");
                ApiError::unavailable(RETRY_AFTER_SECS)
            })?;
            match outcome {
                SubmitOutcome::Created { response_body } => {
                    if let Some(hook) = &self.after_created {
                        hook(StoredApplication {
                            receipt: submission.receipt,
                            application: submission.application,
                        });
                    }
                    return Ok((acknowledged(response_body, false), "created"));
                }
                SubmitOutcome::Replayed { response_body } => {
                    return Ok((acknowledged(response_body, true), "replayed"));
                }
                SubmitOutcome::KeyReused => return Err(key_reused()),
                SubmitOutcome::DuplicateEmail => return Err(duplicate_application()),
                SubmitOutcome::ReceptionNumberTaken => {
                    submission.receipt = submission.receipt.with_new_reception_number();
                    submission.response_body = receipt_body(&submission.receipt);
                }
            }
        }
        tracing::warn!(route = SUBMIT.path, "no free reception number");
        Err(ApiError::unavailable(RETRY_AFTER_SECS))
    }
}

/// The one `Idempotency-Key` header, parsed ([`IdempotencyKey`]).
fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(if headers.contains_key(IDEMPOTENCY_KEY) {
            invalid_idempotency_key()
        } else {
            missing_idempotency_key()
        });
    };
    let key = value.to_str().map_err(|_| invalid_idempotency_key())?;
    IdempotencyKey::parse(key).ok_or_else(invalid_idempotency_key)
}

fn receipt_body(receipt: &Receipt) -> String {
    serde_json::to_string(receipt).expect("a receipt serialises")
}

/// 201 with `body` verbatim (the stored bytes, so that a replay is identical).
fn acknowledged(body: String, replayed: bool) -> Response<Body> {
    let mut response = http::json(StatusCode::CREATED, &());
    *response.body_mut() = Body::Text(body);
    if replayed {
        response.headers_mut().insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

fn missing_idempotency_key() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::MissingIdempotencyKey,
        "送信の識別情報(Idempotency-Keyヘッダー)がありません。ページを再読み込みしてから、もう一度お申し込みください。",
    )
}

fn invalid_idempotency_key() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidIdempotencyKey,
        "送信の識別情報(Idempotency-Keyヘッダー)の形式が正しくありません。半角英数字と「-」「_」「.」「:」で16〜128文字にしてください。",
    )
}

fn key_reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::IdempotencyKeyReused,
        "この送信の識別情報は、内容の異なるお申し込みですでに使われています。ページを再読み込みしてから、もう一度お申し込みください。",
    )
}

fn duplicate_application() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::DuplicateApplication,
        "このメールアドレスでのお申し込みはすでに受け付けています。内容の変更やご不明な点は、お問い合わせ窓口までご連絡ください。",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(IDEMPOTENCY_KEY, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn idempotency_keys() {
        let uuid = "7f6c1d5e-9b1a-4c8e-8f3e-2a1b3c4d5e6f";
        assert_eq!(idempotency_key(&headers(&[uuid])).unwrap().as_str(), uuid);
        assert_eq!(idempotency_key(&headers(&[])).unwrap_err().code, ErrorCode::MissingIdempotencyKey);
        let long = "k".repeat(129);
        for bad in ["short", "has space in the key!", "キーキーキーキーキーキーキーキー", long.as_str()]
        {
            let mut map = HeaderMap::new();
            map.insert(IDEMPOTENCY_KEY, HeaderValue::from_bytes(bad.as_bytes()).unwrap());
            assert_eq!(idempotency_key(&map).unwrap_err().code, ErrorCode::InvalidIdempotencyKey, "{bad}");
        }
        assert_eq!(
            idempotency_key(&headers(&[uuid, uuid])).unwrap_err().code,
            ErrorCode::InvalidIdempotencyKey
        );
        assert_eq!(idempotency_key(&headers(&[&"k".repeat(128)])).unwrap().as_str().len(), 128);
    }

    #[test]
    fn acknowledgements_keep_the_body_verbatim() {
        let body = r#"{"applicationId":"x","receptionNumber":"y","receivedAt":"z"}"#.to_owned();
        let response = acknowledged(body.clone(), true);
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.body().as_ref(), body.as_bytes());
        assert_eq!(response.headers()[IDEMPOTENT_REPLAYED], "true");
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert!(acknowledged(body, false).headers().get(IDEMPOTENT_REPLAYED).is_none());
    }
}
