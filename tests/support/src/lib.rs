//! What the test suites of several crates share: the seed application (read
//! from `events/`, so the fixtures and the invoke events cannot drift apart)
//! and a moto server endpoint. Without features it depends on no crate of the
//! workspace, so any of them can use it (the integration-tests library does, as
//! a normal dependency); the moto fixtures ([`moto`]) need `shared` and the SDK
//! and are for dev-dependencies only.

#[cfg(feature = "dynamodb")]
pub mod moto;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The workspace's root directory.
pub fn workspace_root() -> &'static std::path::Path {
    std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The root package's `[workspace.metadata]`, read as cargo-lambda reads it
/// (`cargo metadata`).
pub fn workspace_metadata() -> Value {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    metadata["metadata"].clone()
}

/// The seed form's examples as one corporate application: the body of
/// `events/validate-valid.json`.
pub fn seed_application() -> Value {
    let event: Value = serde_json::from_str(include_str!("../../../events/validate-valid.json"))
        .expect("events/validate-valid.json is JSON");
    serde_json::from_str(event["body"].as_str().expect("a body")).expect("the body is JSON")
}

/// [`seed_application`] with `email` and its confirmation replaced.
pub fn seed_application_with_email(email: &str) -> Value {
    let mut application = seed_application();
    application["email"] = Value::from(email);
    application["emailConfirmation"] = Value::from(email);
    application
}

/// The moto server endpoint: the one `scripts/test` started
/// (`AWS_ENDPOINT_URL`), or else one started here from the checkout's venv, at
/// most once per test binary. With `REQUIRE_SERVICES=1` (CI) a missing
/// endpoint fails the test instead.
pub fn moto_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(url) = std::env::var("AWS_ENDPOINT_URL")
            && !url.is_empty()
        {
            reset_moto(&url);
            return url;
        }
        assert!(
            std::env::var("REQUIRE_SERVICES").as_deref() != Ok("1"),
            "REQUIRE_SERVICES=1 but AWS_ENDPOINT_URL is not set: run ./scripts/test"
        );
        start_moto()
    })
}

/// The moto endpoint for S3: `AWS_ENDPOINT_URL_S3` (`scripts/test` starts a
/// second moto for S3, whose leftovers would break the first one's
/// `/moto-api/data.json`), else [`moto_endpoint`].
pub fn s3_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| match std::env::var("AWS_ENDPOINT_URL_S3") {
        Ok(url) if !url.is_empty() => {
            reset_moto(&url);
            url
        }
        _ => moto_endpoint().to_owned(),
    })
}

/// Empties a moto that `scripts/test` started, when a test binary first
/// reaches it. cargo runs the test binaries one after another, and moto
/// keeps every table of the binaries before, each with its stream's
/// records: a run of the store contract alone left 1.2 GB in it, and
/// every transaction deep-copies the tables it touches, so later binaries'
/// writes slowed past the SDK's timeouts (a 4.7 s TransactWriteItems), and
/// a moto kept for a day of runs grew to 24 GB. A binary's tests all come
/// here (through `OnceLock`) before their first call, so none is emptied
/// under a test of its own.
fn reset_moto(url: &str) {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address)
        .unwrap_or_else(|e| panic!("moto at {url} is not reachable ({e}): run ./scripts/test"));
    write!(
        stream,
        "POST /moto-api/reset HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("moto's reset asked");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("moto's reset answered");
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "moto's reset: {answer}"
    );
}

