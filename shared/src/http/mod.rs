//! HTTP glue shared by every function: request decoding with limits, the
//! contract's error codes and envelope, JSON responses, and the headers the
//! pages and the API share (CSP, validators, `Retry-After`).

mod decode;
mod error;
mod headers;
mod response;

pub use decode::{MAX_BODY_BYTES, decode_json, require_method};
pub use error::{ApiError, ErrorCode};
pub use headers::{CONTENT_SECURITY_POLICY, RETRY_AFTER_SECS, if_none_match};
pub use response::{invalid, json, validated};
