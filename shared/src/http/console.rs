//! The operators' console's configuration, `GET /admin/config.json`: how
//! operators sign in, which the page fetches before anything else. The local
//! server answers [`ConsoleConfig::Password`] (its own `POST
//! /api/admin/sessions`); the web function on AWS answers
//! [`ConsoleConfig::Cognito`] from the stack's settings, or
//! [`ConsoleConfig::Unavailable`] when the stack has none (no `PublicBaseUrl`,
//! so the console's client has no OAuth flow).

use super::CONTENT_SECURITY_POLICY;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Where the console's configuration is served.
pub const CONFIG_PATH: &str = "/admin/config.json";

/// The OAuth scopes the console asks for (the client's `AllowedOAuthScopes`;
/// the operator API's authorizer requires `openid`).
pub const SCOPE: &str = "openid email";

/// How operators sign in to the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "signIn", rename_all = "lowercase")]
pub enum ConsoleConfig {
    /// `{"signIn": "password"}`: the local server's `POST /api/admin/sessions`.
    Password,
    /// `{"signIn": "cognito", "domain", "clientId", "redirectUri", "logoutUri",
    /// "scope"}`: Cognito's managed login, the authorization code grant with
    /// PKCE; the page exchanges the code at `<domain>/oauth2/token`.
    #[serde(rename_all = "camelCase")]
    Cognito {
        /// The user pool domain's origin, `https://<prefix>.auth.<region>.amazoncognito.com`.
        domain: String,
        /// The console's app client (public, no secret).
        client_id: String,
        /// `<PublicBaseUrl>/admin/`, the client's callback URL.
        redirect_uri: String,
        /// `<PublicBaseUrl>/admin/`, the client's sign-out URL.
        logout_uri: String,
        scope: String,
    },
    /// `{"signIn": "unavailable"}`: this deployment has no sign-in for the
    /// console (the page says so).
    Unavailable,
}

/// A setting that cannot be put in the console's configuration (names the
/// setting, and the value, which is no personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} is not {expected}: {value:?}")]
pub struct BadSetting {
    pub name: &'static str,
    pub expected: &'static str,
    pub value: String,
}

impl ConsoleConfig {
    /// The Cognito sign-in, when all three settings are given; `Unavailable`
    /// when any is empty (a stack without `PublicBaseUrl`). `domain` is an
    /// origin (`https://host`, no path), `client_id` alphanumeric,
    /// `public_base_url` an `https://` or `http://` address without a path
    /// (a trailing slash is dropped).
    pub fn cognito(domain: &str, client_id: &str, public_base_url: &str) -> Result<Self, BadSetting> {
        let (domain, client_id, base) = (domain.trim(), client_id.trim(), public_base_url.trim());
        if domain.is_empty() || client_id.is_empty() || base.is_empty() {
            return Ok(ConsoleConfig::Unavailable);
        }
        let bad = |name, expected, value: &str| BadSetting { name, expected, value: value.to_owned() };
        let domain = domain.trim_end_matches('/');
        if !is_origin(domain, false) {
            return Err(bad("the Cognito domain", "an https:// origin", domain));
        }
        if !client_id.bytes().all(|b| b.is_ascii_alphanumeric()) || client_id.len() > 128 {
            return Err(bad("the client id", "alphanumeric", client_id));
        }
        let base = base.trim_end_matches('/');
        if !is_origin(base, true) {
            return Err(bad("the public base URL", "an https:// origin", base));
        }
        let console = format!("{base}/admin/");
        Ok(ConsoleConfig::Cognito {
            domain: domain.to_owned(),
            client_id: client_id.to_owned(),
            redirect_uri: console.clone(),
            logout_uri: console,
            scope: SCOPE.to_owned(),
        })
    }

