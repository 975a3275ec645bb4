//! The operator routes the local server answers itself (local only: on AWS
//! Cognito issues the tokens and the HTTP API's JWT authorizer checks them):
//!
//! - `POST /api/admin/sessions` `{"email", "password"}` → 201 `{"token", "expiresAt"}`;
//! - `GET /api/admin/session` → 200 `{"email", "expiresAt"}` of the caller's session;
//! - `DELETE /api/admin/sessions/current` → 204, the session is deleted (sign-out).
//!
//! and [`Operators::authorize`], the authorizer every protected route calls.

use super::account::{self, OperatorClaims, OperatorEmail, Password, SessionToken, SignInSource};
use super::{Lockout, OperatorDb};
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::{Deserialize, Serialize};
use shared::domain::{Actor, AuditAction, AuditEntry, Timestamp};
use shared::http::{self as api_http, ApiError, RETRY_AFTER_SECS};
use shared::routes::Access;
use shared::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// The one answer to a wrong address, a wrong password and an unknown account.
const WRONG_PAIR: &str = "メールアドレスまたはパスワードが正しくありません。";
const NO_SESSION: &str = "サインインしてください(セッションが無いか、期限が切れています)。";

/// Accounts, sessions and the sign-in policy, shared by the routes.
pub struct Operators {
    db: OperatorDb,
    session_ttl: Duration,
    lockout: Lockout,
    /// A hash of a random password with the real parameters: an unknown
    /// account is verified against it, so it takes as long as a known one.
    dummy_hash: String,
    /// Where sign-ins, failed sign-ins and sign-outs are audited (the
    /// applications' store, as every other operator action).
    audit: Option<Arc<dyn Store>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    email: String,
    password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Session<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a OperatorEmail>,
    expires_at: Timestamp,
}

impl Operators {
    pub fn new(db: OperatorDb, session_ttl: Duration, lockout: Lockout) -> anyhow::Result<Self> {
        let dummy_hash = account::hash_password(&Password::generate())?;
        Ok(Operators { db, session_ttl, lockout, dummy_hash, audit: None })
    }

    /// The same, auditing into `store`.
    pub fn with_audit(self, store: Arc<dyn Store>) -> Self {
        Operators { audit: Some(store), ..self }
    }

    /// Appends an audit entry: a sign-in is not granted unless it is recorded.
    async fn audit(&self, actor: Actor, action: AuditAction) -> Result<(), ApiError> {
        let Some(store) = &self.audit else { return Ok(()) };
        store.append_audit(&AuditEntry::now(actor, action, None)).await.map_err(|error| {
            tracing::error!(%error, "audit unavailable");
            ApiError::unavailable(RETRY_AFTER_SECS)
        })
    }

    /// Who a sign-in names: the account, if it exists (a stranger's typed text is never recorded).
    fn actor_of(email: &OperatorEmail, exists: bool) -> Actor {
        exists.then(|| Actor::parse(&email.to_string())).flatten().unwrap_or_else(Actor::unknown)
    }

    pub fn db(&self) -> &OperatorDb {
        &self.db
    }

    /// `POST /api/admin/sessions`.
    pub async fn sign_in(&self, req: &lambda_http::Request) -> Response<Body> {
        self.try_sign_in(req).await.unwrap_or_else(into_response)
    }

    async fn try_sign_in(&self, req: &lambda_http::Request) -> Result<Response<Body>, ApiError> {
        api_http::require_method(req, "POST")?;
        let body: SignIn = api_http::decode_json(req)?;
        let now = Timestamp::now();
        let source = SignInSource::of(submit::source_ip(req));
        let Ok(email) = OperatorEmail::parse(&body.email) else {
            // No account can have this address; the same work and answer as
            // for one, and the same count against the source.
            self.refuse_locked(&source, None, Actor::unknown(), now).await?;
            verify(body.password, self.dummy_hash.clone()).await?;
            self.record_failure(&source, None, now).await?;
            self.audit(Actor::unknown(), AuditAction::SignInFailed).await?;
            return Err(ApiError::unauthenticated(WRONG_PAIR));
        };
        let stored = self.db.password_hash(&email).await.map_err(storage)?;
        let exists = stored.is_some();
        self.refuse_locked(&source, Some(&email), Self::actor_of(&email, exists), now).await?;
        let matches = verify(body.password, stored.unwrap_or_else(|| self.dummy_hash.clone())).await?;
        if !(exists && matches) {
            self.record_failure(&source, Some(&email), now).await?;
            self.audit(Self::actor_of(&email, exists), AuditAction::SignInFailed).await?;
            return Err(ApiError::unauthenticated(WRONG_PAIR));
        }
        self.audit(Self::actor_of(&email, true), AuditAction::SignIn).await?;
        // The address's count from this source only: the source's own count
        // runs out with its window, so a valid account cannot reset a sweep.
        self.db.clear_failures(email.failure_key(&source)).await.map_err(storage)?;
        let token = SessionToken::generate();
        let expires_at = now.plus_secs(i64::try_from(self.session_ttl.as_secs()).unwrap_or(i64::MAX / 4));
        self.db.create_session(&token, &email, now, expires_at).await.map_err(storage)?;
        tracing::info!(outcome = "signed_in", "operator sign-in");
        let body = Session { token: Some(token.expose()), email: None, expires_at };
        Ok(api_http::json(StatusCode::CREATED, &body))
    }

