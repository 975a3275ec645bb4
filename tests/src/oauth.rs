//! A stand-in for Cognito's managed login, for the console's browser test of
//! its OAuth code (`web/admin/js/cognito.js`): the endpoints the page calls,
//! with Cognito's rules, over real HTTP on 127.0.0.1.
//!
//! - `GET /oauth2/authorize`: checks the client, the redirect URI, the scope
//!   and an S256 `code_challenge`, then sends the browser back with a one-time
//!   `code` and the `state` (a real managed login would ask for the password
//!   and the TOTP code first; that page is Cognito's, not the console's).
//! - `POST /oauth2/token`: `authorization_code` (the verifier must hash to the
//!   challenge, the code is used once) and `refresh_token` grants. The access
//!   tokens are sessions of the local server, signed in with the operator's
//!   password, so that the local server (the authorizer here) accepts them.
//! - `POST /oauth2/revoke` and `GET /logout` (back to the `logout_uri`).
//!
//! Every call is counted, so a test can tell a silent refresh from a sign-in.

use anyhow::Result;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// What the stand-in was asked, in order: `authorize`, `token:authorization_code`,
/// `token:refresh_token`, `revoke`, `logout`.
pub type Calls = Arc<Mutex<Vec<String>>>;

/// The running stand-in.
pub struct FakeCognito {
    pub addr: SocketAddr,
    pub calls: Calls,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeCognito {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub const CLIENT_ID: &str = "consoleclient0123456789";

struct Shared {
    /// The console's `/admin/` (redirect and logout URI).
    console: String,
    /// The local server's sign-in, and the operator's password for it.
    sessions_url: String,
    email: String,
    password: String,
    /// One-time codes: code → (S256 challenge, redirect URI).
    codes: Mutex<HashMap<String, (String, String)>>,
    refresh_tokens: Mutex<Vec<String>>,
    calls: Calls,
}

/// Its port, bound before the site starts (whose configuration names it).
pub struct Bound(tokio::net::TcpListener);

impl Bound {
    /// Its origin, as the console's configuration names the pool's domain.
    pub fn domain(&self) -> Result<String> {
        Ok(format!("http://{}", self.0.local_addr()?))
    }
}

impl FakeCognito {
    pub async fn bind() -> Result<Bound> {
        Ok(Bound(tokio::net::TcpListener::bind("127.0.0.1:0").await?))
    }

    /// Serves for the console at `console` (`http://…/admin/`), minting
    /// access tokens at `sessions_url` as `email` with `password`.
    pub fn serve(
        bound: Bound,
        console: &str,
        sessions_url: &str,
        email: &str,
        password: &str,
    ) -> Result<FakeCognito> {
        let calls: Calls = Arc::default();
        let shared = Arc::new(Shared {
            console: console.to_owned(),
            sessions_url: sessions_url.to_owned(),
            email: email.to_owned(),
            password: password.to_owned(),
            codes: Mutex::default(),
            refresh_tokens: Mutex::default(),
            calls: calls.clone(),
        });
        let app = Router::new()
            .route("/oauth2/authorize", get(authorize))
            .route("/oauth2/token", post(token))
            .route("/oauth2/revoke", post(revoke))
            .route("/logout", get(logout))
            .with_state(shared);
        let listener = bound.0;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeCognito { addr, calls, task })
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

fn record(shared: &Shared, call: &str) {
    shared.calls.lock().unwrap().push(call.to_owned());
}

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

fn refused(status: StatusCode, error: &str) -> Response {
    (status, cors(), axum::Json(json!({ "error": error }))).into_response()
}

/// Cognito's token endpoint answers cross-origin requests from the console.
fn cors() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers
}

async fn authorize(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    record(&shared, "authorize");
    let param = |name: &str| query.get(name).cloned().unwrap_or_default();
    let valid = param("response_type") == "code"
        && param("client_id") == CLIENT_ID
        && param("redirect_uri") == shared.console
        && param("scope").split(' ').any(|s| s == "openid")
        && param("code_challenge_method") == "S256"
        && param("code_challenge").len() == 43
        && !param("state").is_empty();
    if !valid {
        return refused(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let code = random_token();
    shared.codes.lock().unwrap().insert(code.clone(), (param("code_challenge"), param("redirect_uri")));
    let back = format!("{}?code={code}&state={}", shared.console, urlencode(&param("state")));
    Redirect::to(&back).into_response()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn token(State(shared): State<Arc<Shared>>, Form(form): Form<HashMap<String, String>>) -> Response {
    let param = |name: &str| form.get(name).cloned().unwrap_or_default();
    let grant = param("grant_type");
    record(&shared, &format!("token:{grant}"));
    if param("client_id") != CLIENT_ID {
        return refused(StatusCode::BAD_REQUEST, "invalid_client");
    }
    match grant.as_str() {
        "authorization_code" => {
            let Some((challenge, redirect)) = shared.codes.lock().unwrap().remove(&param("code")) else {
                return refused(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            let hashed = URL_SAFE_NO_PAD.encode(Sha256::digest(param("code_verifier").as_bytes()));
            if hashed != challenge || redirect != param("redirect_uri") {
                return refused(StatusCode::BAD_REQUEST, "invalid_grant");
            }
        }
        "refresh_token" => {
            if !shared.refresh_tokens.lock().unwrap().contains(&param("refresh_token")) {
                return refused(StatusCode::BAD_REQUEST, "invalid_grant");
            }
        }
        _ => return refused(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
    let Ok(access) = local_session(&shared).await else {
        return refused(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    };
    let mut body = json!({
        "access_token": access,
        "id_token": id_token(&shared.email),
        "token_type": "Bearer",
        "expires_in": 3600,
    });
    if grant == "authorization_code" {
        let refresh = random_token();
        shared.refresh_tokens.lock().unwrap().push(refresh.clone());
        body["refresh_token"] = Value::from(refresh);
    }
    (cors(), axum::Json(body)).into_response()
}

/// A session of the local server: what it accepts as a bearer token.
async fn local_session(shared: &Shared) -> Result<String> {
    let session: Value = reqwest::Client::new()
        .post(&shared.sessions_url)
        .json(&json!({ "email": shared.email, "password": shared.password }))
        .send()
        .await?
        .json()
        .await?;
    Ok(session["token"].as_str().unwrap_or_default().to_owned())
}

/// An unsigned JWT with the claims the console reads for display.
fn id_token(email: &str) -> String {
    let part = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!("{}.{}.", part(json!({ "alg": "none" })), part(json!({ "email": email, "token_use": "id" })))
}

async fn revoke(State(shared): State<Arc<Shared>>, Form(form): Form<HashMap<String, String>>) -> Response {
    record(&shared, "revoke");
    let token = form.get("token").cloned().unwrap_or_default();
    shared.refresh_tokens.lock().unwrap().retain(|t| *t != token);
    (StatusCode::OK, cors()).into_response()
}

async fn logout(State(shared): State<Arc<Shared>>, Query(query): Query<HashMap<String, String>>) -> Response {
    record(&shared, "logout");
    if query.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || query.get("logout_uri") != Some(&shared.console)
    {
        return refused(StatusCode::BAD_REQUEST, "invalid_request");
    }
    Redirect::to(&shared.console).into_response()
}
