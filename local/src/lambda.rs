//! The axum ↔ `lambda_http` conversion: a request rebuilt as API Gateway hands
//! it to a function (body, query parameters, source IP, and an operator's
//! claims where the JWT authorizer puts them), and a function's answer back.
//! This is what lets the local server run the Lambda handlers unchanged.

use crate::operators;
use axum::body::Bytes;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use shared::http::{ApiError, MAX_BODY_BYTES};
use std::net::SocketAddr;
use std::time::Duration;

/// The request as a handler takes it, its body read within the body timeout
/// (408 after it), or the error answer.
pub(crate) async fn read_request(
    req: Request,
    peer: SocketAddr,
    timeout: Duration,
) -> Result<lambda_http::Request, Response> {
    match tokio::time::timeout(timeout, to_lambda(req, peer)).await {
        Ok(Ok(req)) => Ok(req),
        Ok(Err(error)) => Err(to_axum(error.into_response())),
        Err(_) => Err(to_axum(ApiError::request_timeout().into_response())),
    }
}

/// Puts an operator's claims where API Gateway's JWT authorizer puts them.
pub(crate) fn with_claims(req: &mut lambda_http::Request, claims: &operators::account::OperatorClaims) {
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    };
    use lambda_http::request::RequestContext;
    let Some(RequestContext::ApiGatewayV2(context)) = req.extensions_mut().get_mut::<RequestContext>() else {
        return;
    };
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims.insert(admin::operator::USERNAME_CLAIM.to_owned(), claims.email.to_string());
    jwt.claims.insert(admin::operator::EMAIL_CLAIM.to_owned(), claims.email.to_string());
    jwt.claims.insert(admin::operator::GROUPS_CLAIM.to_owned(), claims.groups_claim());
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    context.authorizer = Some(authorizer);
}

/// Reads the body (at most one byte over the contract's limit, so the handler
/// still answers 413) and rebuilds the request as API Gateway would hand it
/// over, with the peer's address as `requestContext.http.sourceIp`.
async fn to_lambda(req: Request, peer: SocketAddr) -> Result<lambda_http::Request, ApiError> {
    use lambda_http::RequestExt;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    let (parts, body) = req.into_parts();
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http.method = parts.method.clone();
    context.http.path = Some(parts.uri.path().to_owned());
    context.http.source_ip = Some(peer.ip().to_string());
    let bytes: Bytes =
        axum::body::to_bytes(body, MAX_BODY_BYTES + 1).await.map_err(|_| ApiError::payload_too_large())?;
    let body =
        if bytes.is_empty() { lambda_http::Body::Empty } else { lambda_http::Body::Binary(Vec::from(bytes)) };
    let query = query_parameters(parts.uri.query());
    Ok(lambda_http::Request::from_parts(parts, body)
        .with_query_string_parameters(query)
        .with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(context)))
}

/// The query string as API Gateway hands it to a function: decoded, every
/// value of a repeated name kept (the handlers refuse repeats). `lambda_http`
/// reads parameters from this extension, never from the URI, so without it
/// every filter of the operator list was silently ignored here.
fn query_parameters(query: Option<&str>) -> std::collections::HashMap<String, Vec<String>> {
    let mut parameters = std::collections::HashMap::<String, Vec<String>>::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        parameters.entry(name.into_owned()).or_default().push(value.into_owned());
    }
    parameters
}

pub(crate) fn to_axum(response: lambda_http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(text) => Bytes::from(text),
        lambda_http::Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    (parts, bytes).into_response()
}
