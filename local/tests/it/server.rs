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

#[tokio::test]
async fn a_submission_is_stored_mailed_and_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let application = seed_application("restart@example.com");
    let key = "0d6f3c1e-5b7a-4f3e-9d2c-restart-0001";

    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let (status, created) = submit(&client, &running.url(), key, &application).await;
    assert_eq!(status, 201, "{created}");
    // Shutdown waits for the mails the submission started.
    running.shutdown().await.unwrap();

    let mails: Vec<_> = std::fs::read_dir(data.path().join("outbox")).unwrap().collect();
    assert_eq!(mails.len(), 2, "one acknowledgement and one operator notice");

    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let (status, replayed) = submit(&client, &running.url(), key, &application).await;
    assert_eq!((status, &replayed), (201, &created), "the same key and body replay after a restart");
    let (status, duplicate) = submit(&client, &running.url(), "another-key-0000000002", &application).await;
    assert_eq!((status, duplicate["error"]["code"].as_str()), (409, Some("duplicate_application")));
    running.shutdown().await.unwrap();
    let mails = std::fs::read_dir(data.path().join("outbox")).unwrap().count();
    assert_eq!(mails, 2, "a replay sends nothing");
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
    assert_eq!(headers.as_deref(), Some("content-type,idempotency-key"));
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