    /// The Content-Security-Policy of the console's page: the pages' own
    /// ([`CONTENT_SECURITY_POLICY`]), and for a Cognito sign-in
    /// `connect-src 'self' <domain>`, so that the page may fetch the token
    /// endpoint (`<domain>/oauth2/token`) and nothing else beyond its origin.
    pub fn content_security_policy(&self) -> Cow<'static, str> {
        match self {
            ConsoleConfig::Cognito { domain, .. } => {
                format!("{CONTENT_SECURITY_POLICY}; connect-src 'self' {domain}").into()
            }
            ConsoleConfig::Password | ConsoleConfig::Unavailable => CONTENT_SECURITY_POLICY.into(),
        }
    }

    /// 200 with the configuration as JSON, revalidated on every load
    /// (`no-cache`: a deploy may change it), with the usual policies.
    pub fn response(&self) -> Response<Body> {
        let body = serde_json::to_vec(self).expect("the configuration serialises");
        let mut response = Response::new(Body::Binary(body));
        *response.status_mut() = StatusCode::OK;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        super::secure(headers);
        response
    }
}

/// Whether a request path is the console's (`/admin`, `/admin/…`).
pub fn is_console_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// `https://host[:port]` (or `http://` when allowed): nothing a header or a
/// policy could be split at.
fn is_origin(text: &str, allow_http: bool) -> bool {
    let host = text
        .strip_prefix("https://")
        .or_else(|| if allow_http { text.strip_prefix("http://") } else { None });
    host.is_some_and(|host| {
        !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_shapes() {
        let json = |config: &ConsoleConfig| serde_json::to_value(config).unwrap();
        assert_eq!(json(&ConsoleConfig::Password), serde_json::json!({"signIn": "password"}));
        assert_eq!(json(&ConsoleConfig::Unavailable), serde_json::json!({"signIn": "unavailable"}));
        let cognito = ConsoleConfig::cognito(
            "https://operators-1.auth.ap-northeast-1.amazoncognito.com",
            "4abc5def6ghi7jkl8mno9pqr0s",
            "https://partners.example.jp/",
        )
        .unwrap();
        assert_eq!(
            json(&cognito),
            serde_json::json!({
                "signIn": "cognito",
                "domain": "https://operators-1.auth.ap-northeast-1.amazoncognito.com",
                "clientId": "4abc5def6ghi7jkl8mno9pqr0s",
                "redirectUri": "https://partners.example.jp/admin/",
                "logoutUri": "https://partners.example.jp/admin/",
                "scope": "openid email",
            })
        );
        let back: ConsoleConfig = serde_json::from_value(json(&cognito)).unwrap();
        assert_eq!(back, cognito);
    }

    #[test]
    fn missing_settings_are_unavailable_and_bad_ones_refused() {
        for (domain, client, base) in
            [("", "abc", "https://a.jp"), ("https://d.jp", "", "https://a.jp"), ("https://d.jp", "abc", "")]
        {
            assert_eq!(ConsoleConfig::cognito(domain, client, base), Ok(ConsoleConfig::Unavailable));
        }
        for (domain, client, base) in [
            ("http://d.jp", "abc", "https://a.jp"),
            ("https://d.jp/oauth2", "abc", "https://a.jp"),
            ("https://d.jp; script-src *", "abc", "https://a.jp"),
            ("https://d.jp", "abc def", "https://a.jp"),
            ("https://d.jp", "abc", "partners.example.jp"),
            ("https://d.jp", "abc", "https://a.jp/form"),
        ] {
            assert!(ConsoleConfig::cognito(domain, client, base).is_err(), "{domain} {client} {base}");
        }
    }

    #[test]
    fn a_cognito_console_may_connect_to_its_domain_only() {
        let cognito = ConsoleConfig::cognito("https://d.example", "abc", "https://a.example").unwrap();
        assert_eq!(
            cognito.content_security_policy(),
            format!("{CONTENT_SECURITY_POLICY}; connect-src 'self' https://d.example")
        );
        assert_eq!(ConsoleConfig::Unavailable.content_security_policy(), CONTENT_SECURITY_POLICY);
        assert_eq!(ConsoleConfig::Password.content_security_policy(), CONTENT_SECURITY_POLICY);
    }

    #[test]
    fn console_paths() {
        for path in ["/admin", "/admin/", "/admin/js/console.js", CONFIG_PATH] {
            assert!(is_console_path(path), "{path}");
        }
        for path in ["/", "/administrator", "/api/admin/applications", "/verify"] {
            assert!(!is_console_path(path), "{path}");
        }
    }

    #[test]
    fn the_answer_is_revalidated_json() {
        let response = ConsoleConfig::Password.response();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json; charset=utf-8");
        assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(response.body().as_ref(), br#"{"signIn":"password"}"#);
    }
}
