//! HTTP glue shared by every function: request decoding with limits, the
//! contract's error envelope, and JSON responses.

use crate::domain::{Invalid, Validated};
use crate::messages::Issue;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Bodies over this many bytes are refused with 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A client-facing error: a status and the contract's envelope
/// `{"error": {"code", "message"}}`, with a Japanese message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Cow<'static, str>,
    /// Seconds, for 503.
    pub retry_after: Option<u32>,
    /// Allowed methods, for 405.
    pub allow: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None, allow: None }
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("送信データが大きすぎます({}KB以内にしてください)。", MAX_BODY_BYTES / 1024),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "送信データはJSON(Content-Type: application/json)で送ってください。",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "指定されたURLは見つかりません。")
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        ApiError {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "このURLでは、そのリクエスト方法は使用できません。",
            )
        }
    }

    pub fn unavailable(retry_after_secs: u32) -> Self {
        ApiError {
            retry_after: Some(retry_after_secs),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "ただいま混み合っているか、一時的に利用できません。しばらくしてから再度お試しください。",
            )
        }
    }

    pub fn into_response(self) -> Response<Body> {
        #[derive(Serialize)]
        struct Envelope<'a> {
            error: Detail<'a>,
        }
        #[derive(Serialize)]
        struct Detail<'a> {
            code: &'a str,
            message: &'a str,
        }
        let body = Envelope { error: Detail { code: self.code, message: &self.message } };
        let mut response = json(self.status, &body);
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// A JSON response that no cache keeps (applications are personal data).
pub fn json(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    // Room for a whole validated application, so the buffer is not regrown.
    let mut bytes = Vec::with_capacity(1024);
    serde_json::to_writer(&mut bytes, body).expect("response types serialise");
    let mut response = Response::new(Body::Binary(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// 200 `{"ok": true, "application", "warnings"}`.
pub fn validated(validated: &Validated) -> Response<Body> {
    #[derive(Serialize)]
    struct Ok<'a> {
        ok: bool,
        application: &'a crate::domain::Application,
        warnings: &'a [Issue],
    }
    json(
        StatusCode::OK,
        &Ok { ok: true, application: &validated.application, warnings: &validated.warnings },
    )
}

/// 422 `{"ok": false, "errors", "warnings"}`.
pub fn invalid(invalid: &Invalid) -> Response<Body> {
    #[derive(Serialize)]
    struct Failed<'a> {
        ok: bool,
        errors: &'a [Issue],
        warnings: &'a [Issue],
    }
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &Failed { ok: false, errors: &invalid.errors, warnings: &invalid.warnings },
    )
}

/// Refuses any method but `allowed`, with 405 and `Allow`.
pub fn require_method(req: &Request, allowed: &'static str) -> Result<(), ApiError> {
    if req.method().as_str() == allowed {
        Ok(())
    } else {
        Err(ApiError::method_not_allowed(allowed))
    }
}

/// Decodes a JSON request body into `T`, enforcing the contract's limits:
/// 413 over [`MAX_BODY_BYTES`], 415 unless the content type is JSON (UTF-8),
/// 400 for an empty body, invalid UTF-8, malformed JSON, wrong types or unknown keys.
/// API Gateway's base64 bodies arrive already decoded as binary.
pub fn decode_json<'a, T: Deserialize<'a>>(req: &'a Request) -> Result<T, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::payload_too_large());
    }
    if !is_json_content_type(req.headers().get(header::CONTENT_TYPE)) {
        return Err(ApiError::unsupported_media_type());
    }
    if bytes.is_empty() {
        return Err(ApiError::bad_request("送信データが空です。"));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("送信データの文字コードはUTF-8にしてください。"))?;
    if !text.trim_start().starts_with('{') {
        return Err(ApiError::bad_request("送信データはJSONのオブジェクトにしてください。"));
    }
    // Tracking the path costs an allocation per key, so only a body that
    // failed is decoded again to name the key at fault.
    serde_json::from_str(text).or_else(|_| {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(deserializer).map_err(describe_json_error)
    })
}

