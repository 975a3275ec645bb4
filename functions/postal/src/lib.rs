//! `GET /api/postal/{code}`: every address of a postal code, from the Japan Post
//! table embedded in the binary (`shared::postal`), for the form's
//! 「郵便番号から住所入力」 button.
//!
//! The code is the last path segment, percent-decoded, so the same handler
//! serves API Gateway, `cargo lambda watch` and the local server. It may carry a
//! hyphen, full-width digits or 〒 (`PostalCode::parse`). Answers are cacheable:
//! the ETag changes with the data version and the response revision only.

use lambda_http::http::{HeaderMap, HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use shared::domain::Field;
use shared::domain::PostalCode;
use shared::http::{self, ApiError, ErrorCode};
use shared::messages::Issue;
use shared::postal::{self, Address, Kana, Matches};
use shared::routes::POSTAL;
use std::sync::LazyLock;

/// Bump when the response body changes shape, so that caches revalidate.
const RESPONSE_REVISION: u32 = 1;

/// Japan Post updates monthly: a day fresh, then a week served stale while revalidating.
pub const CACHE_CONTROL: &str = "public, max-age=86400, stale-while-revalidate=604800";

pub const NOT_FOUND_MESSAGE: &str =
    "この郵便番号に該当する住所が見つかりません。郵便番号をご確認いただくか、住所を直接入力してください。";

/// `"postal-2026-10-r1"`: the same for every code of one table and response shape.
pub static ETAG: LazyLock<HeaderValue> = LazyLock::new(|| {
    HeaderValue::from_str(&format!("\"postal-{}-r{RESPONSE_REVISION}\"", postal::DATA_VERSION))
        .expect("the data version is ASCII")
});

pub async fn handle(req: Request) -> Response<Body> {
    let response = answer(&req).unwrap_or_else(ApiError::into_response);
    // The code is part of an applicant's address: log the outcome only.
    tracing::info!(route = POSTAL.path, status = response.status().as_u16(), "postal lookup");
    response
}

fn answer(req: &Request) -> Result<Response<Body>, ApiError> {
    http::require_method(req, POSTAL.method)?;
    let code = code_from_path(req.uri().path())?;
    let addresses = postal::TABLE.lookup(code);
    if addresses.len() == 0 {
        return Err(ApiError::new(ErrorCode::PostalCodeNotFound, NOT_FOUND_MESSAGE));
    }
    if http::if_none_match(req.headers(), ETAG.as_bytes()) {
        return Ok(not_modified());
    }
    let mut response = http::json(StatusCode::OK, &Found { code, addresses });
    cacheable(response.headers_mut());
    Ok(response)
}

/// The last path segment as a postal code (its 7 digits as a number).
fn code_from_path(path: &str) -> Result<u32, ApiError> {
    let segment = path.rsplit('/').next().unwrap_or_default();
    // What the form sends, 5300011 or 530-0011, skips normalisation.
    if let Some(code) = PostalCode::from_ascii(segment.as_bytes()) {
        return Ok(code.number());
    }
    let invalid = |issue: Issue| ApiError::new(ErrorCode::InvalidPostalCode, issue.message);
    let decoded = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| invalid(Issue::invalid_format(Field::PostalCode)))?;
    let code = PostalCode::parse(&decoded).map_err(invalid)?;
    Ok(code.number())
}

fn cacheable(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    headers.insert(header::ETAG, ETAG.clone());
}

fn not_modified() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    cacheable(response.headers_mut());
    response
}

/// `{"postalCode", "dataVersion", "addresses": […]}`, written straight from the table.
struct Found {
    code: u32,
    addresses: Matches<'static>,
}

impl Serialize for Found {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut body = serializer.serialize_struct("Found", 3)?;
        body.serialize_field("postalCode", &format_args!("{:07}", self.code))?;
        body.serialize_field("dataVersion", postal::DATA_VERSION)?;
        body.serialize_field("addresses", &Addresses(self.addresses.clone()))?;
        body.end()
    }
}

struct Addresses(Matches<'static>);

impl Serialize for Addresses {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone().map(AddressJson))
    }
}

/// One address as the contract has it, plus the form's two address lines:
/// `line1` (住所(都道府県、市区町村)) and `line2` (住所(町域、丁目・番地)).
struct AddressJson(Address<'static>);

impl Serialize for AddressJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let a = &self.0;
        let office = a.office();
        let mut body = serializer.serialize_struct("Address", 11)?;
        body.serialize_field("prefecture", a.prefecture())?;
        body.serialize_field("city", a.city())?;
        body.serialize_field("town", a.town())?;
        body.serialize_field("prefectureKana", &a.prefecture_kana())?;
        body.serialize_field("cityKana", &a.city_kana())?;
        body.serialize_field("townKana", &a.town_kana())?;
        match office {
            Some(office) => {
                body.serialize_field("street", office.street)?;
                body.serialize_field(
                    "office",
                    &OfficeJson { name: office.name, name_kana: office.name_kana },
                )?;
            }
            None => {
                body.skip_field("street")?;
                body.skip_field("office")?;
            }
        }
        body.serialize_field("line1", &Joined(a.prefecture(), a.city()))?;
        body.serialize_field("line2", &Joined(a.town(), office.map_or("", |o| o.street)))?;
        body.end()
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OfficeJson {
    name: &'static str,
    name_kana: Kana<'static>,
}

/// Two strings serialised as one, without allocating.
struct Joined<'a>(&'a str, &'a str);

impl Serialize for Joined<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{}{}", self.0, self.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_last_segment_in_any_spelling() {
        for path in [
            "/api/postal/5300011",
            "/api/postal/530-0011",
            "/prod/api/postal/530-0011",
            "/api/postal/%EF%BC%95%EF%BC%93%EF%BC%90%EF%BC%8D%EF%BC%90%EF%BC%90%EF%BC%91%EF%BC%91",
            "/api/postal/%E3%80%92530%E3%83%BC0011",
        ] {
            assert_eq!(code_from_path(path).unwrap(), 5_300_011, "{path}");
        }
        assert_eq!(code_from_path("/api/postal/0600000").unwrap(), 600_000);
        for path in [
            "/api/postal/",
            "/api/postal/53000",
            "/api/postal/530-001a",
            "/api/postal/53-00011",
            "/api/postal/%FF%FE",
            "/api/postal/530-00111",
            "/api/postal/abcdefg",
        ] {
            let error = code_from_path(path).unwrap_err();
            assert_eq!(
                (error.status(), error.code),
                (StatusCode::BAD_REQUEST, ErrorCode::InvalidPostalCode),
                "{path}"
            );
        }
    }
}
