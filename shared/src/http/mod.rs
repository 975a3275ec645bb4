//! HTTP glue shared by every function: request decoding with limits, the
//! contract's error codes and envelope, JSON responses, and the headers the
//! pages and the API share (CSP and the other policies, validators, `Retry-After`),
//! what of `web/` is served (`site`) and the operators' console's
//! configuration (`console`).

pub mod console;
mod decode;
mod error;
mod headers;
pub mod idempotency;
mod response;
pub mod site;
mod source;

pub use decode::{MAX_BODY_BYTES, decode_json, require_method};
pub use error::{ApiError, ErrorCode};
pub use headers::{
    CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY, PERMISSIONS_POLICY_HEADER, REFERRER_POLICY,
    RETRY_AFTER_SECS, STRICT_TRANSPORT_SECURITY, documents_policy, for_api_gateway, if_none_match,
    is_documents_path, secure,
};
pub use response::{invalid, json, validated};
pub use source::source_ip;