fn is_json_content_type(value: Option<&HeaderValue>) -> bool {
    let Some(value) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    let is_json = essence.eq_ignore_ascii_case("application/json");
    let charset_ok = parts.all(|param| match param.split_once('=') {
        Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => {
            charset.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    });
    is_json && charset_ok
}

/// Turns a decoding error into a Japanese message that names the key at fault.
fn describe_json_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    use serde_json::error::Category;
    let path = error.path().to_string();
    let inner = error.inner();
    match inner.classify() {
        Category::Data => {
            let detail = inner.to_string();
            if let Some(key) = detail.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
                let key: String = key.chars().take(40).collect();
                ApiError::bad_request(format!("不明な項目「{key}」が含まれています。"))
            } else {
                let key: String = path.chars().take(40).collect();
                ApiError::bad_request(format!("項目「{key}」の値の型が正しくありません。"))
            }
        }
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::bad_request("送信データが正しいJSONではありません。")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RawApplication;

    fn request(content_type: Option<&str>, body: impl Into<Body>) -> Request {
        let mut builder = lambda_http::http::Request::builder().method("POST").uri("/api/validate");
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        builder.body(body.into()).unwrap()
    }

    /// Whether the body decodes (the application itself is dropped with the request).
    fn decode(content_type: Option<&str>, body: impl Into<Body>) -> Result<(), ApiError> {
        decode_json(&request(content_type, body)).map(|_: RawApplication| ())
    }

    #[test]
    fn text_borrows_from_the_body_unless_escaped() {
        let req = request(Some("application/json"), r#"{"lastName": "𠮷田", "firstName": "\u592a\u90ce"}"#);
        let raw: RawApplication = decode_json(&req).unwrap();
        assert!(matches!(raw.last_name, Some(Cow::Borrowed("𠮷田"))));
        assert!(matches!(raw.first_name.as_deref(), Some("太郎")));
        assert!(matches!(raw.first_name, Some(Cow::Owned(_))));
    }

    #[test]
    fn content_types() {
        for ct in ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=\"UTF-8\""] {
            assert!(decode(Some(ct), "{}").is_ok(), "{ct}");
        }
        for ct in [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/json; charset=shift_jis")] {
            assert_eq!(decode(ct, "{}").unwrap_err().code, "unsupported_media_type", "{ct:?}");
        }
    }

    #[test]
    fn rejections() {
        let json = Some("application/json");
        let cases: Vec<(Body, StatusCode, &str)> = vec![
            (Body::Empty, StatusCode::BAD_REQUEST, "送信データが空です。"),
            (Body::Binary(vec![b'{', 0xff, b'}']), StatusCode::BAD_REQUEST, "送信データの文字コードはUTF-8にしてください。"),
            ("{".into(), StatusCode::BAD_REQUEST, "送信データが正しいJSONではありません。"),
            ("[]".into(), StatusCode::BAD_REQUEST, "送信データはJSONのオブジェクトにしてください。"),
            (r#"{"admin": true}"#.into(), StatusCode::BAD_REQUEST, "不明な項目「admin」が含まれています。"),
            (r#"{"agreedToTerms": "yes"}"#.into(), StatusCode::BAD_REQUEST, "項目「agreedToTerms」の値の型が正しくありません。"),
            (r#"{"email": 5}"#.into(), StatusCode::BAD_REQUEST, "項目「email」の値の型が正しくありません。"),
            ("[".repeat(10_000).into(), StatusCode::BAD_REQUEST, "送信データはJSONのオブジェクトにしてください。"),
            (format!("{{\"email\": {}", "[".repeat(10_000)).into(), StatusCode::BAD_REQUEST, "項目「email」の値の型が正しくありません。"),
            (format!("{{\"employeeCount\": {}", "[".repeat(10_000)).into(), StatusCode::BAD_REQUEST, "送信データが正しいJSONではありません。"),
            (Body::Text(format!("{{\"email\": \"{}\"}}", "a".repeat(MAX_BODY_BYTES))), StatusCode::PAYLOAD_TOO_LARGE, "送信データが大きすぎます(16KB以内にしてください)。"),
        ];
        for (body, status, message) in cases {
            let error = decode(json, body).unwrap_err();
            assert_eq!((error.status, error.message.as_ref()), (status, message));
        }
    }

    #[test]
    fn error_envelope() {
        let response = ApiError::unavailable(5).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["error"]["code"], "unavailable");
        assert!(body["error"]["message"].as_str().unwrap().contains("しばらくしてから"));
    }
}