/// Starts moto server on a free port, under a shell that stops it when this
/// process exits (its stdin, held by this process, closes).
fn start_moto() -> String {
    let moto = workspace_root().join(".venv/bin/moto_server");
    assert!(moto.exists(), "{} is missing: run `. scripts/dev-env` or ./scripts/test", moto.display());
    let port = free_port();
    let script = format!(
        "'{}' -H 127.0.0.1 -p {port} >/dev/null 2>&1 & moto=$!; echo started; cat >/dev/null; kill $moto",
        moto.display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn moto server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    // Keep stdin open for the life of the process.
    std::mem::forget(child.stdin.take());
    std::mem::forget(child);
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return format!("http://127.0.0.1:{port}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("moto server did not start on port {port}");
}

/// The `.eml` files the outbox wrote under `data_dir`, by name: written
/// whole. A delivery still writing has a hidden `.….partial` file beside
/// them, which is not a mail yet (counting it made a test flaky).
pub fn outbox_files(data_dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(data_dir.join("outbox")) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| !name.starts_with('.') && name.ends_with(".eml"))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// The seed's application for `email`, parsed as the form's handler parses it.
#[cfg(feature = "store")]
pub fn application_for(email: &str) -> shared::domain::Application {
    use serde::Deserialize;
    let value = seed_application_with_email(email);
    let raw = shared::domain::RawApplication::deserialize(&value).expect("decodes");
    shared::domain::Application::parse(&raw).expect("valid").application
}

/// A new address's application, confirmed and then decided as the admin
/// handler writes a decision (with `message`, kept until `retain_until`).
#[cfg(feature = "store")]
pub async fn decided(
    store: &dyn shared::store::Store,
    decision: shared::domain::Decision,
    message: Option<&str>,
    retain_until: Option<shared::domain::Timestamp>,
) -> shared::domain::StoredApplication {
    use shared::domain::{
        Actor, AuditEntry, Decision, IdempotencyKey, OperatorMessage, PartnerCode, Timestamp,
    };
    use shared::store::{ConfirmOutcome, DecideOutcome, DecisionWrite};
    let key = shared::keyed::IdentifierKey::for_tests();
    let submission = submission(&key, application_for(&format!("{}@example.com", unique("decided"))), 3600);
    store.submit(&submission).await.expect("stored");
    let ConfirmOutcome::Confirmed(confirmed) =
        store.confirm(&submission.token_hash).await.expect("confirmed")
    else {
        panic!("confirmed")
    };
    let operator = Actor::parse("reviewer@example.com").expect("an address");
    let id = confirmed.id();
    let write = DecisionWrite {
        application_id: id,
        decision,
        expected_version: confirmed.version,
        request_hash: key.request_hash(format!("{id}:{}", decision.as_str()).as_bytes()),
        message: message.map(|text| OperatorMessage::parse(text).expect("a valid message")),
        actor: operator.clone(),
        at: Timestamp::now(),
        idempotency_key: IdempotencyKey::parse(&unique("decision-key-0001")).expect("a key"),
        partner_code: (decision == Decision::Approve).then(PartnerCode::random),
        retain_until,
        document_request: None,
        audit: AuditEntry::now(operator, decision.into(), Some(id)),
    };
    match store.decide(&write).await.expect("decided") {
        DecideOutcome::Decided(decided) | DecideOutcome::Replayed(decided) => decided,
        other => panic!("{other:?}"),
    }
}

/// Whether each mail of `event` is marked sent, in `MailEvent::kinds` order.
#[cfg(feature = "store")]
pub async fn mail_marks(store: &dyn shared::store::MailLedger, event: shared::mail::MailEvent) -> Vec<bool> {
    let mut marks = Vec::new();
    for &kind in event.kinds() {
        marks.push(store.mail_sent(event.subject(), kind).await.unwrap());
    }
    marks
}

/// A submission as the submit handler makes it, for `application`, with the
/// verification link working for `ttl_secs` (negative: already expired).
#[cfg(feature = "store")]
pub fn submission(
    key: &shared::keyed::IdentifierKey,
    application: shared::domain::Application,
    ttl_secs: i64,
) -> shared::store::Submission {
    use shared::domain::{IdempotencyKey, NoticeId, Receipt, Timestamp};
    let now = Timestamp::now();
    let receipt = Receipt::issue(now.time());
    let expires_at = now.plus_secs(ttl_secs);
    shared::store::Submission {
        idempotency_key: IdempotencyKey::parse(&unique("key-0123456789abcdef")).expect("a key"),
        request_hash: shared::keyed::IdentifierKey::for_tests()
            .request_hash(&serde_json::to_vec(&application).expect("serialises")),
        email_key: key.email(&application.email),
        token_hash: key.verification_token(receipt.application_id).hash(),
        expires_at,
        notice_id: NoticeId::new(),
        response_body: format!(r#"{{"status":"verification_sent","expiresAt":"{expires_at}"}}"#),
        receipt,
        application,
    }
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A name no other test (in any process sharing the server) uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}{}x{}x{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_the_forms_example_corporation() {
        let seed = seed_application();
        assert_eq!(seed["contractType"], "corporation");
        assert_eq!(seed["corporateName"], "エックスサーバー株式会社");
        let other = seed_application_with_email("other@example.com");
        assert_eq!(
            (&other["email"], &other["emailConfirmation"]),
            (&"other@example.com".into(), &"other@example.com".into())
        );
    }

    #[test]
    fn workspace_metadata_holds_the_watch_router() {
        assert!(workspace_metadata()["lambda"]["watch"]["router"].is_object());
    }

    #[test]
    fn unique_names_differ() {
        assert_ne!(unique("t"), unique("t"));
    }
}
