//! `smoke`: the deployed artefact, started. Every `bootstrap` that `sam build`
//! wrote (`.aws-sam/build/<Function>/bootstrap`) runs under the cold-start
//! harness's Runtime API emulator and answers one event from `events/`, and
//! each answer is checked for what that function must say, with the headers
//! API Gateway passes on (HSTS among them). scripts/artefact-smoke runs it
//! after `sam build`, against moto for submit, notify, admin, documents,
//! mail-events and retention (the documents bucket too). The operator
//! API's binary is started twice: with the JWT authorizer's claims of an
//! operator (200, the list) and with none (401), the one path a route left
//! without its authorizer would take.
//!
//! ```text
//! cargo run -p xtask -- smoke --build-dir .aws-sam/build --env TABLE_NAME=… …
//! ```

use crate::coldstart::{self, Subject};
use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `sam build`'s output: one directory per function resource, each with its `bootstrap`.
    #[arg(long, default_value = ".aws-sam/build")]
    pub build_dir: PathBuf,
    /// KEY=VALUE set for every function process (TABLE_NAME, MAIL_FROM, …).
    #[arg(long = "env")]
    pub env: Vec<String>,
    /// TEXT in the events whose last 6 characters become a per-run number (a
    /// new idempotency key, email and application id each run, as bench-coldstart).
    #[arg(long = "vary")]
    pub vary: Vec<String>,
    /// Show the functions' stdout and stderr.
    #[arg(long)]
    pub show_output: bool,
    /// Start only these binaries (e.g. `--only admin`); all by default.
    #[arg(long = "only")]
    pub only: Vec<String>,
}

/// The template's function resources, by the binary each one builds.
pub const FUNCTIONS: [(&str, &str); 9] = [
    ("WebFunction", "web"),
    ("ValidateFunction", "validate"),
    ("SubmitFunction", "submit"),
    ("PostalFunction", "postal"),
    ("NotifyFunction", "notify"),
    ("AdminFunction", "admin"),
    ("DocumentsFunction", "documents"),
    ("MailEventsFunction", "mail-events"),
    ("RetentionFunction", "retention"),
];

/// The operator API's second start: its event without the authorizer's claims.
const ADMIN_UNAUTHENTICATED: &str = "admin-anonymous";

/// Headers every HTTP function's answer must carry on AWS.
const HTTP_HEADERS: [(&str, Option<&str>); 4] = [
    ("strict-transport-security", Some(shared::http::STRICT_TRANSPORT_SECURITY)),
    ("referrer-policy", Some(shared::http::REFERRER_POLICY)),
    ("permissions-policy", Some(shared::http::PERMISSIONS_POLICY)),
    ("x-content-type-options", Some("nosniff")),
];

