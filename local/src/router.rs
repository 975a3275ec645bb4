//! The router: every route of `shared::routes::ROUTES` dispatched to its
//! function by an exhaustive `match` on its operation, the local operator
//! sessions, the console's settings and the form's files, with the headers the
//! web function and API Gateway add on AWS (CSP, nosniff and the policies,
//! CORS for the listed origins only).

use crate::config::Config;
use crate::document_files;
use crate::lambda::{read_request, to_axum, with_claims};
use crate::wiring::Functions;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::HeaderValue;
use http::header;
use shared::http::{self as api_http, ApiError, CONTENT_SECURITY_POLICY};
use shared::routes::{AdminOperation, Operation, ROUTES, Route, cors, local_sessions};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub(crate) fn router(functions: Arc<Functions>, config: &Config) -> anyhow::Result<Router> {
    let mut api = Router::new();
    for route in ROUTES {
        // Every method reaches the handler, which answers a wrong one with 405.
        api = api.route(route.path, any(move |state, peer, req| call(state, peer, route, req)));
    }
    // Local only, and so not in ROUTES (nor the template): on AWS Cognito
    // signs operators in and the HTTP API's JWT authorizer checks their
    // tokens; here the local server does both.
    api = api
        .route(
            local_sessions::SIGN_IN,
            any(|state, peer, req| operator(state, peer, OperatorRoute::SignIn, req)),
        )
        .route(
            local_sessions::CURRENT,
            any(|state, peer, req| operator(state, peer, OperatorRoute::Current, req)),
        )
        .route(
            local_sessions::SIGN_OUT,
            any(|state, peer, req| operator(state, peer, OperatorRoute::SignOut, req)),
        );
    // The embedded store's upload target and downloads (S3's presigned
    // URLs on AWS): outside `/api/`, and with no body limit but the
    // signature's exact length.
    api = api
        .route(&format!("{}{{*key}}", document_files::UPLOADS), any(upload))
        .route(&format!("{}{{*key}}", document_files::DOWNLOADS), any(download))
        .route(shared::routes::LOCAL_SES_EVENTS, any(ses_event))
        .route(shared::routes::LOCAL_SCAN_RESULTS, any(scan_result));
    let static_files = ServeDir::new(&config.web_dir).append_index_html_on_directories(true);
    let console = Arc::new(config.console.clone());
    let console_policy = HeaderValue::from_str(&config.console.content_security_policy())?;
    let app = api
        // The console signs in here with a password (on AWS the web function
        // answers Cognito's settings instead).
        .route(api_http::console::CONFIG_PATH, any(move |method| console_config(console.clone(), method)))
        .route("/api/{*rest}", any(|| async { to_axum(ApiError::not_found().into_response()) }))
        .with_state(functions)
        .fallback(move |req: Request| static_file(static_files.clone(), console_policy.clone(), req))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(axum::middleware::map_response(secure_headers));
    Ok(match cors_layer(&config.allowed_origins)? {
        Some(layer) => app.layer(layer),
        None => app,
    })
}

/// `GET /admin/config.json`: the console signs in with the local server's
/// `POST /api/admin/sessions` (unless [`Config::console`] says otherwise).
async fn console_config(console: Arc<api_http::console::ConsoleConfig>, method: http::Method) -> Response {
    match method {
        http::Method::GET | http::Method::HEAD => to_axum(console.response()),
        _ => to_axum(ApiError::method_not_allowed("GET, HEAD").into_response()),
    }
}

/// The web function's headers on every answer: nosniff, the referrer and
/// permissions policies (`shared::http::secure`; no HSTS over plain HTTP).
async fn secure_headers(mut response: Response) -> Response {
    api_http::secure(response.headers_mut());
    response
}

/// A file of `web/` that the page needs (`shared::http::site`, as the web
/// function serves them), with a UTF-8 charset on text; the contract's 404 for
/// anything else, `web/README.md` among them. The path is percent-decoded first,
/// as `ServeDir` decodes it (`/README%2Emd` is `README.md`).
async fn static_file(files: ServeDir, console_policy: HeaderValue, req: Request) -> Response {
    let decoded = percent_encoding::percent_decode_str(req.uri().path()).decode_utf8();
    if !decoded.is_ok_and(|path| api_http::site::served_file(&path).is_some()) {
        return to_axum(ApiError::not_found().into_response());
    }
    let console_page = api_http::console::is_console_path(req.uri().path());
    let Ok(mut response) = files.oneshot(req).await;
    if let Some(essence) = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
        && let Ok(value) = HeaderValue::from_str(&api_http::site::content_type(essence))
    {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    if console_page {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, console_policy);
    }
    response.into_response()
}