    /// 429 when `source` is locked, or `email` is locked for it (the same
    /// answer for both: it tells nothing about which was counted).
    async fn refuse_locked(
        &self,
        source: &SignInSource,
        email: Option<&OperatorEmail>,
        actor: Actor,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let keys = std::iter::once(source.failure_key()).chain(email.map(|email| email.failure_key(source)));
        for key in keys {
            if let Some(secs) = self.db.locked_for(key, now).await.map_err(storage)? {
                tracing::warn!(outcome = "locked", "operator sign-in");
                self.audit(actor, AuditAction::SignInFailed).await?;
                return Err(locked(secs));
            }
        }
        Ok(())
    }

    /// Counts a wrong password against the source and, if one was typed
    /// that could be an account, against that address from this source.
    async fn record_failure(
        &self,
        source: &SignInSource,
        email: Option<&OperatorEmail>,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let policy = self.lockout;
        let mut locks =
            self.db.record_failure(source.failure_key(), now, policy.max_source_failures, policy).await;
        if let (Some(email), Ok(source_locked)) = (email, &locks) {
            let address_locked =
                self.db.record_failure(email.failure_key(source), now, policy.max_failures, policy).await;
            locks = address_locked.map(|address_locked| address_locked || *source_locked);
        }
        let locks = locks.map_err(storage)?;
        tracing::info!(outcome = if locks { "refused_and_locked" } else { "refused" }, "operator sign-in");
        Ok(())
    }

    /// The authorizer: the claims of the session named by `Authorization:
    /// Bearer <token>`, or 401 when the header is missing or malformed, or
    /// the session is unknown or expired; 403 when the account's role is not
    /// one `access` allows (`Access::allows`, the rule the admin function
    /// applies again to the claims it is passed).
    pub async fn authorize(&self, headers: &HeaderMap, access: Access) -> Result<OperatorClaims, ApiError> {
        let token = bearer(headers).ok_or_else(|| ApiError::unauthenticated(NO_SESSION))?;
        let claims = self.db.session(&token, Timestamp::now()).await.map_err(storage)?;
        let claims = claims.ok_or_else(|| ApiError::unauthenticated(NO_SESSION))?;
        if !access.allows(Some(claims.role)) {
            return Err(ApiError::beyond_role());
        }
        Ok(claims)
    }

    /// `GET /api/admin/session`: the caller's own session.
    pub async fn current(&self, req: &lambda_http::Request) -> Response<Body> {
        let answer = async {
            api_http::require_method(req, "GET")?;
            let claims = self.authorize(req.headers(), Access::Operator).await?;
            let body = Session { token: None, email: Some(&claims.email), expires_at: claims.expires_at };
            Ok(api_http::json(StatusCode::OK, &body))
        };
        answer.await.unwrap_or_else(into_response)
    }

    /// `DELETE /api/admin/sessions/current`: signs out (the session is deleted).
    pub async fn sign_out(&self, req: &lambda_http::Request) -> Response<Body> {
        let answer = async {
            api_http::require_method(req, "DELETE")?;
            let claims = self.authorize(req.headers(), Access::Operator).await?;
            let token = bearer(req.headers()).ok_or_else(|| ApiError::unauthenticated(NO_SESSION))?;
            self.db.delete_session(&token).await.map_err(storage)?;
            self.audit(Self::actor_of(&claims.email, true), AuditAction::SignOut).await?;
            tracing::info!(outcome = "signed_out", "operator sign-out");
            let mut response = Response::new(Body::Empty);
            *response.status_mut() = StatusCode::NO_CONTENT;
            api_http::secure(response.headers_mut());
            Ok(response)
        };
        answer.await.unwrap_or_else(into_response)
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case), if
/// it has a token's shape.
fn bearer(headers: &HeaderMap) -> Option<SessionToken> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    SessionToken::parse(token.trim())
}

/// Argon2 takes tens of milliseconds of CPU: off the async runtime.
async fn verify(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || account::verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::unavailable(RETRY_AFTER_SECS))
}

fn locked(secs: u64) -> ApiError {
    let minutes = secs.div_ceil(60);
    ApiError {
        retry_after: Some(secs),
        ..ApiError::new(
            shared::http::ErrorCode::TooManyRequests,
            format!(
                "サインインの失敗が続いたため、一時的にサインインできません。{minutes}分ほど待ってから、もう一度お試しください。"
            ),
        )
    }
}

fn storage(error: anyhow::Error) -> ApiError {
    tracing::error!(%error, "operator storage failed");
    ApiError::unavailable(RETRY_AFTER_SECS)
}

/// The envelope, and on a 401 the `WWW-Authenticate` challenge HTTP requires.
fn into_response(error: ApiError) -> Response<Body> {
    let challenge = error.status() == StatusCode::UNAUTHORIZED;
    let mut response = error.into_response();
    if challenge {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_headers() {
        let token = SessionToken::generate();
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            bearer(&headers)
        };
        assert_eq!(with(&format!("Bearer {}", token.expose())), Some(token.clone()));
        assert_eq!(with(&format!("bearer  {}", token.expose())), Some(token.clone()));
        assert_eq!(with(&format!("Basic {}", token.expose())), None);
        assert_eq!(with(token.expose()), None);
        assert_eq!(with("Bearer "), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
