//! `POST /api/verifications/preview` and `POST /api/verifications`: the body
//! `{"token": "…"}` carries the token of a verification link (it travels in
//! the page's fragment, never in a URL a server logs). Preview changes
//! nothing, so a mail scanner that opens links confirms nothing; confirm
//! moves the application to `received` and answers the same 200 when repeated.
//! Once the link is used, its preview answers only the status and the
//! reception number: whoever reads the mail later (a shared mailbox, a
//! forwarded message) does not see the application again.

use crate::{Handler, Outcome, unavailable};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::domain::{Application, ApplicationId, ReceptionNumber, Status, Timestamp};
use shared::http::{self, ApiError, ErrorCode};
use shared::keyed::{TokenHash, VerificationToken};
use shared::limits::Action;
use shared::mail::MailEvent;
use shared::routes::{CONFIRM, PREVIEW};
use shared::store::{ConfirmOutcome, StoredApplication, TokenState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody<'a> {
    #[serde(borrow)]
    token: std::borrow::Cow<'a, str>,
}

/// The preview's answer (contract v3).
#[derive(Serialize)]
#[serde(untagged)]
enum Preview<'a> {
    /// Before confirming: what confirming would store. `status` (an extension)
    /// tells the page which answer it has.
    #[serde(rename_all = "camelCase")]
    Pending { application: &'a Application, expires_at: Option<Timestamp>, status: Status },
    /// After confirming: only where the application stands, never its fields.
    #[serde(rename_all = "camelCase")]
    Used { status: Status, reception_number: ReceptionNumber },
}

/// The confirmation's answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Confirmed {
    application_id: ApplicationId,
    reception_number: ReceptionNumber,
    received_at: Timestamp,
    status: Status,
}

impl Handler {
    /// The method, the body's token and the rate limit, common to both routes.
    async fn token(&self, req: &Request, route: shared::routes::Route) -> Result<TokenHash, ApiError> {
        http::require_method(req, route.method)?;
        let body: TokenBody = http::decode_json(req)?;
        let token = VerificationToken::parse(&body.token).ok_or_else(malformed_token)?;
        self.admit(Action::Verification, req, None, route).await?;
        Ok(token.hash())
    }

    pub(crate) async fn preview(&self, req: &Request) -> Result<(Response<Body>, Outcome), ApiError> {
        let token = self.token(req, PREVIEW).await?;
        let state = self.store.token(&token).await.map_err(|reason| unavailable(PREVIEW.path, &reason))?;
        let answer = match &state {
            TokenState::Pending(stored) => http::json(
                StatusCode::OK,
                &Preview::Pending {
                    application: &stored.application,
                    expires_at: stored.expires_at,
                    status: stored.status,
                },
            ),
            TokenState::Confirmed(stored) => http::json(
                StatusCode::OK,
                &Preview::Used { status: stored.status, reception_number: stored.receipt.reception_number },
            ),
            TokenState::Expired => return Err(expired()),
            TokenState::NotFound => return Err(not_found()),
        };
        Ok((answer, "previewed"))
    }

    pub(crate) async fn confirm(&self, req: &Request) -> Result<(Response<Body>, Outcome), ApiError> {
        let token = self.token(req, CONFIRM).await?;
        let outcome =
            self.store.confirm(&token).await.map_err(|reason| unavailable(CONFIRM.path, &reason))?;
        let (stored, outcome) = match outcome {
            ConfirmOutcome::Confirmed(stored) => {
                self.stored(MailEvent::Confirmed(stored.receipt.application_id));
                (stored, "confirmed")
            }
            ConfirmOutcome::AlreadyConfirmed(stored) => (stored, "reconfirmed"),
            ConfirmOutcome::Expired => return Err(expired()),
            ConfirmOutcome::NotFound => return Err(not_found()),
        };
        Ok((http::json(StatusCode::OK, &confirmed(&stored)), outcome))
    }
}

fn confirmed(stored: &StoredApplication) -> Confirmed {
    Confirmed {
        application_id: stored.receipt.application_id,
        reception_number: stored.receipt.reception_number,
        received_at: stored.receipt.received_at,
        status: stored.status,
    }
}

fn malformed_token() -> ApiError {
    ApiError::bad_request(
        "確認用リンクの形式が正しくありません。メールに記載されたリンクを、そのまま開いてください。",
    )
}

fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::VerificationNotFound,
        "この確認用リンクは無効です。新しいお申し込みで置き換えられたか、すでに削除されています。最新のメールのリンクを開くか、もう一度お申し込みください。",
    )
}

fn expired() -> ApiError {
    ApiError::new(
        ErrorCode::VerificationExpired,
        "この確認用リンクは有効期限が過ぎています。お手数ですが、もう一度お申し込みください。",
    )
}