fn parsed<T>(names: &[&str]) -> anyhow::Result<Vec<T>>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    Ok(names.iter().map(|n| n.parse()).collect::<Result<_, _>>()?)
}

/// API Gateway's CORS as the template configures it (shared::routes::cors).
fn cors_layer(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let origins = origins.iter().map(|o| HeaderValue::from_str(o)).collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods(parsed::<http::Method>(&cors::ALLOW_METHODS)?)
            .allow_headers(parsed::<header::HeaderName>(&cors::ALLOW_HEADERS)?)
            .expose_headers(parsed::<header::HeaderName>(&cors::EXPOSE_HEADERS)?)
            .max_age(std::time::Duration::from_secs(cors::MAX_AGE_SECS)),
    ))
}

/// A route of `ROUTES`: the operator's session and role checked first where
/// the route needs one (API Gateway's authorizer checks the session on AWS,
/// the admin function the role, here too), then its function,
/// chosen by an exhaustive `match` on the route's operation.
async fn call(
    State(functions): State<Arc<Functions>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    route: Route,
    req: Request,
) -> Response {
    let mut req = match read_request(req, peer, functions.body_read_timeout).await {
        Ok(req) => req,
        Err(response) => return response,
    };
    if route.access().needs_session() {
        // The local server is the authorizer: the same claims as API Gateway's.
        match functions.operators.authorize(req.headers(), route.access()).await {
            Ok(claims) => with_claims(&mut req, &claims),
            Err(error) => return to_axum(error.into_response()),
        }
    }
    let response = match route.operation {
        Operation::Validate => validate::handle(req).await,
        Operation::Submit | Operation::Preview | Operation::Confirm => functions.submit.handle(req).await,
        Operation::Postal => postal::handle(req).await,
        Operation::DocumentsPreview | Operation::DocumentsUpload | Operation::DocumentsSubmission => {
            functions.documents.handle(req).await
        }
        // Streamed here; on Lambda the admin function answers it whole.
        Operation::Admin(AdminOperation::Export) => return export(&functions, &req).await,
        // Every other operation is the admin function's, whose own `match`
        // is total over them: a new one is handled there, not here.
        Operation::Admin(_) => functions.admin.handle(req).await,
    };
    to_axum(response)
}

/// `PUT /local/uploads/{key}`: one file, as its signed target allows.
async fn upload(
    State(functions): State<Arc<Functions>>,
    axum::extract::Path(key): axum::extract::Path<String>,
    req: Request,
) -> Response {
    let Some(files) = &functions.files else { return to_axum(ApiError::not_found().into_response()) };
    if req.method() != http::Method::PUT {
        return to_axum(ApiError::method_not_allowed("PUT").into_response());
    }
    let query = req.uri().query().unwrap_or_default().to_owned();
    let (parts, body) = req.into_parts();
    document_files::receive(files, &key, &query, &parts.headers, body).await
}

/// `GET /local/downloads/{key}`: a submitted file, as its signed link allows.
async fn download(
    State(functions): State<Arc<Functions>>,
    axum::extract::Path(key): axum::extract::Path<String>,
    req: Request,
) -> Response {
    let Some(files) = &functions.files else { return to_axum(ApiError::not_found().into_response()) };
    if req.method() != http::Method::GET {
        return to_axum(ApiError::method_not_allowed("GET").into_response());
    }
    document_files::serve(files, &key, req.uri().query().unwrap_or_default()).await
}

/// The CSV export, streamed as the admin handler reads it (on Lambda it is
/// one answer): memory holds a few pages, whatever the number of rows.
async fn export(functions: &Functions, req: &lambda_http::Request) -> Response {
    match functions.admin.export_stream(req).await {
        Err(response) => to_axum(response),
        Ok((head, chunks)) => {
            let (parts, _) = head.into_parts();
            // A broken export ends in an error, which aborts the chunked
            // body: the client sees an incomplete download, not a short CSV.
            let stream = futures_util::stream::unfold(chunks, |mut chunks| async move {
                let chunk = chunks.recv().await?;
                let item = chunk.map(Bytes::from).map_err(|admin::Broken| {
                    std::io::Error::new(std::io::ErrorKind::Interrupted, "the export broke off")
                });
                Some((item, chunks))
            });
            Response::from_parts(parts, axum::body::Body::from_stream(stream))
        }
    }
}

