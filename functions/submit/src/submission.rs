//! `POST /api/applications`: validates exactly as `/api/validate` does, checks
//! the rate limits, then stores the submission exactly once and answers 202
//! `{"status": "verification_sent", "expiresAt"}`. The answer is the same
//! whether the address is new, unverified or already verified: what differs
//! goes by mail to that address, so the answer tells a stranger nothing.

use crate::client::{IDEMPOTENT_REPLAYED, idempotency_key};
use crate::{Handler, Outcome, unavailable};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::domain::{Application, NoticeId, RawApplication, Receipt, Timestamp};
use shared::http::{self, ApiError, ErrorCode, RETRY_AFTER_SECS};
use shared::limits::Action;
use shared::routes::SUBMIT;
use shared::store::{Submission, SubmitOutcome};

/// Fresh reception numbers to try when one is taken (about 1 in 10¹⁰ each).
const RECEPTION_NUMBER_ATTEMPTS: usize = 3;

/// The body of every 202.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Sent {
    status: &'static str,
    expires_at: Timestamp,
}

fn sent_body(expires_at: Timestamp) -> String {
    serde_json::to_string(&Sent { status: "verification_sent", expires_at }).expect("serialises")
}

impl Handler {
    pub(crate) async fn submit(&self, req: &Request) -> Result<(Response<Body>, Outcome), ApiError> {
        http::require_method(req, SUBMIT.method)?;
        let raw: RawApplication = http::decode_json(req)?;
        let idempotency_key = idempotency_key(req.headers())?;
        let application = match Application::parse(&raw) {
            Ok(validated) => validated.application,
            Err(invalid) => return Ok((http::invalid(&invalid), "invalid")),
        };
        // Issued now, though stored only if valid: its id keeps the milliseconds
        // the timestamp drops, so applications received in one second still
        // list newest first (the list orders by time, then id).
        let receipt = Receipt::issue_now();
        let now = receipt.received_at;
        let expires_at = now.plus_secs(self.settings.verification_ttl_secs);
        if raw.is_from_bot() {
            // Indistinguishable from a success, and nothing is kept.
            return Ok((accepted(sent_body(expires_at), false), "honeypot"));
        }
        self.admit(Action::Submission, req, Some(&self.key.address(&application.email)), SUBMIT).await?;

        let normalised = serde_json::to_vec(&application).expect("an application serialises");
        let mut submission = Submission {
            idempotency_key,
            request_hash: self.key.request_hash(&normalised),
            email_key: self.key.email(&application.email),
            token_hash: self.key.verification_token(receipt.application_id).hash(),
            expires_at,
            notice_id: NoticeId::new(),
            response_body: sent_body(expires_at),
            receipt,
            application,
        };
        for _ in 0..RECEPTION_NUMBER_ATTEMPTS {
            let outcome =
                self.store.submit(&submission).await.map_err(|reason| unavailable(SUBMIT.path, &reason))?;
            match outcome {
                SubmitOutcome::Created { response_body, event } => {
                    self.stored(event);
                    return Ok((accepted(response_body, false), "created"));
                }
                SubmitOutcome::Replayed { response_body, event } => {
                    // The first attempt may have committed and lost its
                    // answer before its event was handed on (a write that
                    // timed out and was retried); delivery's markers send
                    // each mail once, so handing it on again loses nothing.
                    self.stored(event);
                    return Ok((accepted(response_body, true), "replayed"));
                }
                SubmitOutcome::KeyReused => return Err(key_reused()),
                SubmitOutcome::ReceptionNumberTaken => {
                    submission.receipt = submission.receipt.with_new_reception_number();
                }
            }
        }
        tracing::warn!(route = SUBMIT.path, "no free reception number");
        Err(ApiError::unavailable(RETRY_AFTER_SECS))
    }
}

/// 202 with `body` verbatim (the stored bytes, so that a replay is identical).
fn accepted(body: String, replayed: bool) -> Response<Body> {
    let mut response = http::json(StatusCode::ACCEPTED, &());
    *response.body_mut() = Body::Text(body);
    if replayed {
        response.headers_mut().insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

fn key_reused() -> ApiError {
    ApiError::new(
        ErrorCode::IdempotencyKeyReused,
        "この送信の識別情報は、内容の異なるお申し込みですでに使われています。ページを再読み込みしてから、もう一度お申し込みください。",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgements_keep_the_body_verbatim() {
        let body = sent_body(Timestamp::parse("2026-11-29T18:30:00+09:00").unwrap());
        assert_eq!(body, r#"{"status":"verification_sent","expiresAt":"2026-11-29T18:30:00+09:00"}"#);
        let response = accepted(body.clone(), true);
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(response.body().as_ref(), body.as_bytes());
        assert_eq!(response.headers()[IDEMPOTENT_REPLAYED], "true");
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert!(accepted(body, false).headers().get(IDEMPOTENT_REPLAYED).is_none());
    }
}