pub fn run(args: Args) -> Result<()> {
    let env: Vec<(String, String)> = args
        .env
        .iter()
        .map(|pair| pair.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect::<Option<_>>()
        .context("--env takes NAME=VALUE")?;
    if let Some(unknown) = args.only.iter().find(|name| !FUNCTIONS.iter().any(|(_, b)| b == *name)) {
        bail!("--only {unknown}: not one of the functions");
    }
    let mut subjects = Vec::new();
    for (resource, binary) in FUNCTIONS {
        if !args.only.is_empty() && !args.only.iter().any(|name| name == binary) {
            continue;
        }
        let bootstrap = args.build_dir.join(resource).join("bootstrap");
        let size = std::fs::metadata(&bootstrap)
            .with_context(|| {
                format!("{}: run sam build first (scripts/artefact-smoke)", bootstrap.display())
            })?
            .len();
        println!("{resource:<17} {:>7.2} MB  {}", size as f64 / 1e6, bootstrap.display());
        let event_path = coldstart::default_event(binary)?;
        let event = std::fs::read(&event_path).with_context(|| event_path.display().to_string())?;
        if binary == "admin" {
            subjects.push(Subject {
                name: ADMIN_UNAUTHENTICATED.to_owned(),
                binary: bootstrap.clone(),
                event: without_authorizer(&event)?.into(),
                env: env.clone(),
            });
        }
        subjects.push(Subject {
            name: binary.to_owned(),
            binary: bootstrap,
            event: event.into(),
            env: env.clone(),
        });
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let answers = runtime.block_on(coldstart::answers(&subjects, args.show_output, &args.vary))?;
    for (subject, answer) in subjects.iter().zip(answers) {
        let answer: Value = serde_json::from_slice(&answer).context("the answer is not JSON")?;
        check(&subject.name, &answer).with_context(|| format!("{}: {}", subject.name, summary(&answer)))?;
        println!("{:<17} answered as it should", subject.name);
    }
    Ok(())
}

/// An API Gateway v2 event as it would reach a route without the JWT
/// authorizer: no `requestContext.authorizer`, no bearer token.
fn without_authorizer(event: &[u8]) -> Result<Vec<u8>> {
    let mut event: Value = serde_json::from_slice(event).context("the event is not JSON")?;
    let context = event["requestContext"].as_object_mut().context("an API Gateway v2 event")?;
    ensure!(context.remove("authorizer").is_some(), "the event has no authorizer claims");
    if let Some(headers) = event["headers"].as_object_mut() {
        headers.remove("authorization");
    }
    Ok(serde_json::to_vec(&event)?)
}

/// The answer for an error message: its status and headers, and the start of
/// its body (the form page is 20 KB).
fn summary(answer: &Value) -> String {
    let mut answer = answer.clone();
    if let Some(body) = answer.get_mut("body").and_then(|b| b.as_str().map(str::to_owned)) {
        let start: String = body.chars().take(200).collect();
        answer["body"] = Value::String(if start.len() < body.len() { format!("{start}…") } else { start });
    }
    answer.to_string()
}

/// What each function must answer to its event from `events/`.
pub fn check(function: &str, answer: &Value) -> Result<()> {
    if function == "notify" {
        ensure!(answer["batchItemFailures"] == serde_json::json!([]), "a batch response without failures");
        return Ok(());
    }
    if function == "mail-events" {
        // Its sample names a mail no table holds: read, logged, ignored (`()`).
        ensure!(answer.is_null(), "an event handled without an error");
        return Ok(());
    }
    if function == "retention" {
        // A sweep of the table and the bucket: how many of each it deleted
        // (none on the smoke's empty table), counts only.
        for key in ["retired", "documentsForgotten", "undecidedErased"] {
            ensure!(answer[key].is_u64(), "a count of {key}");
        }
        ensure!(answer.as_object().is_some_and(|o| o.len() == 3), "the three counts only");
        return Ok(());
    }
    let status = answer["statusCode"].as_u64().context("an API Gateway v2 response")?;
    let headers = &answer["headers"];
    for (name, value) in HTTP_HEADERS {
        let got = headers[name].as_str().with_context(|| format!("no {name} header"))?;
        if let Some(value) = value {
            ensure!(got == value, "{name}: {got}");
        }
    }
    let body = body_text(answer)?;
    match function {
        "web" => {
            ensure!(status == 200, "status {status}");
            ensure!(headers["content-type"] == "text/html; charset=utf-8", "content-type");
            ensure!(body.contains("パートナー登録"), "the form page");
        }
        "validate" => {
            ensure!(status == 200, "status {status}");
            let body: Value = serde_json::from_str(&body)?;
            ensure!(body["ok"] == true && body["errors"].is_null(), "a valid application");
        }
        "postal" => {
            ensure!(status == 200, "status {status}");
            let body: Value = serde_json::from_str(&body)?;
            ensure!(body["addresses"][0]["town"] == "大深町", "530-0011 is 大深町");
        }
        "admin" => {
            ensure!(status == 200, "status {status}");
            ensure!(headers["content-type"] == "application/json; charset=utf-8", "content-type");
            let body: Value = serde_json::from_str(&body)?;
            ensure!(body["items"].is_array(), "the list's items: {body}");
            ensure!(body.get("nextCursor").is_some(), "the list's nextCursor: {body}");
        }
        ADMIN_UNAUTHENTICATED => {
            ensure!(status == 401, "status {status}");
            let body: Value = serde_json::from_str(&body)?;
            ensure!(body["error"]["code"] == "unauthenticated", "the error envelope: {body}");
        }
        // An unknown link: the store was reached and answered the contract's 404.
        "documents" => {
            ensure!(status == 404, "status {status}");
            let body: Value = serde_json::from_str(&body)?;
            ensure!(body["error"]["code"] == "document_request_not_found", "the error envelope: {body}");
        }
        "submit" => {
            ensure!(status == 202, "status {status}");
            let body: Value = serde_json::from_str(&body)?;
            ensure!(body["status"] == "verification_sent", "stored, its link mailed: {body}");
            let expires = body["expiresAt"].as_str().context("the link's expiry")?;
            ensure!(expires.ends_with("+09:00"), "expiry {expires}");
        }
        other => bail!("no check for {other}"),
    }
    Ok(())
}

/// The body of an API Gateway v2 response, decoded if base64 (binary bodies).
fn body_text(answer: &Value) -> Result<String> {
    let body = answer["body"].as_str().unwrap_or_default();
    if answer["isBase64Encoded"] != true {
        return Ok(body.to_owned());
    }
    let bytes = base64_decode(body).context("isBase64Encoded, but not base64")?;
    String::from_utf8(bytes).context("the body is not UTF-8")
}

/// Standard base64 (with padding), all this tool reads.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let text = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len().max(1)]);
    }
    Some(out)
}