/// `POST /local/ses-events` (`shared::routes::LOCAL_SES_EVENTS`). Locally the
/// outbox is as far as a mail goes, so this is how a bounce, a complaint or a
/// delay is tried: the event JSON of `events/mail-events-*.json` with the tags
/// of a mail the detail lists: one EventBridge event of SES, recorded as the
/// mail-events function records it → 200 `{"recorded": bool}`.
async fn ses_event(
    State(functions): State<Arc<Functions>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let event = match supervisors_event(&functions, peer, req).await {
        Ok(event) => event,
        Err(response) => return response,
    };
    let outcome = mail_events::record(&*functions.deliveries, &event).await;
    recorded(outcome.map(|outcome| outcome == shared::store::DeliveryOutcome::Recorded), "an SES event")
}

/// `POST /local/scan-results` (`shared::routes::LOCAL_SCAN_RESULTS`). The
/// local server never scans a file, so this is how the console's handling of
/// each result is tried: GuardDuty's EventBridge event of one object
/// (`events/scan-result-threats-found.json` with a kept file's key), recorded
/// as GuardDuty's tag would be → 200 `{"recorded": bool}` (`false`: no such
/// kept file).
async fn scan_result(
    State(functions): State<Arc<Functions>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let event = match supervisors_event(&functions, peer, req).await {
        Ok(event) => event,
        Err(response) => return response,
    };
    let Some(result) = shared::documents::scan_result::result(&event) else {
        return to_axum(
            ApiError::bad_request("GuardDuty のスキャン結果のイベント(Object Scan Result)を送ってください。")
                .into_response(),
        );
    };
    let Some(files) = functions.files.as_ref() else {
        return to_axum(ApiError::not_found().into_response());
    };
    recorded(files.record_scan(&result.object_key, &result.status), "a scan result")
}

/// A local event route's answer: 200 `{"recorded": bool}`, or 503 when the
/// store failed (logged with `what` and the error, which names no person).
fn recorded(outcome: Result<bool, impl std::fmt::Display>, what: &str) -> Response {
    match outcome {
        Ok(recorded) => {
            to_axum(api_http::json(http::StatusCode::OK, &serde_json::json!({ "recorded": recorded })))
        }
        Err(error) => {
            tracing::error!(%error, "{what} could not be recorded");
            to_axum(ApiError::unavailable(1).into_response())
        }
    }
}

/// The JSON event a supervisor posts to one of the local event routes (what
/// AWS would deliver to a function itself), or the answer that refuses it:
/// 405 for another method, 401/403 for anyone but a supervisor, 400 for
/// what is not JSON.
async fn supervisors_event(
    functions: &Functions,
    peer: SocketAddr,
    req: Request,
) -> Result<serde_json::Value, Response> {
    let req = read_request(req, peer, functions.body_read_timeout).await?;
    if req.method() != http::Method::POST {
        return Err(to_axum(ApiError::method_not_allowed("POST").into_response()));
    }
    functions
        .operators
        .authorize(req.headers(), shared::routes::Access::Supervisor)
        .await
        .map_err(|error| to_axum(error.into_response()))?;
    api_http::decode_json(&req).map_err(|error| to_axum(error.into_response()))
}

/// The local server's own operator routes ([`operators::api`]).
#[derive(Debug, Clone, Copy)]
enum OperatorRoute {
    SignIn,
    Current,
    SignOut,
}

async fn operator(
    State(functions): State<Arc<Functions>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    route: OperatorRoute,
    req: Request,
) -> Response {
    let req = match read_request(req, peer, functions.body_read_timeout).await {
        Ok(req) => req,
        Err(response) => return response,
    };
    let operators = &functions.operators;
    to_axum(match route {
        OperatorRoute::SignIn => operators.sign_in(&req).await,
        OperatorRoute::Current => operators.current(&req).await,
        OperatorRoute::SignOut => operators.sign_out(&req).await,
    })
}
