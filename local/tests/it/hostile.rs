//! A table of hostile requests against the local server (the same handlers as
//! Lambda), each with the 4xx it must get: the contract's envelope or field
//! list, a Japanese message, never a 5xx.

use reqwest::Method;
use serde_json::{Value, json};

fn seed() -> Value {
    test_support::seed_application_with_email("hostile@example.com")
}

fn with(key: &str, value: Value) -> Vec<u8> {
    let mut application = seed();
    application[key] = value;
    serde_json::to_vec(&application).unwrap()
}

/// What a hostile request must get back.
enum Expect {
    /// The error envelope with this status and code.
    Envelope(u16, &'static str),
    /// 422 with this (field, code) among the errors.
    Field(&'static str, &'static str),
    /// Accepted: the contrast case that proves the rule is not over-broad.
    Ok,
}

struct Case {
    name: String,
    method: Method,
    path: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    expect: Expect,
}

fn post(name: impl Into<String>, body: Vec<u8>, expect: Expect) -> Case {
    Case {
        name: name.into(),
        method: Method::POST,
        path: "/api/validate",
        content_type: Some("application/json"),
        body,
        expect,
    }
}

fn cases() -> Vec<Case> {
    let mut cases = vec![
        post(
            "oversized body",
            with("addressBuilding", json!("ア".repeat(6_000))),
            Expect::Envelope(413, "payload_too_large"),
        ),
        post(
            "100,000-character string",
            with("lastName", json!("a".repeat(100_000))),
            Expect::Envelope(413, "payload_too_large"),
        ),
        post(
            "deeply nested JSON",
            format!("{{\"email\": {}", "[".repeat(5_000)).into_bytes(),
            Expect::Envelope(400, "bad_request"),
        ),
        post(
            "nested object as a value",
            with("lastName", json!({"a": {"b": {"c": [1, 2, 3]}}})),
            Expect::Envelope(400, "bad_request"),
        ),
        post(
            "invalid UTF-8",
            vec![b'{', b'"', b'e', 0xC3, 0x28, b'"', b':', b'1', b'}'],
            Expect::Envelope(400, "bad_request"),
        ),
        post("not JSON", b"email=a@example.com".to_vec(), Expect::Envelope(400, "bad_request")),
        post("unknown key", with("isAdmin", json!(true)), Expect::Envelope(400, "bad_request")),
        post(
            "NUL in a name",
            with("lastName", json!("山\u{0}田")),
            Expect::Field("lastName", "invalid_characters"),
        ),
        post(
            "control character in an address",
            with("addressStreet", json!("大深町\u{7}4-20")),
            Expect::Field("addressStreet", "invalid_characters"),
        ),
        post(
            "CRLF in a name",
            with("firstName", json!("太郎\r\nBcc: x@example.com")),
            Expect::Field("firstName", "invalid_characters"),
        ),
        post(
            "CRLF in the email",
            with("email", json!("a@example.com\r\nBcc: x@example.com")),
            Expect::Field("email", "invalid_characters"),
        ),
        post(
            "bidi override in a name",
            with("lastName", json!("山\u{202E}田")),
            Expect::Field("lastName", "invalid_characters"),
        ),
        post(
            "emoji in a name",
            with("lastName", json!("山田😀")),
            Expect::Field("lastName", "invalid_characters"),
        ),
        post(
            "emoji in a reading",
            with("lastNameKana", json!("ヤマダ😀")),
            Expect::Field("lastNameKana", "invalid_characters"),
        ),
        post(
            "zero-width space in a name",
            with("lastName", json!("山\u{200B}田")),
            Expect::Field("lastName", "invalid_characters"),
        ),
        post(
            "a name of Hangul fillers",
            with("firstName", json!("\u{3164}\u{3164}")),
            Expect::Field("firstName", "invalid_characters"),
        ),
        post(
            "a private-use character in an address",
            with("addressBuilding", json!("ビル\u{E000}")),
            Expect::Field("addressBuilding", "invalid_characters"),
        ),
        post(
            "40 stacked combining marks in a name",
            with("corporateName", json!(format!("株式会社A{}", "\u{0335}".repeat(40)))),
            Expect::Field("corporateName", "invalid_characters"),
        ),
        post(
            "a name without a letter",
            with("lastName", json!("・・")),
            Expect::Field("lastName", "no_letter"),
        ),
        post(
            "an ideographic variation sequence in a name",
            with("lastName", json!("葛\u{E0100}城")),
            Expect::Ok,
        ),
        post("non-BMP kanji in a name", with("lastName", json!("𠮷田")), Expect::Ok),
        post("non-BMP kanji in an address", with("addressStreet", json!("𩸽町1-2")), Expect::Ok),
        post(
            "float count",
            with("employeeCount", json!(30.5)),
            Expect::Field("employeeCount", "not_integer"),
        ),
        post(
            "negative count",
            with("employeeCount", json!(-1)),
            Expect::Field("employeeCount", "not_integer"),
        ),
        post(
            "huge count",
            with("annualReferralCount", json!(10_000_000_000_u64)),
            Expect::Field("annualReferralCount", "out_of_range"),
        ),
        post(
            "count beyond u64",
            br#"{"employeeCount": 1e400}"#.to_vec(),
            Expect::Envelope(400, "bad_request"),
        ),
        post(
            "boolean as a string",
            with("agreedToTerms", json!("true")),
            Expect::Envelope(400, "bad_request"),
        ),
        Case {
            name: "wrong method".into(),
            method: Method::GET,
            path: "/api/validate",
            content_type: None,
            body: vec![],
            expect: Expect::Envelope(405, "method_not_allowed"),
        },
        Case {
            name: "wrong method on submit".into(),
            method: Method::PUT,
            path: "/api/applications",
            content_type: Some("application/json"),
            body: with("email", json!("x@example.com")),
            expect: Expect::Envelope(405, "method_not_allowed"),
        },
        Case {
            name: "wrong content type".into(),
            method: Method::POST,
            path: "/api/validate",
            content_type: Some("text/plain"),
            body: serde_json::to_vec(&seed()).unwrap(),
            expect: Expect::Envelope(415, "unsupported_media_type"),
        },
        Case {
            name: "form-encoded body".into(),
            method: Method::POST,
            path: "/api/validate",
            content_type: Some("application/x-www-form-urlencoded"),
            body: b"email=a".to_vec(),
            expect: Expect::Envelope(415, "unsupported_media_type"),
        },
        Case {
            name: "no content type".into(),
            method: Method::POST,
            path: "/api/validate",
            content_type: None,
            body: serde_json::to_vec(&seed()).unwrap(),
            expect: Expect::Envelope(415, "unsupported_media_type"),
        },
        Case {
            name: "unknown route".into(),
            method: Method::POST,
            path: "/api/admin",
            content_type: Some("application/json"),
            body: b"{}".to_vec(),
            expect: Expect::Envelope(404, "not_found"),
        },
        Case {
            name: "postal code with letters".into(),
            method: Method::GET,
            path: "/api/postal/abc",
            content_type: None,
            body: vec![],
            expect: Expect::Envelope(400, "invalid_postal_code"),
        },
        Case {
            name: "postal code with script".into(),
            method: Method::GET,
            path: "/api/postal/%3Cscript%3E",
            content_type: None,
            body: vec![],
            expect: Expect::Envelope(400, "invalid_postal_code"),
        },
        Case {
            name: "submit without an idempotency key".into(),
            method: Method::POST,
            path: "/api/applications",
            content_type: Some("application/json"),
            body: serde_json::to_vec(&seed()).unwrap(),
            expect: Expect::Envelope(400, "missing_idempotency_key"),
        },
    ];
    // HTML and script in every field.
    let script = json!("<script>alert(1)</script>");
    let every_field = [
        ("email", "invalid_characters"),
        ("emailConfirmation", "invalid_characters"),
        ("contractType", "invalid_choice"),
        ("corporateName", "invalid_characters"),
        ("corporateNameKana", "invalid_characters"),
        ("lastName", "invalid_characters"),
        ("firstName", "invalid_characters"),
        ("lastNameKana", "invalid_characters"),
        ("firstNameKana", "invalid_characters"),
        ("postalCode", "invalid_format"),
        ("addressRegion", "invalid_characters"),
        ("addressStreet", "invalid_characters"),
        ("addressBuilding", "invalid_characters"),
        ("phone", "invalid_format"),
        ("invoiceNumber", "invalid_format"),
        ("employeeCount", "not_integer"),
        ("annualReferralCount", "not_integer"),
    ];
    for (field, code) in every_field {
        cases.push(post(
            format!("script in {field}"),
            with(field, script.clone()),
            Expect::Field(field, code),
        ));
    }
    cases.push(post(
        "script in agreedToTerms",
        with("agreedToTerms", script),
        Expect::Envelope(400, "bad_request"),
    ));
    // The verification routes: every malformed token is a 400, an unknown one 404.
    let verification = |name: &str, path: &'static str, body: Vec<u8>, expect: Expect| Case {
        name: format!("{path}: {name}"),
        method: Method::POST,
        path,
        content_type: Some("application/json"),
        body,
        expect,
    };
    for path in ["/api/verifications/preview", "/api/verifications"] {
        let token = |value: Value| serde_json::to_vec(&json!({ "token": value })).unwrap();
        cases.extend([
            verification("empty body", path, Vec::new(), Expect::Envelope(400, "bad_request")),
            verification("not JSON", path, b"token=abc".to_vec(), Expect::Envelope(400, "bad_request")),
            verification("no token", path, b"{}".to_vec(), Expect::Envelope(400, "bad_request")),
            verification("numeric token", path, token(json!(1)), Expect::Envelope(400, "bad_request")),
            verification("short token", path, token(json!("abc")), Expect::Envelope(400, "bad_request")),
            verification(
                "non-hex token",
                path,
                token(json!("z".repeat(64))),
                Expect::Envelope(400, "bad_request"),
            ),
            verification(
                "script token",
                path,
                token(json!("<script>alert(1)</script>")),
                Expect::Envelope(400, "bad_request"),
            ),
            verification(
                "unknown key",
                path,
                serde_json::to_vec(&json!({ "token": "a".repeat(64), "status": "approved" })).unwrap(),
                Expect::Envelope(400, "bad_request"),
            ),
            verification(
                "huge token",
                path,
                token(json!("a".repeat(20_000))),
                Expect::Envelope(413, "payload_too_large"),
            ),
            verification(
                "unknown token",
                path,
                token(json!("a".repeat(64))),
                Expect::Envelope(404, "verification_not_found"),
            ),
            Case {
                name: format!("{path}: GET"),
                method: Method::GET,
                path,
                content_type: None,
                body: Vec::new(),
                expect: Expect::Envelope(405, "method_not_allowed"),
            },
        ]);
    }
    cases
}

#[tokio::test]
async fn every_hostile_request_gets_its_4xx() {
    let data = tempfile::tempdir().unwrap();
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    for case in cases() {
        let mut request =
            client.request(case.method.clone(), format!("http://{}{}", running.addr, case.path));
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.body(case.body).send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let matched = match case.expect {
            Expect::Envelope(want, code) => {
                let message = body["error"]["message"].as_str().unwrap_or_default();
                status == want && body["error"]["code"] == code && message.chars().any(|c| c > '\u{3000}')
            }
            Expect::Field(field, code) => {
                status == 422
                    && body["errors"].as_array().is_some_and(|errors| {
                        errors.iter().any(|e| {
                            e["field"] == field
                                && e["code"] == code
                                && e["message"].as_str().is_some_and(|m| !m.is_empty())
                        })
                    })
            }
            Expect::Ok => status == 200,
        };
        if !matched {
            failures.push(format!("{}: got {status} {body}", case.name));
        }
    }
    running.shutdown().await.unwrap();
    assert!(failures.is_empty(), "unexpected answers:\n{}", failures.join("\n"));
}
