//! Header values and checks shared by the functions and the local server.

use lambda_http::http::{HeaderMap, header};

/// The pages load nothing from other origins and are never framed. The web
/// function and the local server send the same policy.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECS: u32 = 5;

/// True when `If-None-Match` names `etag` (weakly compared, RFC 9110 §13.1.2) or is `*`.
pub fn if_none_match(headers: &HeaderMap, etag: &[u8]) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .flat_map(|value| value.as_bytes().split(|b| *b == b','))
        .map(|tag| tag.trim_ascii())
        .any(|tag| tag == b"*" || tag.strip_prefix(b"W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    #[test]
    fn etags_match_strongly_weakly_and_by_star() {
        let ours = b"\"postal-2026-10-r1\"";
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
            if_none_match(&headers, ours)
        };
        assert!(with("\"postal-2026-10-r1\""));
        assert!(with("W/\"postal-2026-10-r1\""));
        assert!(with("\"other\", \"postal-2026-10-r1\""));
        assert!(with("*"));
        assert!(!with("\"postal-1999-01-r1\""));
        assert!(!if_none_match(&HeaderMap::new(), ours));
    }
}
