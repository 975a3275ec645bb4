//! What a request says about its client: the source address (for the rate
//! limits) and the `Idempotency-Key` header.

use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use shared::domain::IdempotencyKey;
use shared::http::{ApiError, ErrorCode};
use std::net::IpAddr;

/// The request header naming one submission attempt (the browser makes one
/// when it shows the confirmation step).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header that marks a replayed acknowledgement.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The client's address: API Gateway's `requestContext.http.sourceIp` (the
/// local server fills in the peer address the same way). Behind CloudFront
/// this is CloudFront's address, not the browser's: see docs/deploy.md.
pub fn source_ip(req: &Request) -> Option<IpAddr> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.as_deref()?.parse().ok(),
        _ => None,
    }
}

/// The one `Idempotency-Key` header, parsed ([`IdempotencyKey`]).
pub fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(if headers.contains_key(IDEMPOTENCY_KEY) {
            invalid_idempotency_key()
        } else {
            missing_idempotency_key()
        });
    };
    let key = value.to_str().map_err(|_| invalid_idempotency_key())?;
    IdempotencyKey::parse(key).ok_or_else(invalid_idempotency_key)
}

fn missing_idempotency_key() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::MissingIdempotencyKey,
        "送信の識別情報(Idempotency-Keyヘッダー)がありません。ページを再読み込みしてから、もう一度お申し込みください。",
    )
}

fn invalid_idempotency_key() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidIdempotencyKey,
        "送信の識別情報(Idempotency-Keyヘッダー)の形式が正しくありません。半角英数字と「-」「_」「.」「:」で16〜128文字にしてください。",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(IDEMPOTENCY_KEY, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn idempotency_keys() {
        let uuid = "7f6c1d5e-9b1a-4c8e-8f3e-2a1b3c4d5e6f";
        assert_eq!(idempotency_key(&headers(&[uuid])).unwrap().as_str(), uuid);
        assert_eq!(idempotency_key(&headers(&[])).unwrap_err().code, ErrorCode::MissingIdempotencyKey);
        let long = "k".repeat(129);
        for bad in ["short", "has space in the key!", "キーキーキーキーキーキーキーキー", long.as_str()]
        {
            let mut map = HeaderMap::new();
            map.insert(IDEMPOTENCY_KEY, HeaderValue::from_bytes(bad.as_bytes()).unwrap());
            assert_eq!(idempotency_key(&map).unwrap_err().code, ErrorCode::InvalidIdempotencyKey, "{bad}");
        }
        assert_eq!(
            idempotency_key(&headers(&[uuid, uuid])).unwrap_err().code,
            ErrorCode::InvalidIdempotencyKey
        );
        assert_eq!(idempotency_key(&headers(&[&"k".repeat(128)])).unwrap().as_str().len(), 128);
    }

    #[test]
    fn the_source_address_comes_from_the_request_context() {
        let event = serde_json::json!({
            "version": "2.0", "routeKey": "POST /api/applications", "rawPath": "/api/applications",
            "rawQueryString": "", "headers": {},
            "requestContext": {"http": {"method": "POST", "path": "/api/applications", "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9", "userAgent": "test"}, "requestId": "r", "routeKey": "POST /api/applications",
                "stage": "$default", "time": "01/Dec/2026:00:00:00 +0000", "timeEpoch": 0, "accountId": "1",
                "apiId": "a", "domainName": "d", "domainPrefix": "d"},
            "isBase64Encoded": false
        });
        let req = lambda_http::request::from_str(&event.to_string()).unwrap();
        assert_eq!(source_ip(&req), Some("203.0.113.9".parse().unwrap()));
        assert_eq!(source_ip(&Request::default()), None);
    }
}
