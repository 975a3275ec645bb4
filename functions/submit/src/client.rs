//! What a request says about its client: the source address (for the rate
//! limits) and the `Idempotency-Key` header (`shared::http::idempotency`).

pub use shared::http::idempotency::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, idempotency_key};
pub use shared::http::source_ip;

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Request;

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
