//! The contract's error codes, declared once, and the error envelope
//! `{"error": {"code", "message"}}` every function answers with.

use super::MAX_BODY_BYTES;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;
use std::borrow::Cow;

/// Declares the error codes: the enum, its snake_case names and the list the
/// browser mirrors (`web/js/fields.js`).
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// A stable, machine-readable error code of the contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as the envelope carries it (snake_case).
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }
        }
    };
}

error_codes! {
    /// Malformed request: not JSON, wrong types, unknown keys.
    BadRequest = "bad_request",
    PayloadTooLarge = "payload_too_large",
    /// The body did not arrive in time (the local server; API Gateway has its own limits).
    RequestTimeout = "request_timeout",
    UnsupportedMediaType = "unsupported_media_type",
    /// No valid operator session (or a wrong email and password at sign-in).
    Unauthenticated = "unauthenticated",
    /// A valid session of someone who is not an operator.
    Forbidden = "forbidden",
    NotFound = "not_found",
    MethodNotAllowed = "method_not_allowed",
    /// Storage (or another dependency) cannot answer: retry after `Retry-After`.
    Unavailable = "unavailable",
    MissingIdempotencyKey = "missing_idempotency_key",
    InvalidIdempotencyKey = "invalid_idempotency_key",
    /// The same `Idempotency-Key` came with another body.
    IdempotencyKeyReused = "idempotency_key_reused",
    /// One client or the whole service went over a rate limit: retry after `Retry-After`.
    TooManyRequests = "too_many_requests",
    /// The verification token is unknown or was superseded.
    VerificationNotFound = "verification_not_found",
    /// The verification link expired.
    VerificationExpired = "verification_expired",
    /// No application with that id (the operator API).
    ApplicationNotFound = "application_not_found",
    /// `expectedVersion` is not the application's version: another operator changed it.
    VersionConflict = "version_conflict",
    /// The application's status does not allow that decision.
    InvalidTransition = "invalid_transition",
    /// A CSV export larger than a Lambda answer can carry: narrow it by date.
    ExportTooLarge = "export_too_large",
    /// A decision's or an erasure's body says something the rules refuse (422).
    InvalidDecision = "invalid_decision",
    InvalidPostalCode = "invalid_postal_code",
    PostalCodeNotFound = "postal_code_not_found",
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client-facing error: a status and the contract's envelope
/// `{"error": {"code", "message"}}`, with a Japanese message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Seconds, for 503 and 429.
    pub retry_after: Option<u64>,
    /// Allowed methods, for 405.
    pub allow: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None, allow: None }
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("送信データが大きすぎます({}KB以内にしてください)。", MAX_BODY_BYTES / 1024),
        )
    }

    /// The client sent its body too slowly (the local server's read timeout).
    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::RequestTimeout,
            "送信に時間がかかりすぎたため中断しました。もう一度送信してください。",
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "送信データはJSON(Content-Type: application/json)で送ってください。",
        )
    }

    /// 401: a wrong sign-in, or a missing, unknown or expired session token.
    pub fn unauthenticated(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, message)
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "この操作を行う権限がありません。")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "指定されたURLは見つかりません。")
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        ApiError {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "このURLでは、そのリクエスト方法は使用できません。",
            )
        }
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after_secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyRequests,
                "短時間に多くのお申し込みがありました。しばらく時間をおいてから、もう一度お試しください。",
            )
        }
    }

    pub fn unavailable(retry_after_secs: u32) -> Self {
        ApiError {
            retry_after: Some(u64::from(retry_after_secs)),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
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
            code: ErrorCode,
            message: &'a str,
        }
        let body = Envelope { error: Detail { code: self.code, message: &self.message } };
        let mut response = super::json(self.status, &body);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn error_envelope() {
        let response = ApiError::unavailable(5).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["error"]["code"], "unavailable");
        assert!(body["error"]["message"].as_str().unwrap().contains("しばらくしてから"));
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let codes: HashSet<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