/// The template's function resources, for the test that keeps [`FUNCTIONS`] whole.
pub fn template_functions(template: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(template)?;
    Ok(text
        .lines()
        .skip_while(|line| *line != "Resources:")
        .filter(|line| {
            line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with("Function:")
        })
        .map(|line| line.trim().trim_end_matches(':').to_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_function_of_the_template_is_started() {
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
        let mut found = template_functions(&template).unwrap();
        found.sort();
        let mut ours: Vec<String> = FUNCTIONS.iter().map(|(r, _)| (*r).to_owned()).collect();
        ours.sort();
        assert_eq!(found, ours);
        for (_, binary) in FUNCTIONS {
            assert!(coldstart::default_event(binary).is_ok(), "an event for {binary}");
        }
    }

    fn http(status: u16, body: &str, base64: bool) -> Value {
        let headers: serde_json::Map<String, Value> =
            HTTP_HEADERS.iter().map(|(n, v)| ((*n).to_owned(), json!(v.unwrap()))).collect();
        let mut headers = Value::Object(headers);
        headers["content-type"] = json!("text/html; charset=utf-8");
        json!({ "statusCode": status, "headers": headers, "body": body, "isBase64Encoded": base64 })
    }

    #[test]
    fn answers_are_checked_for_content_and_headers() {
        assert!(check("postal", &http(200, r#"{"addresses":[{"town":"大深町"}]}"#, false)).is_ok());
        assert!(check("postal", &http(200, r#"{"addresses":[]}"#, false)).is_err());
        let sent = r#"{"status":"verification_sent","expiresAt":"2026-12-02T18:30:00+09:00"}"#;
        assert!(check("submit", &http(202, sent, false)).is_ok());
        assert!(check("submit", &http(200, sent, false)).is_err());
        assert!(check("submit", &http(202, r#"{"receptionNumber":"PR-7A3C-K9XE"}"#, false)).is_err());
        // "パートナー登録" in base64.
        assert!(check("web", &http(200, "44OR44O844OI44OK44O855m76Yyy", true)).is_ok());
        assert!(check("web", &http(200, "PGh0bWw+", true)).is_err());
        let mut without_hsts = http(200, r#"{"ok":true}"#, false);
        assert!(check("validate", &without_hsts).is_ok());
        without_hsts["headers"].as_object_mut().unwrap().remove("strict-transport-security");
        assert!(check("validate", &without_hsts).is_err());
        let list = r#"{"items":[],"nextCursor":null}"#;
        let mut admin = http(200, list, false);
        admin["headers"]["content-type"] = json!("application/json; charset=utf-8");
        assert!(check("admin", &admin).is_ok());
        assert!(check(ADMIN_UNAUTHENTICATED, &admin).is_err(), "a list without claims");
        admin["body"] = json!(r#"{"error":{"code":"unauthenticated","message":"…"}}"#);
        assert!(check("admin", &admin).is_err());
        admin["statusCode"] = json!(401);
        assert!(check(ADMIN_UNAUTHENTICATED, &admin).is_ok());
        admin["body"] = json!(r#"{"error":{"code":"forbidden","message":"…"}}"#);
        assert!(check(ADMIN_UNAUTHENTICATED, &admin).is_err());
        assert!(check("notify", &json!({ "batchItemFailures": [] })).is_ok());
        assert!(check("notify", &json!({ "batchItemFailures": [{ "itemIdentifier": "1" }] })).is_err());
        let swept = json!({ "retired": 0, "documentsForgotten": 0, "undecidedErased": 0 });
        assert!(check("retention", &swept).is_ok());
        assert!(check("retention", &json!({ "retired": 0, "documentsForgotten": 0 })).is_err());
        assert!(
            check("retention", &json!({ "retired": "0", "documentsForgotten": 0, "undecidedErased": 0 }))
                .is_err()
        );
        assert!(check("retention", &json!({ "errorType": "Unavailable", "errorMessage": "…" })).is_err());
    }

    #[test]
    fn the_retention_event_is_the_schedulers_default() {
        let path = coldstart::default_event("retention").unwrap();
        let event: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(event["source"], "aws.scheduler");
        assert_eq!(event["detail-type"], "Scheduled Event");
        assert_eq!(event["detail"], "{}");
        let schedule = event["resources"][0].as_str().unwrap();
        assert!(
            schedule.starts_with("arn:aws:scheduler:ap-northeast-1:123456789012:schedule/default/"),
            "{schedule}"
        );
    }

    #[test]
    fn the_admin_event_is_an_operators_and_loses_its_claims_for_the_second_start() {
        let path = coldstart::default_event("admin").unwrap();
        let event = std::fs::read(&path).unwrap();
        let with: Value = serde_json::from_slice(&event).unwrap();
        let claims = &with["requestContext"]["authorizer"]["jwt"]["claims"];
        assert_eq!(claims["cognito:groups"], "[operators]");
        assert_eq!(claims["username"], "op@example.com");
        assert_eq!(with["rawPath"], "/api/admin/applications");
        let without: Value = serde_json::from_slice(&without_authorizer(&event).unwrap()).unwrap();
        assert!(without["requestContext"].get("authorizer").is_none());
        assert!(without["headers"].get("authorization").is_none());
        assert_eq!(without["rawPath"], with["rawPath"]);
        assert!(without_authorizer(&serde_json::to_vec(&without).unwrap()).is_err());
    }

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert!(base64_decode("a*").is_none());
    }
}
