//! The HTTP API's `$default` route. It serves the form (`web/`, embedded in the
//! binary at build time, so that `sam deploy` alone yields a working form on the
//! API's own origin) and answers every other request with the contract's error
//! envelope: 405 for a contract route called with another method, 404 for the rest.
//! What of `web/` is served is `shared::http::site`'s (the local server's too):
//! the page and what it loads, not the developers' notes beside it.
//!
//! It also answers the operators' console's configuration
//! (`GET /admin/config.json`, `shared::http::console`): Cognito's managed login
//! as the stack configured it ([`ENV_COGNITO_DOMAIN`], [`ENV_COGNITO_CLIENT_ID`],
//! [`ENV_PUBLIC_BASE_URL`]), and gives the console's pages a policy that lets
//! them fetch Cognito's token endpoint.

use include_dir::{Dir, File, include_dir};
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use sha2::{Digest, Sha256};
use shared::http::console::{self, BadSetting, ConsoleConfig};
use shared::http::{self, ApiError, CONTENT_SECURITY_POLICY};
use shared::routes::ROUTES;

static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../web");

/// The user pool domain's origin (`https://<prefix>.auth.<region>.amazoncognito.com`).
pub const ENV_COGNITO_DOMAIN: &str = "COGNITO_DOMAIN";
/// The console's app client id.
pub const ENV_COGNITO_CLIENT_ID: &str = "COGNITO_CLIENT_ID";
/// The template's `PublicBaseUrl`: the console is `<it>/admin/`.
pub const ENV_PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";
/// The documents bucket's origin, which the documents page uploads to.
pub const ENV_DOCUMENTS_UPLOAD_ORIGIN: &str = "DOCUMENTS_UPLOAD_ORIGIN";

/// The site: the embedded files and the console's configuration, set up once
/// per cold start.
pub struct Site {
    console: ConsoleConfig,
    /// The policy of the console's pages ([`ConsoleConfig::content_security_policy`]).
    console_policy: HeaderValue,
    /// The policy of the documents page ([`http::documents_policy`]).
    documents_policy: HeaderValue,
}

impl Site {
    pub fn new(console: ConsoleConfig) -> Self {
        Site::with_upload_origin(console, None)
    }

    /// With the bucket's origin, which the documents page may reach.
    pub fn with_upload_origin(console: ConsoleConfig, upload_origin: Option<&str>) -> Self {
        let console_policy = HeaderValue::from_str(&console.content_security_policy())
            .expect("a checked origin makes a valid header value");
        let documents_policy = HeaderValue::from_str(&http::documents_policy(upload_origin))
            .expect("a checked origin makes a valid header value");
        Site { console, console_policy, documents_policy }
    }

    /// The console's sign-in from the environment: Cognito when the three
    /// variables are set, `unavailable` when any is empty or unset.
    pub fn from_env() -> Result<Self, BadSetting> {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        let console = ConsoleConfig::cognito(
            &var(ENV_COGNITO_DOMAIN),
            &var(ENV_COGNITO_CLIENT_ID),
            &var(ENV_PUBLIC_BASE_URL),
        )?;
        Ok(Site::with_upload_origin(console, Some(&var(ENV_DOCUMENTS_UPLOAD_ORIGIN))))
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        let response = self.serve(&req).unwrap_or_else(ApiError::into_response);
        tracing::info!(route = "$default", status = response.status().as_u16(), "served");
        response
    }

