//! Properties over arbitrary input: parsing never panics, and normalisation is
//! idempotent (a normalised application parses to itself).

use proptest::prelude::*;
use serde::Deserialize;
use shared::domain::{Accepts, Application, Field, RawApplication, RawValue};
use shared::normalize;
use std::borrow::Cow;

fn any_text() -> impl Strategy<Value = Option<Cow<'static, str>>> {
    prop_oneof![
        Just(None),
        any::<String>().prop_map(|t| Some(t.into())),
        "[ぁ-ゖァ-ヺｦ-ﾟ０-９Ａ-Ｚａ-ｚ0-9a-z@.\\-ー－― 　\u{20000}-\u{2000F}]{0,30}"
            .prop_map(|t| Some(t.into())),
    ]
}

/// Any value of the JSON types a field of this kind may carry.
fn any_value(field: Field) -> BoxedStrategy<Option<RawValue<'static>>> {
    let text = any_text().prop_map(|t| t.map(RawValue::Text));
    match field.kind().accepts() {
        _ if field == Field::ContractType => prop_oneof![
            Just(Some(RawValue::text("corporation"))),
            Just(Some(RawValue::text("sole_proprietor"))),
            text
        ]
        .boxed(),
        Accepts::Text => text.boxed(),
        Accepts::NumberOrText => prop_oneof![
            Just(None),
            any::<i64>()
                .prop_map(|n| Some(u64::try_from(n).map_or(RawValue::OtherNumber, RawValue::Integer))),
            text,
        ]
        .boxed(),
        Accepts::Bool => any::<Option<bool>>().prop_map(|b| b.map(RawValue::Bool)).boxed(),
    }
}

/// An application with any value for every field of the table, and the honeypot.
fn any_raw() -> impl Strategy<Value = RawApplication<'static>> {
    let values: Vec<_> = Field::ALL.into_iter().map(any_value).collect();
    (values, any_text()).prop_map(|(values, website)| {
        let mut raw = RawApplication::default();
        for (field, value) in Field::ALL.into_iter().zip(values) {
            raw.set(field, value);
        }
        raw.website = website;
        raw
    })
}

/// 2,000 cases, or PROPTEST_CASES (scripts/fuzz runs a million): an explicit
/// `with_cases` would otherwise ignore the variable.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn parsing_never_panics(raw in any_raw()) {
        let _ = Application::parse(&raw);
    }

    #[test]
    fn a_valid_application_reparses_to_itself(raw in any_raw()) {
        if let Ok(validated) = Application::parse(&raw) {
            let json = serde_json::to_value(&validated.application).unwrap();
            let mut object = json.as_object().unwrap().clone();
            object.insert("emailConfirmation".into(), object["email"].clone());
            let object = serde_json::Value::from(object);
            let again = RawApplication::deserialize(&object).unwrap();
            prop_assert_eq!(Application::parse(&again).unwrap().application, validated.application);
        }
    }

    #[test]
    fn normalisation_is_idempotent(s in any::<String>()) {
        for f in [normalize::text, normalize::numeric, normalize::address, normalize::reading] {
            let once = f(&s);
            prop_assert_eq!(f(&once), once);
        }
    }

    #[test]
    fn decoding_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let req = lambda_http::http::Request::builder()
            .method("POST").uri("/api/validate").header("content-type", "application/json")
            .body(lambda_http::Body::Binary(body)).unwrap();
        let _ = shared::http::decode_json::<RawApplication>(&req);
    }
}

#[test]
fn seed_like_valid_applications_exist_in_the_strategy_space() {
    // Guards the idempotence property against vacuity: the generator's alphabet can
    // form valid values, so the property is exercised on real normalisation.
    let raw: RawApplication = serde_json::from_str(
        r#"{"email":"ａ＠ｂ.ｃｏ","emailConfirmation":"a@b.co","contractType":"sole_proprietor",
            "lastName":"ﾔ","firstName":"ー","lastNameKana":"や","firstNameKana":"ｦ",
            "postalCode":"５３０－００１１","addressRegion":"大阪府","addressStreet":"１－２",
            "phone":"０６ー６２９２ー８８１１","agreedToTerms":true}"#,
    )
    .unwrap();
    let validated = Application::parse(&raw).unwrap();
    let json = serde_json::to_value(&validated.application).unwrap();
    assert_eq!(json["lastNameKana"], "ヤ");
}
