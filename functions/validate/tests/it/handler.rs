//! The validate handler, driven by real `lambda_http` requests built from the
//! API Gateway events in `events/` (the same files `cargo lambda invoke` takes).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};

fn event(name: &str) -> Request {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn call(req: Request) -> (StatusCode, Value) {
    let response: Response<Body> = validate::handle(req).await;
    let body = serde_json::from_slice(response.body()).expect("JSON body");
    (response.status(), body)
}

#[tokio::test]
async fn valid_event_returns_the_normalised_application() {
    let (status, body) = call(event("validate-valid.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], true);
    assert_eq!(body["application"]["phone"], "06-6292-8811");
    assert_eq!(body["application"]["corporateNameKana"], "エックスサーバーカブシキガイシャ");
    assert_eq!(body["warnings"], json!([]));
}

#[tokio::test]
async fn base64_event_is_decoded() {
    let (status, body) = call(event("validate-valid-base64.json")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["application"]["email"], "sample@example.com");
}

#[tokio::test]
async fn invalid_event_lists_every_error() {
    let (status, body) = call(event("validate-invalid.json")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["ok"], false);
    let errors: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            ("email", "invalid_format"),
            ("corporateName", "required"),
            ("corporateNameKana", "contains_space"),
            ("phone", "invalid_format"),
            ("agreedToTerms", "must_agree"),
        ]
    );
    let kana = &body["errors"][2];
    assert_eq!(kana["message"], "カタカナでスペースを空けずに入力してください。");
}

#[tokio::test]
async fn malformed_event_is_a_400_envelope() {
    let (status, body) = call(event("validate-malformed.json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request");
    assert_eq!(body["error"]["message"], "送信データが正しいJSONではありません。");
}

#[tokio::test]
async fn empty_object_lists_every_required_field() {
    let mut req = event("validate-valid.json");
    *req.body_mut() = Body::Text("{}".into());
    let (status, body) = call(req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "email",
            "emailConfirmation",
            "contractType",
            "lastName",
            "firstName",
            "lastNameKana",
            "firstNameKana",
            "postalCode",
            "addressRegion",
            "addressStreet",
            "phone",
            "agreedToTerms"
        ]
    );
    assert!(body["errors"].as_array().unwrap().iter().all(|e| e["code"] == "required"));
}

#[tokio::test]
async fn wrong_method_is_405() {
    let mut req = event("validate-valid.json");
    *req.method_mut() = lambda_http::http::Method::GET;
    let response = validate::handle(req).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
}