    fn serve(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let path = req.uri().path();
        let method = req.method();
        // API Gateway hands a contract route to $default only for another method.
        if let Some(route) = ROUTES.iter().find(|r| r.matches(path) && method.as_str() != r.method) {
            return Err(ApiError::method_not_allowed(route.method));
        }
        let policy = if console::is_console_path(path) {
            self.console_policy.clone()
        } else if http::is_documents_path(path) {
            self.documents_policy.clone()
        } else {
            HeaderValue::from_static(CONTENT_SECURITY_POLICY)
        };
        if path == console::CONFIG_PATH {
            if method != Method::GET && method != Method::HEAD {
                return Err(ApiError::method_not_allowed("GET, HEAD"));
            }
            let mut response = self.console.response();
            if method == Method::HEAD {
                *response.body_mut() = Body::Empty;
            }
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
            return Ok(response);
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
            let body =
                if method == Method::HEAD { Body::Empty } else { Body::Binary(file.contents().to_vec()) };
            let mut response = Response::new(body);
            response.headers_mut().insert(header::CONTENT_TYPE, content_type(file));
            response
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex is a valid header value"));
        // Revalidate every time (cheap with the ETag): a deploy changes the form at once.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        http::secure(headers);
        Ok(response)
    }
}

/// The embedded file for a request path, if the page needs it
/// ([`http::site::served_file`]).
fn asset(path: &str) -> Option<&'static File<'static>> {
    WEB.get_file(http::site::served_file(path)?.as_ref())
}

fn content_type(file: &File<'_>) -> HeaderValue {
    let mime = mime_guess::from_path(file.path()).first_or_octet_stream();
    HeaderValue::from_str(&http::site::content_type(mime.essence_str()))
        .expect("a MIME type is a valid header value")
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

    /// The site as a stack without `PublicBaseUrl` runs it.
    async fn handle(req: Request) -> Response<Body> {
        Site::new(ConsoleConfig::Unavailable).handle(req).await
    }

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
        assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(response.headers()[header::REFERRER_POLICY], http::REFERRER_POLICY);
        assert_eq!(response.headers()["permissions-policy"], http::PERMISSIONS_POLICY);
        // HSTS is added by main (shared::http::for_api_gateway), not by the handler.
        assert!(!response.headers().contains_key(header::STRICT_TRANSPORT_SECURITY));
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

    /// Every embedded file the page needs is served, with a type (UTF-8 for
    /// text) and the policies; the developers' notes (`web/README.md`) are not.
    #[tokio::test]
    async fn only_what_the_page_needs_is_served_with_a_type() {
        fn files(dir: &'static Dir<'static>) -> Vec<&'static File<'static>> {
            dir.files().chain(dir.dirs().flat_map(files)).collect()
        }
        let all = files(&WEB);
        assert!(all.iter().any(|f| f.path() == std::path::Path::new("README.md")), "the notes are in web/");
        let mut served = 0;
        for file in all {
            let path = format!("/{}", file.path().to_str().unwrap());
            let response = handle(request("GET", &path)).await;
            if http::site::served_file(&path).is_none() {
                assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
                assert_eq!(error_code(&response), "not_found", "{path}");
                continue;
            }
            served += 1;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.body().as_ref(), file.contents(), "{path}");
            let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
            if path.ends_with(".html")
                || path.ends_with(".js")
                || path.ends_with(".css")
                || path.ends_with(".txt")
            {
                assert!(content_type.ends_with("; charset=utf-8"), "{path}: {content_type}");
            }
            assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        }
        assert!(served > 3, "the page, its style sheet, modules and texts");
        let readme = handle(request("GET", "/README.md")).await;
        assert_eq!(readme.status(), StatusCode::NOT_FOUND);
        assert_eq!(readme.headers()[header::REFERRER_POLICY], http::REFERRER_POLICY, "errors too");
    }

    /// A browser asks for `/favicon.ico` unless the page links an icon: both
    /// are images, not the 404 every page load used to log.
    #[tokio::test]
    async fn the_icon_is_served_as_an_image() {
        for (path, content_type) in
            [("/favicon.ico", "image/x-icon"), ("/favicon.svg", "image/svg+xml; charset=utf-8")]
        {
            let response = handle(request("GET", path)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], content_type, "{path}");
            assert!(!response.body().is_empty(), "{path}");
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

    const DOMAIN: &str = "https://operators-1a2b.auth.ap-northeast-1.amazoncognito.com";

    fn cognito() -> Site {
        Site::new(
            ConsoleConfig::cognito(DOMAIN, "4abc5def6ghi7jkl8mno9pqr0s", "https://partners.example.jp")
                .unwrap(),
        )
    }

    fn json(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body()).unwrap()
    }

