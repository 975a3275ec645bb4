//! Header values and checks shared by the functions and the local server.

use lambda_http::http::{HeaderMap, HeaderValue, header};
use lambda_http::{Body, Response};

/// The pages load nothing from other origins and are never framed. The web
/// function and the local server send the same policy, the console's pages
/// with Cognito's `connect-src` added. `default-src` does not cover `base-uri`
/// nor `form-action`: without them an injected `<base>` could point the pages'
/// relative scripts elsewhere, and an injected `action` send a filled-in form
/// (personal data) to another site. `object-src 'none'` says outright that no
/// plugin content is ever wanted.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'; object-src 'none'";

/// The documents page (`/documents`) PUTs files straight to storage: on AWS
/// the bucket's origin (`https://<bucket>.s3.<region>.amazonaws.com`, the
/// web function's `DOCUMENTS_UPLOAD_ORIGIN`), which its policy adds to
/// `connect-src`; locally the local server is the target, `'self'`.
pub fn documents_policy(upload_origin: Option<&str>) -> String {
    match upload_origin.map(str::trim).filter(|origin| is_origin(origin)) {
        Some(origin) => format!("{CONTENT_SECURITY_POLICY}; connect-src 'self' {origin}"),
        None => CONTENT_SECURITY_POLICY.to_owned(),
    }
}

/// Whether `text` is an `https://host` origin with nothing a header or a
/// policy could be split by.
fn is_origin(text: &str) -> bool {
    text.strip_prefix("https://").is_some_and(|host| {
        !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
    })
}

/// Whether a path is the documents page's.
pub fn is_documents_path(path: &str) -> bool {
    path == "/documents" || path.starts_with("/documents/")
}

/// No link or request of the form's needs to tell the next site where the
/// visitor came from (the form's URL would say that someone applied).
pub const REFERRER_POLICY: &str = "no-referrer";

/// The form uses no device, sensor or payment API: denied to every origin, so
/// that a script that got in despite the CSP could not ask for them either.
/// Only features Chromium and Firefox recognise (an unknown name is a console
/// error on every page load).
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), display-capture=(), geolocation=(), \
     gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(), serial=(), usb=()";

/// HSTS for answers that went out over HTTPS (API Gateway serves nothing else):
/// two years, the value the preload list asks for. Not `includeSubDomains`:
/// with a custom domain in front (docs/deploy.md), the stack does not own its
/// parent domain's other hosts. Not on the local server, which speaks plain
/// HTTP, where browsers ignore the header (RFC 6797 §8.1).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000";

/// Every response's own headers, the same on AWS and locally (the local server
/// adds them to its static files too): no MIME sniffing, no referrer, no
/// powerful features. Headers already set are kept.
pub fn secure(headers: &mut HeaderMap) {
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, REFERRER_POLICY),
        (PERMISSIONS_POLICY_HEADER, PERMISSIONS_POLICY),
    ] {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
}

/// `Permissions-Policy` (the `http` crate has no constant for it).
pub const PERMISSIONS_POLICY_HEADER: header::HeaderName =
    header::HeaderName::from_static("permissions-policy");

/// A Lambda function's HTTP answer as API Gateway sends it, over HTTPS only:
/// [`secure`] and HSTS. Every HTTP function's `main` wraps its handler with it,
/// so the handlers, which the plain-HTTP local server also runs, stay free of it.
pub fn for_api_gateway(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    secure(headers);
    headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(STRICT_TRANSPORT_SECURITY));
    response
}

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
    fn every_answer_gets_the_policies_and_api_gateway_answers_hsts() {
        let mut headers = HeaderMap::new();
        secure(&mut headers);
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        let permissions = headers["permissions-policy"].to_str().unwrap();
        for feature in ["camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"] {
            assert!(permissions.split(", ").any(|f| f == feature), "{feature} in {permissions}");
        }
        assert!(!headers.contains_key(header::STRICT_TRANSPORT_SECURITY), "not over plain HTTP");

        let response = for_api_gateway(Response::new(Body::Empty));
        assert_eq!(response.headers()[header::STRICT_TRANSPORT_SECURITY], "max-age=63072000");
        assert_eq!(response.headers()[header::REFERRER_POLICY], "no-referrer");
        assert!(response.headers().contains_key("permissions-policy"));
    }

    #[test]
    fn the_policy_restricts_base_forms_and_plugins() {
        let directives: Vec<&str> = CONTENT_SECURITY_POLICY.split("; ").collect();
        for directive in
            ["base-uri 'none'", "form-action 'self'", "object-src 'none'", "frame-ancestors 'none'"]
        {
            assert!(directives.contains(&directive), "{directive} in {CONTENT_SECURITY_POLICY}");
        }
    }

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

    #[test]
    fn the_documents_page_may_reach_the_bucket_only() {
        let bucket = "https://partner-documents-1.s3.ap-northeast-1.amazonaws.com";
        assert_eq!(
            documents_policy(Some(bucket)),
            format!("{CONTENT_SECURITY_POLICY}; connect-src 'self' {bucket}")
        );
        assert_eq!(documents_policy(None), CONTENT_SECURITY_POLICY);
        for bad in ["", "http://bucket.example", "https://a.example; script-src *", "https://a b"] {
            assert_eq!(documents_policy(Some(bad)), CONTENT_SECURITY_POLICY, "{bad}");
        }
        assert!(is_documents_path("/documents/") && is_documents_path("/documents/app.js"));
        assert!(!is_documents_path("/documentsx") && !is_documents_path("/"));
    }
}
