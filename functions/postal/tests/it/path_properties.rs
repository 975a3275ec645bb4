//! Properties over arbitrary request paths: the postal handler answers every
//! path with 200, 400 or 404 and the contract's envelope, never a panic or 5xx.
//! scripts/fuzz runs this with PROPTEST_CASES=1000000.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;

fn answer(segment: &str) -> (StatusCode, serde_json::Value) {
    let path = format!("/api/postal/{}", utf8_percent_encode(segment, NON_ALPHANUMERIC));
    let request: Request =
        lambda_http::http::Request::builder().method("GET").uri(path).body(Body::Empty).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let response = runtime.block_on(postal::handle(request));
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(serde_json::Value::Null);
    (response.status(), body)
}

fn any_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        // Near misses: digits, full-width digits, hyphens and dashes of every width.
        "[0-9０-９\\-－‐―ー〒 ]{0,12}",
        "[0-9]{3}-?[0-9]{4}",
    ]
}

/// 2,000 cases, or PROPTEST_CASES (scripts/fuzz runs a million): an explicit
/// `with_cases` would otherwise ignore the variable.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn every_path_gets_a_contract_answer(segment in any_segment()) {
        let (status, body) = answer(&segment);
        match status {
            StatusCode::OK => prop_assert!(body["addresses"].as_array().is_some_and(|a| !a.is_empty()), "{body}"),
            StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND => {
                prop_assert!(body["error"]["code"].is_string(), "{body}");
                prop_assert!(body["error"]["message"].is_string(), "{body}");
            }
            other => prop_assert!(false, "{segment:?} answered {other}: {body}"),
        }
    }
}

#[test]
fn the_strategy_reaches_a_found_code() {
    assert_eq!(answer("5300011").0, StatusCode::OK);
    assert_eq!(answer("530-0011").0, StatusCode::OK);
}
