//! The local server over real HTTP: routes reach the functions' handlers, the
//! contract's envelope covers unknown routes and oversized bodies, and the form
//! is served with a strict CSP.

use serde_json::{Value, json};
use test_support::seed_application_with_email as seed_application;

struct Server {
    running: local::Running,
    client: reqwest::Client,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Server {
    async fn start() -> Server {
        Server::start_with_origins(&[]).await
    }

    async fn start_with_origins(allowed_origins: &[&str]) -> Server {
        let data = tempfile::tempdir().unwrap();
        let web = tempfile::tempdir().unwrap();
        std::fs::write(web.path().join("index.html"), "<!doctype html><title>フォーム</title>").unwrap();
        let mut config = local::Config::new(0, data.path());
        config.web_dir = web.path().to_owned();
        config.allowed_origins = allowed_origins.iter().map(|o| (*o).to_owned()).collect();
        let running = local::start(config).await.unwrap();
        Server { running, client: reqwest::Client::new(), _dirs: (data, web) }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.addr)
    }

    async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self.client.post(self.url(path)).json(body).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

#[tokio::test]
async fn validate_is_served_by_the_function_handler() {
    let server = Server::start().await;
    let (status, body) = server.post_json("/api/validate", &json!({})).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "email");
    server.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_api_route_is_a_404_envelope() {
    let server = Server::start().await;
    let (status, body) = server.post_json("/api/nothing-here", &json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn wrong_method_is_a_405_envelope() {
    let server = Server::start().await;
    let response = server.client.get(server.url("/api/validate")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn oversized_body_is_a_413_envelope() {
    let server = Server::start().await;
    let big = "a".repeat(100_000);
    let (status, body) = server.post_json("/api/validate", &json!({ "email": big })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("payload_too_large")));
}

#[tokio::test]
async fn the_form_is_served_with_a_strict_csp() {
    let server = Server::start().await;
    let response = server.client.get(server.url("/")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(response.text().await.unwrap().contains("フォーム"));
}

/// The checkout's `web/`: `default-src` stands in for neither `base-uri` nor
/// `form-action`, so the pages and the console say them outright.
#[tokio::test]
async fn pages_and_console_restrict_base_forms_and_plugins() {
    let data = tempfile::tempdir().unwrap();
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let client = reqwest::Client::new();
    for path in ["/", "/verify", "/documents", "/admin", "/admin/", "/admin/config.json"] {
        let response = client.get(format!("http://{}{path}", running.addr)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        let directives: Vec<&str> = csp.split("; ").collect();
        for directive in ["base-uri 'none'", "form-action 'self'", "object-src 'none'"] {
            assert!(directives.contains(&directive), "{path}: {directive} in {csp}");
        }
    }
    running.shutdown().await.unwrap();
}

/// The checkout's `web/` as the local server serves it: the icon a browser
/// asks for at `/favicon.ico` (and the one the pages link) is an image.
#[tokio::test]
async fn the_icon_is_served_as_an_image() {
    let data = tempfile::tempdir().unwrap();
    // The default `web_dir` is the checkout's.
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let client = reqwest::Client::new();
    for (path, content_type) in
        [("/favicon.ico", "image/x-icon"), ("/favicon.svg", "image/svg+xml; charset=utf-8")]
    {
        let response = client.get(format!("http://{}{path}", running.addr)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        assert!(!response.bytes().await.unwrap().is_empty(), "{path}");
    }
    running.shutdown().await.unwrap();
}

async fn submit(client: &reqwest::Client, url: &str, key: &str, body: &Value) -> (u16, Value) {
    let response = client
        .post(format!("{url}api/applications"))
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn outbox(data: &std::path::Path) -> Vec<String> {
    test_support::outbox_files(data)
}

#[tokio::test]
async fn a_submission_is_stored_mailed_and_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let application = seed_application("restart@example.com");
    let key = "0d6f3c1e-5b7a-4f3e-9d2c-restart-0001";

    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let (status, sent) = submit(&client, &running.url(), key, &application).await;
    assert_eq!(status, 202, "{sent}");
    assert_eq!(sent["status"], "verification_sent");
    // Shutdown waits for the mails the submission started.
    running.shutdown().await.unwrap();
    let mails = outbox(data.path());
    assert_eq!(mails.len(), 1, "the verification link: {mails:?}");
    assert!(mails[0].ends_with("-verification.eml"));

    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let (status, replayed) = submit(&client, &running.url(), key, &application).await;
    assert_eq!((status, &replayed), (202, &sent), "the same key and body replay after a restart");
    running.shutdown().await.unwrap();
    assert_eq!(outbox(data.path()), mails, "a replay sends nothing, nor does a restart");
}

/// At least once: a server killed (SIGKILL) after storing but before its mail
/// was written sends that mail when it starts again. The mail cannot be
/// written at first (a file stands where the outbox directory goes), so the
/// kill lands between storing and mailing every time.
#[tokio::test]
async fn a_mail_owed_by_a_killed_server_goes_out_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("outbox"), b"not a directory").unwrap();
    let port = test_support::free_port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_local"))
        .args(["--no-samples", "--port", &port.to_string(), "--data-dir"])
        .arg(data.path())
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the local server starts");
    let url = format!("http://127.0.0.1:{port}/");
    let client = reqwest::Client::new();
    let mut answer = None;
    for _ in 0..200 {
        if client.get(&url).send().await.is_ok() {
            answer = Some(
                submit(&client, &url, "killed-key-000000000001", &seed_application("killed@example.com"))
                    .await,
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, body) = answer.expect("the server answered");
    assert_eq!(status, 202, "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(!data.path().join("outbox").is_dir(), "nothing was mailed before the kill");

    std::fs::remove_file(data.path().join("outbox")).unwrap();
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    running.shutdown().await.unwrap();
    let mails = outbox(data.path());
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].ends_with("-verification.eml"));
    assert!(!mails.iter().any(|name| name.contains(".partial")), "no partial file");
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    running.shutdown().await.unwrap();
    assert_eq!(outbox(data.path()), mails, "sent once: the next start owes nothing");
}

/// The local server counts its peer's address as API Gateway counts `sourceIp`.
#[tokio::test]
async fn a_client_over_the_limit_gets_429_with_retry_after() {
    let data = tempfile::tempdir().unwrap();
    let mut config = local::Config::new(0, data.path());
    config.settings.limits.submissions_per_client = Some(1);
    let running = local::start(config).await.unwrap();
    let client = reqwest::Client::new();
    let (status, _) =
        submit(&client, &running.url(), "limited-key-00000000001", &seed_application("a@example.com")).await;
    assert_eq!(status, 202);
    let response = client
        .post(format!("{}api/applications", running.url()))
        .header("idempotency-key", "limited-key-00000000002")
        .json(&seed_application("b@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");
    running.shutdown().await.unwrap();
    assert_eq!(outbox(data.path()).len(), 1, "nothing mailed for the refused one");
}

#[tokio::test]
async fn postal_lookup_is_served() {
    let server = Server::start().await;
    let response = server.client.get(server.url("/api/postal/530-0011")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["addresses"][0]["town"], "大深町");
}

/// A preflight for `POST /api/applications` from `origin`; returns the answer's CORS headers.
async fn preflight(server: &Server, origin: &str) -> (Option<String>, Option<String>) {
    let response = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/api/applications"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,idempotency-key")
        .send()
        .await
        .unwrap();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    (header("access-control-allow-origin"), header("access-control-allow-headers"))
}

#[tokio::test]
async fn cors_is_granted_to_listed_origins_only() {
    let listed = "https://partners.example.jp";
    let server = Server::start_with_origins(&[listed, "http://localhost:8080"]).await;

    let (origin, headers) = preflight(&server, listed).await;
    assert_eq!(origin.as_deref(), Some(listed));
    // The shared list (the template's too): the form's headers and the console's bearer token.
    assert_eq!(headers, Some(shared::routes::cors::ALLOW_HEADERS.join(",")));
    assert_eq!(preflight(&server, "https://evil.example").await.0, None);
    assert_eq!(preflight(&server, "https://partners.example.jp.evil.example").await.0, None);

    let response = server
        .client
        .post(server.url("/api/validate"))
        .header("origin", listed)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(response.headers()["access-control-allow-origin"], listed);
    assert!(response.headers()["access-control-expose-headers"].to_str().unwrap().contains("retry-after"));
    server.running.shutdown().await.unwrap();

    // Without a list, no origin gets CORS (the form is same-origin).
    let server = Server::start().await;
    assert_eq!(preflight(&server, listed).await.0, None);
    server.running.shutdown().await.unwrap();
}
