//! The contract's error codes, declared once, and the error envelope
//! `{"error": {"code", "message"}}` every function answers with.

use super::MAX_BODY_BYTES;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;
use std::borrow::Cow;

/// Declares the error codes: the enum, its snake_case names, the list the
/// browser mirrors (`web/js/fields.js`) and each code's HTTP status. The
/// status is declared beside the code, so an answer cannot pair a code with
/// another status than every other answer with that code.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal => $status:ident,)*) => {
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

            /// The HTTP status every answer with this code has.
            pub const fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }
        }
    };
}

error_codes! {
    /// Malformed request: not JSON, wrong types, unknown keys.
    BadRequest = "bad_request" => BAD_REQUEST,
    PayloadTooLarge = "payload_too_large" => PAYLOAD_TOO_LARGE,
    /// The body did not arrive in time (the local server; API Gateway has its own limits).
    RequestTimeout = "request_timeout" => REQUEST_TIMEOUT,
    UnsupportedMediaType = "unsupported_media_type" => UNSUPPORTED_MEDIA_TYPE,
    /// No valid operator session (or a wrong email and password at sign-in).
    Unauthenticated = "unauthenticated" => UNAUTHORIZED,
    /// A valid session of someone who is not an operator.
    Forbidden = "forbidden" => FORBIDDEN,
    NotFound = "not_found" => NOT_FOUND,
    MethodNotAllowed = "method_not_allowed" => METHOD_NOT_ALLOWED,
    /// Storage (or another dependency) cannot answer: retry after `Retry-After`.
    Unavailable = "unavailable" => SERVICE_UNAVAILABLE,
    MissingIdempotencyKey = "missing_idempotency_key" => BAD_REQUEST,
    InvalidIdempotencyKey = "invalid_idempotency_key" => BAD_REQUEST,
    /// The same `Idempotency-Key` came with another body.
    IdempotencyKeyReused = "idempotency_key_reused" => UNPROCESSABLE_ENTITY,
    /// One client or the whole service went over a rate limit: retry after `Retry-After`.
    TooManyRequests = "too_many_requests" => TOO_MANY_REQUESTS,
    /// The verification token is unknown or was superseded.
    VerificationNotFound = "verification_not_found" => NOT_FOUND,
    /// The verification link expired.
    VerificationExpired = "verification_expired" => GONE,
    /// No application with that id (the operator API).
    ApplicationNotFound = "application_not_found" => NOT_FOUND,
    /// `expectedVersion` is not the application's version: another operator changed it.
    VersionConflict = "version_conflict" => CONFLICT,
    /// The application's status does not allow that decision.
    InvalidTransition = "invalid_transition" => CONFLICT,
    /// A CSV export larger than a Lambda answer can carry: narrow it by date.
    ExportTooLarge = "export_too_large" => PAYLOAD_TOO_LARGE,
    /// A decision's, an erasure's or a correction's body says something the
    /// rules refuse (422): a correction that changes nothing is one.
    InvalidDecision = "invalid_decision" => UNPROCESSABLE_ENTITY,
    /// A correction of `email`, `emailConfirmation` or `contractType`, which no correction may change.
    FieldNotCorrectable = "field_not_correctable" => UNPROCESSABLE_ENTITY,
    /// The application is erased, or its address not proven yet: nothing to correct.
    NotCorrectable = "not_correctable" => CONFLICT,
    InvalidPostalCode = "invalid_postal_code" => BAD_REQUEST,
    PostalCodeNotFound = "postal_code_not_found" => NOT_FOUND,
    /// A documents link that is unknown, superseded by a later request, or whose application is gone.
    DocumentRequestNotFound = "document_request_not_found" => NOT_FOUND,
    /// A documents link past its `DOCUMENT_REQUEST_TTL_DAYS`.
    DocumentRequestExpired = "document_request_expired" => GONE,
    /// Not PDF, JPEG or PNG.
    UnsupportedType = "unsupported_type" => UNPROCESSABLE_ENTITY,
    /// One file over `DOCUMENT_MAX_FILE_BYTES`, or a submission over `DOCUMENT_MAX_TOTAL_BYTES`.
    FileTooLarge = "file_too_large" => UNPROCESSABLE_ENTITY,
    /// An empty file (an extension: nothing to review).
    EmptyFile = "empty_file" => UNPROCESSABLE_ENTITY,
    /// More files than `DOCUMENT_MAX_FILES` (or upload targets than twice that).
    TooManyFiles = "too_many_files" => UNPROCESSABLE_ENTITY,
    /// A submitted file that never arrived (`documentId` names it).
    DocumentMissing = "document_missing" => UNPROCESSABLE_ENTITY,
    /// A submitted file that is not what it claimed (`documentId` names it); it was deleted.
    DocumentContentMismatch = "document_content_mismatch" => UNPROCESSABLE_ENTITY,
    /// The documents of this request were submitted already.
    DocumentsAlreadySubmitted = "documents_already_submitted" => CONFLICT,
    /// The malware scan found a threat: the file cannot be downloaded.
    DocumentUnsafe = "document_unsafe" => CONFLICT,
    /// No such document of that application (the operator API).
    DocumentNotFound = "document_not_found" => NOT_FOUND,
    /// A note's text is empty, too long or has a forbidden character.
    InvalidNote = "invalid_note" => UNPROCESSABLE_ENTITY,
    /// An assignee who is no operator (or no address at all).
    InvalidAssignee = "invalid_assignee" => UNPROCESSABLE_ENTITY,
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

/// A client-facing error: the contract's envelope `{"error": {"code",
/// "message"}}`, with a Japanese message, answered with the code's status
/// ([`ErrorCode::status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Seconds, for 503 and 429.
    pub retry_after: Option<u64>,
    /// Allowed methods, for 405.
    pub allow: Option<&'static str>,
    /// The document an answer is about (`documentId` in the envelope): the
    /// page names the file from its own list, so no file name travels back.
    pub document_id: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError { code, message: message.into(), retry_after: None, allow: None, document_id: None }
    }

    /// This error about one document.
    pub fn about_document(self, document_id: impl ToString) -> Self {
        ApiError { document_id: Some(document_id.to_string()), ..self }
    }

    /// The status it is answered with: its code's.
    pub const fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            ErrorCode::PayloadTooLarge,
            format!("送信データが大きすぎます({}KB以内にしてください)。", MAX_BODY_BYTES / 1024),
        )
    }

    /// The client sent its body too slowly (the local server's read timeout).
    pub fn request_timeout() -> Self {
        Self::new(
            ErrorCode::RequestTimeout,
            "送信に時間がかかりすぎたため中断しました。もう一度送信してください。",
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            ErrorCode::UnsupportedMediaType,
            "送信データはJSON(Content-Type: application/json)で送ってください。",
        )
    }

    /// 401: a wrong sign-in, or a missing, unknown or expired session token.
    pub fn unauthenticated(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    /// 403: a valid session of someone who is no operator at all.
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "この操作を行う権限がありません。")
    }

    /// 403: an operator calling a route of a role they lack (erasure, the
    /// export and the audit are the supervisors'): the same code, a message
    /// that says whom to ask.
    pub fn beyond_role() -> Self {
        Self::new(
            ErrorCode::Forbidden,
            "この操作は責任者(supervisor)の権限が必要です。必要な場合は責任者に依頼してください。",
        )
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "指定されたURLは見つかりません。")
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        ApiError {
            allow: Some(allow),
            ..Self::new(ErrorCode::MethodNotAllowed, "このURLでは、そのリクエスト方法は使用できません。")
        }
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after_secs),
            ..Self::new(
                ErrorCode::TooManyRequests,
                "短時間に多くのお申し込みがありました。しばらく時間をおいてから、もう一度お試しください。",
            )
        }
    }

    pub fn unavailable(retry_after_secs: u32) -> Self {
        ApiError {
            retry_after: Some(u64::from(retry_after_secs)),
            ..Self::new(
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
        #[serde(rename_all = "camelCase")]
        struct Detail<'a> {
            code: ErrorCode,
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            document_id: Option<&'a str>,
        }
        let body = Envelope {
            error: Detail {
                code: self.code,
                message: &self.message,
                document_id: self.document_id.as_deref(),
            },
        };
        let mut response = super::json(self.status(), &body);
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

    /// Today's statuses, written out once more on purpose: clients (the form,
    /// the console, partners' integrations) branch on them, so changing one
    /// has to be a deliberate edit here too, not a side effect of the table.
    #[test]
    fn each_code_has_its_status() {
        let expected = [
            (ErrorCode::BadRequest, 400),
            (ErrorCode::PayloadTooLarge, 413),
            (ErrorCode::RequestTimeout, 408),
            (ErrorCode::UnsupportedMediaType, 415),
            (ErrorCode::Unauthenticated, 401),
            (ErrorCode::Forbidden, 403),
            (ErrorCode::NotFound, 404),
            (ErrorCode::MethodNotAllowed, 405),
            (ErrorCode::Unavailable, 503),
            (ErrorCode::MissingIdempotencyKey, 400),
            (ErrorCode::InvalidIdempotencyKey, 400),
            (ErrorCode::IdempotencyKeyReused, 422),
            (ErrorCode::TooManyRequests, 429),
            (ErrorCode::VerificationNotFound, 404),
            (ErrorCode::VerificationExpired, 410),
            (ErrorCode::ApplicationNotFound, 404),
            (ErrorCode::VersionConflict, 409),
            (ErrorCode::InvalidTransition, 409),
            (ErrorCode::ExportTooLarge, 413),
            (ErrorCode::InvalidDecision, 422),
            (ErrorCode::FieldNotCorrectable, 422),
            (ErrorCode::NotCorrectable, 409),
            (ErrorCode::InvalidPostalCode, 400),
            (ErrorCode::PostalCodeNotFound, 404),
            (ErrorCode::DocumentRequestNotFound, 404),
            (ErrorCode::DocumentRequestExpired, 410),
            (ErrorCode::UnsupportedType, 422),
            (ErrorCode::FileTooLarge, 422),
            (ErrorCode::EmptyFile, 422),
            (ErrorCode::TooManyFiles, 422),
            (ErrorCode::DocumentMissing, 422),
            (ErrorCode::DocumentContentMismatch, 422),
            (ErrorCode::DocumentsAlreadySubmitted, 409),
            (ErrorCode::DocumentUnsafe, 409),
            (ErrorCode::DocumentNotFound, 404),
            (ErrorCode::InvalidNote, 422),
            (ErrorCode::InvalidAssignee, 422),
        ];
        assert_eq!(expected.len(), ErrorCode::ALL.len(), "every code is in this table");
        for (code, status) in expected {
            assert_eq!(code.status().as_u16(), status, "{code}");
            assert_eq!(ApiError::new(code, "").into_response().status().as_u16(), status, "{code}");
        }
        // Only the server's own failure is a 5xx: the client's retry policy
        // (`Retry-After`) hangs on it.
        for code in ErrorCode::ALL {
            assert_eq!(code.status().is_server_error(), *code == ErrorCode::Unavailable, "{code}");
            assert!(code.status().is_client_error() || code.status().is_server_error(), "{code}");
        }
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
