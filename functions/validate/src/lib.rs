//! `POST /api/validate`: checks an application with the shared rules and
//! answers with the normalised application, or every field error at once.
//! Side-effect free.

use lambda_http::{Body, Request, Response};
use shared::domain::{Application, RawApplication};
use shared::http::{self, ApiError};
use shared::routes::VALIDATE;

pub async fn handle(req: Request) -> Response<Body> {
    let response = match validate(&req) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    tracing::info!(route = VALIDATE.path, status = response.status().as_u16(), "validated");
    response
}

fn validate(req: &Request) -> Result<Response<Body>, ApiError> {
    http::require_method(req, VALIDATE.method)?;
    let raw: RawApplication = http::decode_json(req)?;
    Ok(match Application::parse(&raw) {
        Ok(validated) => http::validated(&validated),
        Err(invalid) => http::invalid(&invalid),
    })
}