    #[tokio::test]
    async fn the_console_configuration_names_cognito_when_the_stack_has_it() {
        let response = cognito().handle(request("GET", "/admin/config.json")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json; charset=utf-8");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(response.headers()[header::REFERRER_POLICY], http::REFERRER_POLICY);
        assert_eq!(
            json(&response),
            serde_json::json!({
                "signIn": "cognito",
                "domain": DOMAIN,
                "clientId": "4abc5def6ghi7jkl8mno9pqr0s",
                "redirectUri": "https://partners.example.jp/admin/",
                "logoutUri": "https://partners.example.jp/admin/",
                "scope": "openid email",
            })
        );
        let head = cognito().handle(request("HEAD", "/admin/config.json")).await;
        assert_eq!(head.status(), StatusCode::OK);
        assert!(head.body().is_empty());
        let post = cognito().handle(request("POST", "/admin/config.json")).await;
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.headers()[header::ALLOW], "GET, HEAD");
    }

    #[tokio::test]
    async fn without_cognito_settings_the_console_is_unavailable() {
        let response = handle(request("GET", "/admin/config.json")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        assert_eq!(json(&response), serde_json::json!({"signIn": "unavailable"}));
        // As main builds it from a stack without PublicBaseUrl (the template passes "").
        let site = Site::new(ConsoleConfig::cognito(DOMAIN, "4abc5def6ghi7jkl8mno9pqr0s", "").unwrap());
        let response = site.handle(request("GET", "/admin/config.json")).await;
        assert_eq!(json(&response), serde_json::json!({"signIn": "unavailable"}));
    }

    /// The console's pages may fetch Cognito's token endpoint; nothing else
    /// of the policy changes, and the form's pages keep theirs.
    #[tokio::test]
    async fn the_console_may_connect_to_the_cognito_domain_and_the_form_may_not() {
        let site = cognito();
        let console_policy = format!("{CONTENT_SECURITY_POLICY}; connect-src 'self' {DOMAIN}");
        for path in ["/admin", "/admin/", "/admin/js/console.js", "/admin/config.json"] {
            let response = site.handle(request("GET", path)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(
                response.headers()[header::CONTENT_SECURITY_POLICY],
                console_policy.as_str(),
                "{path}"
            );
        }
        for path in ["/", "/verify", "/js/form.js"] {
            let response = site.handle(request("GET", path)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(
                response.headers()[header::CONTENT_SECURITY_POLICY],
                CONTENT_SECURITY_POLICY,
                "{path}"
            );
        }
        // Without Cognito the console's pages have the pages' own policy.
        let page = handle(request("GET", "/admin/")).await;
        assert_eq!(page.headers()[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
    }

    /// `default-src` stands in for neither `base-uri` nor `form-action`: the
    /// pages and the console (with and without Cognito) say them outright.
    #[tokio::test]
    async fn pages_and_console_restrict_base_forms_and_plugins() {
        for (site, path) in [
            (Site::new(ConsoleConfig::Unavailable), "/"),
            (Site::new(ConsoleConfig::Unavailable), "/verify"),
            (Site::new(ConsoleConfig::Unavailable), "/admin"),
            (cognito(), "/admin"),
            (cognito(), "/admin/"),
            (cognito(), "/admin/config.json"),
        ] {
            let response = site.handle(request("GET", path)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let policy = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            let directives: Vec<&str> = policy.split("; ").collect();
            for directive in ["base-uri 'none'", "form-action 'self'", "object-src 'none'"] {
                assert!(directives.contains(&directive), "{path}: {directive} in {policy}");
            }
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
