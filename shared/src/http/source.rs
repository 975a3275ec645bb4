//! Who sent a request: the source address the per-client rate limits count.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::net::IpAddr;

/// The client's address: API Gateway's `requestContext.http.sourceIp` (the
/// local server fills in the peer address the same way). Behind CloudFront
/// this is CloudFront's address, not the browser's: see docs/deploy.md.
pub fn source_ip(req: &Request) -> Option<IpAddr> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.as_deref()?.parse().ok(),
        _ => None,
    }
}
