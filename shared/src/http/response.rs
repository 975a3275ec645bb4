//! JSON responses: no cache keeps them (applications are personal data).

use crate::domain::{Invalid, Validated};
use crate::messages::Issue;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

/// A JSON response that no cache keeps (applications are personal data).
pub fn json(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    // Room for a whole validated application, so the buffer is not regrown.
    let mut bytes = Vec::with_capacity(1024);
    serde_json::to_writer(&mut bytes, body).expect("response types serialise");
    let mut response = Response::new(Body::Binary(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    super::secure(headers);
    response
}

/// 200 `{"ok": true, "application", "warnings"}`.
pub fn validated(validated: &Validated) -> Response<Body> {
    #[derive(Serialize)]
    struct Ok<'a> {
        ok: bool,
        application: &'a crate::domain::Application,
        warnings: &'a [Issue],
    }
    json(StatusCode::OK, &Ok { ok: true, application: &validated.application, warnings: &validated.warnings })
}

/// 422 `{"ok": false, "errors", "warnings"}`.
pub fn invalid(invalid: &Invalid) -> Response<Body> {
    #[derive(Serialize)]
    struct Failed<'a> {
        ok: bool,
        errors: &'a [Issue],
        warnings: &'a [Issue],
    }
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &Failed { ok: false, errors: &invalid.errors, warnings: &invalid.warnings },
    )
}
