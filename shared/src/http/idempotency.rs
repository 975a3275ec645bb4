//! The `Idempotency-Key` header of submissions and operators' decisions: one
//! header, one well-formed key ([`IdempotencyKey`]).

use super::{ApiError, ErrorCode};
use crate::domain::IdempotencyKey;
use lambda_http::http::HeaderMap;

/// The request header naming one submission attempt (the browser makes one
/// when it shows the confirmation step).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header that marks a replayed acknowledgement.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The one `Idempotency-Key` header, parsed ([`IdempotencyKey`]).
pub fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(if headers.contains_key(IDEMPOTENCY_KEY) {
            invalid_idempotency_key()
        } else {
            missing_idempotency_key()
        });
    };
    let key = value.to_str().map_err(|_| invalid_idempotency_key())?;
    IdempotencyKey::parse(key).ok_or_else(invalid_idempotency_key)
}

fn missing_idempotency_key() -> ApiError {
    ApiError::new(
        ErrorCode::MissingIdempotencyKey,
        "送信の識別情報(Idempotency-Keyヘッダー)がありません。ページを再読み込みしてから、もう一度お申し込みください。",
    )
}

fn invalid_idempotency_key() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidIdempotencyKey,
        "送信の識別情報(Idempotency-Keyヘッダー)の形式が正しくありません。半角英数字と「-」「_」「.」「:」で16〜128文字にしてください。",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(IDEMPOTENCY_KEY, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn idempotency_keys() {
        let uuid = "7f6c1d5e-9b1a-4c8e-8f3e-2a1b3c4d5e6f";
        assert_eq!(idempotency_key(&headers(&[uuid])).unwrap().as_str(), uuid);
        assert_eq!(idempotency_key(&headers(&[])).unwrap_err().code, ErrorCode::MissingIdempotencyKey);
        let long = "k".repeat(129);
        for bad in ["short", "has space in the key!", "キーキーキーキーキーキーキーキー", long.as_str()]
        {
            let mut map = HeaderMap::new();
            map.insert(IDEMPOTENCY_KEY, HeaderValue::from_bytes(bad.as_bytes()).unwrap());
            assert_eq!(idempotency_key(&map).unwrap_err().code, ErrorCode::InvalidIdempotencyKey, "{bad}");
        }
        assert_eq!(
            idempotency_key(&headers(&[uuid, uuid])).unwrap_err().code,
            ErrorCode::InvalidIdempotencyKey
        );
        assert_eq!(idempotency_key(&headers(&[&"k".repeat(128)])).unwrap().as_str().len(), 128);
    }
}
