//! Request decoding with the contract's limits: size, content type, UTF-8,
//! JSON, and a Japanese message that names the key at fault.

use super::ApiError;
use lambda_http::Request;
use lambda_http::http::{HeaderValue, header};
use serde::Deserialize;

/// Bodies over this many bytes are refused with 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Refuses any method but `allowed`, with 405 and `Allow`.
pub fn require_method(req: &Request, allowed: &'static str) -> Result<(), ApiError> {
    if req.method().as_str() == allowed { Ok(()) } else { Err(ApiError::method_not_allowed(allowed)) }
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
    let text = simdutf8::basic::from_utf8(bytes)
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
    use crate::domain::{Field, RawApplication, RawValue};
    use crate::http::ErrorCode;
    use lambda_http::Body;
    use lambda_http::http::StatusCode;
    use std::borrow::Cow;

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
        assert_eq!(raw.get(Field::LastName), Some(&RawValue::Text(Cow::Borrowed("𠮷田"))));
        assert!(matches!(raw.get(Field::FirstName), Some(RawValue::Text(Cow::Owned(t))) if t == "太郎"));
    }

    #[test]
    fn content_types() {
        for ct in
            ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=\"UTF-8\""]
        {
            assert!(decode(Some(ct), "{}").is_ok(), "{ct}");
        }
        for ct in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("application/json; charset=shift_jis"),
        ] {
            assert_eq!(decode(ct, "{}").unwrap_err().code, ErrorCode::UnsupportedMediaType, "{ct:?}");
        }
    }

    #[test]
    fn rejections() {
        let json = Some("application/json");
        let cases: Vec<(Body, StatusCode, &str)> = vec![
            (Body::Empty, StatusCode::BAD_REQUEST, "送信データが空です。"),
            (
                Body::Binary(vec![b'{', 0xff, b'}']),
                StatusCode::BAD_REQUEST,
                "送信データの文字コードはUTF-8にしてください。",
            ),
            ("{".into(), StatusCode::BAD_REQUEST, "送信データが正しいJSONではありません。"),
            ("[]".into(), StatusCode::BAD_REQUEST, "送信データはJSONのオブジェクトにしてください。"),
            (r#"{"admin": true}"#.into(), StatusCode::BAD_REQUEST, "不明な項目「admin」が含まれています。"),
            (
                r#"{"agreedToTerms": "yes"}"#.into(),
                StatusCode::BAD_REQUEST,
                "項目「agreedToTerms」の値の型が正しくありません。",
            ),
            (r#"{"email": 5}"#.into(), StatusCode::BAD_REQUEST, "項目「email」の値の型が正しくありません。"),
            (
                "[".repeat(10_000).into(),
                StatusCode::BAD_REQUEST,
                "送信データはJSONのオブジェクトにしてください。",
            ),
            (
                format!("{{\"email\": {}", "[".repeat(10_000)).into(),
                StatusCode::BAD_REQUEST,
                "項目「email」の値の型が正しくありません。",
            ),
            // An array is the wrong type for a count: said before the nesting is read.
            (
                format!("{{\"employeeCount\": {}", "[".repeat(10_000)).into(),
                StatusCode::BAD_REQUEST,
                "項目「employeeCount」の値の型が正しくありません。",
            ),
            (
                Body::Text(format!("{{\"email\": \"{}\"}}", "a".repeat(MAX_BODY_BYTES))),
                StatusCode::PAYLOAD_TOO_LARGE,
                "送信データが大きすぎます(16KB以内にしてください)。",
            ),
        ];
        for (body, status, message) in cases {
            let error = decode(json, body).unwrap_err();
            assert_eq!((error.status(), error.message.as_ref()), (status, message));
        }
    }
}
