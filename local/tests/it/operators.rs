//! Local operator accounts over real HTTP: the first start's operator, `local
//! operator add` through the real binary, sign-in, the authorizer on a
//! protected route, sign-out, expiry and the lockout.

use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

async fn start(data: &std::path::Path, configure: impl FnOnce(&mut local::Config)) -> local::Running {
    let mut config = local::Config::new(0, data);
    configure(&mut config);
    local::start(config).await.unwrap()
}

fn url(running: &local::Running, path: &str) -> String {
    format!("http://{}{path}", running.addr)
}

async fn sign_in(running: &local::Running, email: &str, password: &str) -> (u16, Option<String>, Value) {
    sign_in_from(running, std::net::Ipv4Addr::LOCALHOST, email, password).await
}

/// The same from the loopback address `from` (all of 127.0.0.0/8 reaches the server).
async fn sign_in_from(
    running: &local::Running,
    from: std::net::Ipv4Addr,
    email: &str,
    password: &str,
) -> (u16, Option<String>, Value) {
    let client = reqwest::Client::builder().local_address(std::net::IpAddr::V4(from)).build().unwrap();
    let response = client
        .post(url(running, "/api/admin/sessions"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, response.json().await.unwrap())
}

/// `GET /api/admin/session` with `token`: the status and the body.
async fn session(running: &local::Running, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(url(running, "/api/admin/session"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_first_start_creates_one_operator_prints_it_and_keeps_it() {
    let data = tempfile::tempdir().unwrap();
    let running = start(data.path(), |_| {}).await;
    let first = running.first_operator.clone().expect("a first start creates an operator");
    assert_eq!(first.email.as_str(), "operator@example.com");
    assert!(first.password.len() >= 12);
    let banner = running.banner().join("\n");
    for printed in [
        first.email.as_str(),
        &first.password,
        &first.file.display().to_string(),
        &format!("http://{}/admin/", running.addr),
    ] {
        assert!(banner.contains(printed), "{printed} is not printed:\n{banner}");
    }
    assert_eq!(first.file, data.path().join("operator.txt"));
    let kept = std::fs::read_to_string(&first.file).unwrap();
    assert!(kept.contains(&format!("password: {}", first.password)), "{kept}");
    assert!(kept.contains("email: operator@example.com"), "{kept}");
    assert_eq!(mode(&first.file), 0o600);
    assert_eq!(mode(&data.path().join("applications.sqlite3")), 0o600);

    let (status, _, body) = sign_in(&running, first.email.as_str(), &first.password).await;
    assert_eq!(status, 201, "{body}");
    running.shutdown().await.unwrap();

    let again = start(data.path(), |_| {}).await;
    assert!(again.first_operator.is_none(), "a second start creates no operator");
    assert!(!again.banner().join("\n").contains(&first.password));
    assert_eq!(local::operators::OperatorDb::open_dir(data.path()).unwrap().count().await.unwrap(), 1);
    // The kept password still signs in.
    assert_eq!(sign_in(&again, "operator@example.com", &first.password).await.0, 201);
    again.shutdown().await.unwrap();
}

/// Runs `local operator add EMAIL [--password-stdin] --data-dir DIR`, with `stdin`.
fn operator_add(data: &std::path::Path, email: &str, stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut command = Command::new(env!("CARGO_BIN_EXE_local"));
    command.args(["operator", "add", email]);
    if stdin.is_some() {
        command.arg("--password-stdin");
    }
    command.arg("--data-dir").arg(data);
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // A command refused before it reads (a malformed address) may have exited
    // already: the pipe is closed, and its status and stderr tell the rest.
    let _ = child.stdin.take().unwrap().write_all(stdin.unwrap_or_default().as_bytes());
    child.wait_with_output().unwrap()
}

/// Runs `local operator add EMAIL --role ROLE --password-stdin` with `password`.
fn operator_add_as(data: &std::path::Path, email: &str, role: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_local"))
        .args(["operator", "add", email, "--role", role, "--password-stdin", "--data-dir"])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command refused before it reads (an unknown role) may have exited
    // already: the pipe is closed, and its status and stderr tell the rest.
    let _ = child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes());
    child.wait_with_output().unwrap()
}

/// The contract's *Who may do what* over the local server: the first start's
/// account is a supervisor, `operator add --role operator` makes an operator,
/// who gets 403 `forbidden` on erasure, export and the audit (the local
/// server refuses before the function runs, by the same `Access::allows`),
/// and the supervisor gets 200; `GET /api/admin/me` names the roles.
#[tokio::test]
async fn an_operator_may_not_erase_export_or_read_the_audit_and_the_first_account_may() {
    let data = tempfile::tempdir().unwrap();
    let running = start(data.path(), |_| {}).await;
    let first = running.first_operator.clone().unwrap();
    let password = "a clerk's long passphrase";
    let added = operator_add_as(data.path(), "clerk@example.com", "operator", password);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    assert!(String::from_utf8_lossy(&added.stdout).contains("operator"), "the role is printed");
    let refused = operator_add_as(data.path(), "boss@example.com", "admin", password);
    assert!(!refused.status.success(), "no such role");

    let clerk =
        sign_in(&running, "clerk@example.com", password).await.2["token"].as_str().unwrap().to_owned();
    let lead = sign_in(&running, first.email.as_str(), &first.password).await.2["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = reqwest::Client::new();
    let me = |token: String| {
        let client = client.clone();
        let url = url(&running, "/api/admin/me");
        async move { client.get(url).bearer_auth(token).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(me(clerk.clone()).await, json!({ "email": "clerk@example.com", "roles": ["operator"] }));
    assert_eq!(
        me(lead.clone()).await,
        json!({ "email": first.email.as_str(), "roles": ["operator", "supervisor"] })
    );

    // An application to erase (the first start made no samples here: `Config::new`).
    let submitted = client
        .post(url(&running, "/api/applications"))
        .header("idempotency-key", "roles-path-key-00000001")
        .json(&test_support::seed_application_with_email("roles@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status().as_u16(), 202);
    use shared::store::{MailLedger, Review, Tooling};
    let store = shared::store::sqlite::SqliteStore::open_dir(data.path()).unwrap();
    let awaiting = store.list_by_status(shared::domain::Status::AwaitingVerification, 10).await.unwrap();
    let application_id = awaiting[0].receipt.application_id;
    let key = shared::keyed::IdentifierKey::load_or_create(data.path()).unwrap();
    let token = key.verification_token(application_id);
    let confirmed = client
        .post(url(&running, "/api/verifications"))
        .json(&json!({ "token": token.as_str() }))
        .send()
        .await;
    assert_eq!(confirmed.unwrap().status().as_u16(), 200);
    let id = application_id.to_string();

    let call = |token: &str, method: &str, path: String| {
        let request = match method {
            "POST" => client.post(url(&running, &path)).json(&json!({ "reason": "applicant_request" })),
            _ => client.get(url(&running, &path)),
        };
        request.bearer_auth(token.to_owned()).send()
    };
    let supervisor_only = [
        ("POST", format!("/api/admin/applications/{id}/erasure")),
        ("GET", "/api/admin/applications.csv".to_owned()),
        ("GET", "/api/admin/audit".to_owned()),
    ];
    for (method, path) in &supervisor_only {
        let answer = call(&clerk, method, path.clone()).await.unwrap();
        assert_eq!(answer.status().as_u16(), 403, "{path}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"]["code"], "forbidden", "{path}");
        assert!(body["error"]["message"].as_str().unwrap().contains("責任者"), "{body}");
    }
    assert!(store.get(application_id).await.unwrap().is_some(), "not erased");
    let actions: Vec<_> =
        store.audit_log(None, 100).await.unwrap().entries.iter().map(|e| e.action.as_str()).collect();
    assert!(!actions.contains(&"export") && !actions.contains(&"view_audit"), "{actions:?}");
    // The operator's own routes answer.
    let list = call(&clerk, "GET", "/api/admin/applications".to_owned()).await.unwrap();
    assert_eq!(list.status().as_u16(), 200);
    // The supervisor may: the audit and the export first, the erasure last.
    for (method, path) in supervisor_only.iter().rev() {
        let answer = call(&lead, method, path.clone()).await.unwrap();
        assert_eq!(answer.status().as_u16(), 200, "{path}");
        answer.bytes().await.unwrap();
    }
    assert!(store.get(application_id).await.unwrap().is_none(), "erased");
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn operator_add_then_sign_in_use_the_token_and_sign_out() {
    let temp = tempfile::tempdir().unwrap();
    // A directory `operator add` creates (an existing one keeps its mode).
    let data = &temp.path().join("data");
    let password = "長いパスフレーズ horse battery";
    let added = operator_add(data, "Ops@Example.com", Some(&format!("{password}\n")));
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let stdout = String::from_utf8(added.stdout).unwrap();
    assert!(stdout.contains("ops@example.com"), "{stdout}");
    assert!(!stdout.contains(password), "a password read from stdin is not printed: {stdout}");
    assert_eq!(mode(data), 0o700);
    assert_eq!(mode(&data.join("applications.sqlite3")), 0o600);

    // Too short: refused, in Japanese, and nothing changes.
    let short = operator_add(data, "ops@example.com", Some("short\n"));
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("12文字以上"));
    // Without --password-stdin: a generated one is printed.
    let generated = operator_add(data, "second@example.com", None);
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    let stdout = String::from_utf8(generated.stdout).unwrap();
    let second_password =
        stdout.lines().find_map(|l| l.strip_prefix("パスワード: ")).expect(&stdout).to_owned();

    let running = start(data, |_| {}).await;
    assert!(running.first_operator.is_none(), "operators exist: no first operator");
    assert!(!data.join("operator.txt").exists());

    let (status, _, body) = sign_in(&running, "ops@example.com", "長いパスフレーズ horse batterz").await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthenticated")), "{body}");
    let wrong_pair = body["error"]["message"].clone();
    assert_eq!(wrong_pair, "メールアドレスまたはパスワードが正しくありません。");
    // An unknown account: the very same answer.
    let (status, _, body) = sign_in(&running, "nobody@example.com", password).await;
    assert_eq!((status, &body["error"]["message"]), (401, &wrong_pair));
    assert_eq!(sign_in(&running, "second@example.com", &second_password).await.0, 201);

    let (status, _, body) = sign_in(&running, "OPS@example.com", password).await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    let expires_at =
        shared::domain::Timestamp::parse(body["expiresAt"].as_str().unwrap()).expect("JST RFC 3339");
    let hours = (expires_at.epoch() - shared::domain::Timestamp::now().epoch()) as f64 / 3600.0;
    assert!((7.99..=8.01).contains(&hours), "{hours} h");

    let (status, body) = session(&running, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "email": "ops@example.com", "expiresAt": expires_at.to_string() }));

    // No header, another scheme, a forged token: 401 with a challenge.
    let client = reqwest::Client::new();
    let bare = client.get(url(&running, "/api/admin/session")).send().await.unwrap();
    assert_eq!(bare.status().as_u16(), 401);
    assert_eq!(bare.headers()["www-authenticate"], "Bearer");
    let body: Value = bare.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
    assert_eq!(session(&running, &"0".repeat(64)).await.0, 401);
    let basic = client.get(url(&running, "/api/admin/session")).basic_auth("ops", Some(&token)).send().await;
    assert_eq!(basic.unwrap().status().as_u16(), 401);

    let out =
        client.delete(url(&running, "/api/admin/sessions/current")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(out.status().as_u16(), 204);
    assert_eq!(session(&running, &token).await.0, 401, "signed out");
    let again = client.delete(url(&running, "/api/admin/sessions/current")).bearer_auth(&token).send().await;
    assert_eq!(again.unwrap().status().as_u16(), 401);
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_session_stops_working_when_it_expires() {
    let data = tempfile::tempdir().unwrap();
    // Expiry is kept in whole seconds, so a TTL of n seconds lasts between
    // n - 1 and n: 3 leaves the first check two seconds on a loaded machine.
    let running = start(data.path(), |config| config.operator_session_ttl = Duration::from_secs(3)).await;
    let first = running.first_operator.clone().unwrap();
    let (status, _, body) = sign_in(&running, first.email.as_str(), &first.password).await;
    assert_eq!(status, 201);
    let token = body["token"].as_str().unwrap();
    assert_eq!(session(&running, token).await.0, 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let (status, body) = session(&running, token).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthenticated")));
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_address_for_a_while() {
    let data = tempfile::tempdir().unwrap();
    let running = start(data.path(), |_| {}).await;
    let first = running.first_operator.clone().unwrap();
    for attempt in 1..=5 {
        let (status, _, body) = sign_in(&running, first.email.as_str(), "wrong password!").await;
        assert_eq!(status, 401, "attempt {attempt}: {body}");
    }
    // Locked: even the right password is refused, with when to retry.
    let (status, retry_after, body) = sign_in(&running, first.email.as_str(), &first.password).await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("too_many_requests")), "{body}");
    let retry_after: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((14 * 60..=15 * 60).contains(&retry_after), "{retry_after}");
    assert!(body["error"]["message"].as_str().unwrap().contains("サインイン"));
    // Unknown addresses lock the same way (a lock tells nothing about accounts).
    for _ in 1..=5 {
        assert_eq!(sign_in(&running, "nobody@example.com", "wrong password!").await.0, 401);
    }
    assert_eq!(sign_in(&running, "nobody@example.com", "wrong password!").await.0, 429);
    running.shutdown().await.unwrap();
}

/// Issue 25, 10: whoever reaches the port can neither lock the printed
/// account for its operator nor sweep guesses over many addresses.
#[tokio::test]
async fn one_source_s_wrong_passwords_lock_that_source_not_the_account() {
    let data = tempfile::tempdir().unwrap();
    let running = start(data.path(), |_| {}).await;
    let first = running.first_operator.clone().unwrap();
    let stranger = std::net::Ipv4Addr::new(127, 0, 0, 2);
    let source_limit = local::operators::Lockout::default().max_source_failures;
    // The printed account five times (its own limit), then other addresses.
    for attempt in 0..source_limit {
        let email = if attempt < 5 { first.email.to_string() } else { format!("guess{attempt}@example.com") };
        let (status, _, body) = sign_in_from(&running, stranger, &email, "wrong password!").await;
        assert_eq!(status, 401, "attempt {attempt}: {body}");
    }
    // The stranger's source is refused for any address, with when to retry.
    let (status, retry_after, body) = sign_in_from(&running, stranger, "fresh@example.com", "x").await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("too_many_requests")), "{body}");
    let retry_after: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((14 * 60..=15 * 60).contains(&retry_after), "{retry_after}");
    assert!(body["error"]["message"].as_str().unwrap().contains("サインイン"));
    let (status, _, _) = sign_in_from(&running, stranger, first.email.as_str(), &first.password).await;
    assert_eq!(status, 429, "even the right password, from that source");
    // The operator, elsewhere, still signs in.
    let (status, _, body) = sign_in(&running, first.email.as_str(), &first.password).await;
    assert_eq!(status, 201, "{body}");
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_sign_in_requests_get_the_contract_envelope() {
    let data = tempfile::tempdir().unwrap();
    let running = start(data.path(), |_| {}).await;
    let client = reqwest::Client::new();
    let sessions = url(&running, "/api/admin/sessions");
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (client.post(&sessions).json(&json!({ "email": "a@example.com" })), 400, "bad_request"),
        (client.post(&sessions).json(&json!({ "email": 1, "password": "x" })), 400, "bad_request"),
        (
            client.post(&sessions).json(&json!({ "email": "a@example.com", "password": "x", "admin": true })),
            400,
            "bad_request",
        ),
        (
            client.post(&sessions).header("content-type", "text/plain").body("{}"),
            415,
            "unsupported_media_type",
        ),
        (
            client
                .post(&sessions)
                .header("content-type", "application/json")
                .body(format!("{{\"email\": \"{}\"}}", "a".repeat(17 * 1024))),
            413,
            "payload_too_large",
        ),
        (client.get(&sessions), 405, "method_not_allowed"),
        (client.post(url(&running, "/api/admin/session")), 405, "method_not_allowed"),
        (
            client.post(&sessions).json(&json!({ "email": "not an address", "password": "x" })),
            401,
            "unauthenticated",
        ),
        (client.get(url(&running, "/api/admin/other")), 404, "not_found"),
        (client.get(url(&running, "/api/nothing-here")), 404, "not_found"),
    ];
    for (request, status, code) in cases {
        let response = request.send().await.unwrap();
        let got = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_ascii(), "a Japanese message: {body}");
    }
    running.shutdown().await.unwrap();
}

/// The console learns here that it signs in with `POST /api/admin/sessions`.
#[tokio::test]
async fn the_console_configuration_says_password() {
    let data = tempfile::tempdir().unwrap();
    let running = start(data.path(), |_| {}).await;
    let client = reqwest::Client::new();
    let response = client.get(url(&running, "/admin/config.json")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("cache-control").as_deref(), Some("no-cache"));
    assert_eq!(header("content-type").as_deref(), Some("application/json; charset=utf-8"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("content-security-policy").as_deref(), Some(shared::http::CONTENT_SECURITY_POLICY));
    assert_eq!(response.text().await.unwrap(), r#"{"signIn":"password"}"#);
    let post = client.post(url(&running, "/admin/config.json")).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 405);
    running.shutdown().await.unwrap();
}
