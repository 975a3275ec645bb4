//! The HTTP API's `$default` route. It serves the form (`web/`, embedded in the
//! binary at build time, so that `sam deploy` alone yields a working form on the
//! API's own origin) and answers every other request with the contract's error
//! envelope: 405 for a contract route called with another method, 404 for the rest.

use include_dir::{Dir, File, include_dir};
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use sha2::{Digest, Sha256};
use shared::http::{self, ApiError, CONTENT_SECURITY_POLICY};
use shared::routes::ROUTES;

static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../web");

pub async fn handle(req: Request) -> Response<Body> {
    let response = serve(&req).unwrap_or_else(ApiError::into_response);
    tracing::info!(route = "$default", status = response.status().as_u16(), "served");
    response
}

fn serve(req: &Request) -> Result<Response<Body>, ApiError> {
    let path = req.uri().path();
    let method = req.method();
    // API Gateway hands a contract route to $default only for another method.
    if let Some(route) = ROUTES.iter().find(|r| r.matches(path) && method.as_str() != r.method) {
        return Err(ApiError::method_not_allowed(route.method));
    }
    let file = asset(path).ok_or_else(ApiError::not_found)?;
    if method != Method::GET && method != Method::HEAD {
        return Err(ApiError::method_not_allowed("GET, HEAD"));
    }

    let etag = etag(file.contents());
    let mut response = if http::if_none_match(req.headers(), etag.as_bytes()) {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        let body = if method == Method::HEAD { Body::Empty } else { Body::Binary(file.contents().to_vec()) };
        let mut response = Response::new(body);
        response.headers_mut().insert(header::CONTENT_TYPE, content_type(file));
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex is a valid header value"));
    // Revalidate every time (cheap with the ETag): a deploy changes the form at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

/// The embedded file for a request path: `index.html` for a directory; nothing
/// for hidden files or empty and relative segments.
fn asset(path: &str) -> Option<&'static File<'static>> {
    let relative = path.strip_prefix('/')?;
    let relative = if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_owned()
    };
    if relative.split('/').any(|segment| segment.is_empty() || segment.starts_with('.')) {
        return None;
    }
    // A directory named without its slash (`/verify`, the verification link's
    // page) is its index, as the local server serves it.
    WEB.get_file(&relative).or_else(|| WEB.get_file(format!("{relative}/index.html")))
}

fn content_type(file: &File<'_>) -> HeaderValue {
    let mime = mime_guess::from_path(file.path()).first_or_octet_stream();
    let textual = mime.type_() == "text" || matches!(mime.subtype().as_str(), "javascript" | "json" | "svg");
    let value = if textual {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_owned()
    };
    HeaderValue::from_str(&value).expect("a MIME type is a valid header value")
}

/// A strong validator: the first 128 bits of the content's SHA-256.
fn etag(contents: &[u8]) -> String {
    let digest = Sha256::digest(contents);
    let hex: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
    format!("\"{hex}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str) -> Request {
        lambda_http::http::Request::builder().method(method).uri(path).body(Body::Empty).unwrap()
    }

    fn error_code(response: &Response<Body>) -> String {
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        body["error"]["code"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn serves_the_form_with_its_policy_and_validator() {
        let response = handle(request("GET", "/")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(response.headers()[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        let index = WEB.get_file("index.html").unwrap();
        assert_eq!(response.body().as_ref(), index.contents());
        assert_eq!(handle(request("GET", "/index.html")).await.body().as_ref(), index.contents());

        let etag = response.headers()[header::ETAG].clone();
        let mut revalidation = request("GET", "/");
        revalidation.headers_mut().insert(header::IF_NONE_MATCH, etag.clone());
        let not_modified = handle(revalidation).await;
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(not_modified.headers()[header::ETAG], etag);
        assert!(not_modified.body().is_empty());

        let head = handle(request("HEAD", "/")).await;
        assert_eq!(head.status(), StatusCode::OK);
        assert!(head.body().is_empty());
    }

    #[tokio::test]
    async fn every_embedded_file_is_served_with_a_type() {
        fn files(dir: &'static Dir<'static>) -> Vec<&'static File<'static>> {
            dir.files().chain(dir.dirs().flat_map(files)).collect()
        }
        let all = files(&WEB);
        assert!(!all.is_empty());
        for file in all {
            let path = format!("/{}", file.path().to_str().unwrap());
            if file.path().components().any(|c| c.as_os_str().to_string_lossy().starts_with('.')) {
                continue;
            }
            let response = handle(request("GET", &path)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.body().as_ref(), file.contents(), "{path}");
            assert!(response.headers().contains_key(header::CONTENT_TYPE), "{path}");
        }
    }

    #[tokio::test]
    async fn the_verification_page_is_served_with_and_without_its_slash() {
        let page = WEB.get_file("verify/index.html").expect("web/verify/index.html");
        for path in ["/verify", "/verify/", "/verify/index.html"] {
            let response = handle(request("GET", path)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.body().as_ref(), page.contents(), "{path}");
        }
    }

    #[tokio::test]
    async fn unknown_routes_get_the_envelope() {
        for path in ["/nope", "/api/nope", "/api/postal/", "/../Cargo.toml", "//index.html", "/.git/config"] {
            let response = handle(request("GET", path)).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(error_code(&response), "not_found");
        }
    }

    #[tokio::test]
    async fn wrong_methods_get_405_with_allow() {
        let cases = [
            ("GET", "/api/validate", "POST"),
            ("DELETE", "/api/applications", "POST"),
            ("POST", "/api/postal/5300011", "GET"),
            ("POST", "/", "GET, HEAD"),
        ];
        for (method, path, allow) in cases {
            let response = handle(request(method, path)).await;
            assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_eq!(response.headers()[header::ALLOW], allow);
            assert_eq!(error_code(&response), "method_not_allowed");
        }
    }
}
