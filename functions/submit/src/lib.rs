//! The submission and verification function: `POST /api/applications` stores
//! an application awaiting verification (202, the same answer whatever the
//! address's past), `POST /api/verifications/preview` shows what a link would
//! confirm, and `POST /api/verifications` confirms it. Every answer that
//! acknowledges something comes only after the store said it is durable;
//! storage trouble is a 503 with `Retry-After`; a client over a rate limit
//! gets 429 and nothing is stored or mailed.
//!
//! The mails are not sent here: on AWS the table's stream drives them (the
//! notify function); the local server passes [`Handler::after_event`].

mod client;
mod settings;
mod submission;
mod verification;

pub use client::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, source_ip};
pub use settings::{ENV_VERIFICATION_TTL_HOURS, Settings};

use lambda_http::{Body, Request, Response};
use shared::http::ApiError;
use shared::keyed::{AddressKey, IdentifierKey};
use shared::limits::{self, Action};
use shared::mail::{AfterEvent, EventHook, MailEvent};
use shared::routes::{CONFIRM, PREVIEW, Route, SUBMIT};
use shared::store::Intake;
use std::sync::Arc;

/// The handler over an injected store and key.
pub struct Handler {
    store: Arc<dyn Intake>,
    key: Arc<IdentifierKey>,
    settings: Settings,
    after_event: EventHook,
}

/// How a request ended, for the log (never personal data): `created`,
/// `replayed`, `confirmed`, `honeypot`, `invalid` or an error code.
type Outcome = &'static str;

impl Handler {
    pub fn new(store: Arc<dyn Intake>, key: Arc<IdentifierKey>, settings: Settings) -> Self {
        Handler { store, key, settings, after_event: EventHook::default() }
    }

    /// Runs `hook` once for each stored event that must be mailed (the local
    /// server delivers from here; on AWS the table's stream does).
    pub fn after_event(mut self, hook: AfterEvent) -> Self {
        self.after_event = EventHook::new(hook);
        self
    }

    fn stored(&self, event: MailEvent) {
        self.after_event.stored(event);
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let (route, result) = if PREVIEW.matches(&path) {
            (PREVIEW, self.preview(&req).await)
        } else if CONFIRM.matches(&path) {
            (CONFIRM, self.confirm(&req).await)
        } else if SUBMIT.matches(&path) {
            (SUBMIT, self.submit(&req).await)
        } else {
            (SUBMIT, Err(ApiError::not_found()))
        };
        let (response, outcome) = match result {
            Ok(answer) => answer,
            Err(error) => {
                let code: Outcome = error.code.as_str();
                (error.into_response(), code)
            }
        };
        tracing::info!(route = route.path, status = response.status().as_u16(), outcome, "answered");
        response
    }
}

/// Storage could not answer: logged without detail that could carry data, 503.
fn unavailable(route: &'static str, reason: &shared::store::Unavailable) -> ApiError {
    tracing::warn!(route, %reason, "storage unavailable");
    ApiError::unavailable(shared::http::RETRY_AFTER_SECS)
}

impl Handler {
    /// Counts the request against the limits of `action` (its source address,
    /// a submission's mail address, and the whole service): 429 over a limit,
    /// 503 when the counters cannot be reached. Called before anything is stored.
    async fn admit(
        &self,
        action: Action,
        req: &Request,
        address: Option<&AddressKey>,
        route: Route,
    ) -> Result<(), ApiError> {
        let from = limits::Source { client: source_ip(req), address, key: &self.key };
        limits::admit(self.store.as_ref(), &self.settings.limits, action, &from)
            .await
            .map_err(|reason| unavailable(route.path, &reason))?
            .map_err(|limited| ApiError::too_many_requests(limited.retry_after_secs))
    }
}
