//! The local server's defences (RELIABILITY.md, "Security review"): timeouts
//! for slow clients, private files, the purge of expired idempotency records,
//! and the headers and allow-list of what it serves.

use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A web directory like the checkout's: the page, a style sheet, and the
/// developers' notes that must not be served.
fn web_dir() -> tempfile::TempDir {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>フォーム</title>").unwrap();
    std::fs::create_dir(web.path().join("css")).unwrap();
    std::fs::write(web.path().join("css/form.css"), "body { color: black }").unwrap();
    std::fs::write(web.path().join("README.md"), "# notes for developers").unwrap();
    web
}

fn config(data: &Path, web: &Path) -> local::Config {
    let mut config = local::Config::new(0, data);
    config.web_dir = web.to_owned();
    config
}

/// Reads until the peer closes; returns what arrived and when it closed, or
/// fails when it is still open after `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, Instant) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (received, Instant::now()),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => panic!(
                "the connection is still open after {within:?}; received {:?}",
                String::from_utf8_lossy(&received)
            ),
        }
    }
}

#[tokio::test]
async fn a_half_sent_request_is_disconnected_after_the_header_timeout() {
    let (data, web) = (tempfile::tempdir().unwrap(), web_dir());
    let mut config = config(data.path(), web.path());
    let timeout = Duration::from_millis(500);
    config.header_read_timeout = timeout;
    let running = local::start(config).await.unwrap();

    // Half a request line, then nothing (slowloris).
    let mut stream = TcpStream::connect(running.addr).await.unwrap();
    let sent = Instant::now();
    stream.write_all(b"GET / HT").await.unwrap();
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let held = closed - sent;
    assert!(held >= timeout - Duration::from_millis(50), "closed by the timeout, not at once: {held:?}");

    // Whole headers but never the blank line that ends them.
    let mut stream = TcpStream::connect(running.addr).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n").await.unwrap();
    read_until_closed(&mut stream, Duration::from_secs(5)).await;

    // A kept-alive connection that sends no second request is closed too (idle),
    // once the timeout has passed, not right after its answer.
    let mut stream = TcpStream::connect(running.addr).await.unwrap();
    let sent = Instant::now();
    stream.write_all(b"GET /api/nothing HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with(b"HTTP/1.1 404"), "{}", String::from_utf8_lossy(&answer));
    let held = closed - sent;
    assert!(held >= timeout - Duration::from_millis(50), "kept alive until the timeout: {held:?}");

    // A normal client is unaffected.
    let response = reqwest::get(running.url()).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_body_sent_too_slowly_is_answered_408() {
    let (data, web) = (tempfile::tempdir().unwrap(), web_dir());
    let mut config = config(data.path(), web.path());
    config.body_read_timeout = Duration::from_millis(300);
    let running = local::start(config).await.unwrap();
    let mut stream = TcpStream::connect(running.addr).await.unwrap();
    let head = "POST /api/validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"{\"email\":").await.unwrap();
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"request_timeout\""), "{answer}");
    running.shutdown().await.unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[tokio::test]
async fn the_data_directory_and_its_files_are_the_owners_only() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let running = local::start(local::Config::new(0, &data)).await.unwrap();
    let application = test_support::seed_application_with_email("private@example.com");
    let response = reqwest::Client::new()
        .post(format!("{}api/applications", running.url()))
        .header("idempotency-key", "0d6f3c1e-5b7a-4f3e-9d2c-private-0001")
        .json(&application)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);

    assert_eq!(mode(&data), 0o700, "the data directory");
    assert_eq!(mode(&data.join(shared::keyed::KEY_FILE)), 0o600, "the identifier key");
    // While the store is open: the database and its write-ahead log and index.
    for file in ["applications.sqlite3", "applications.sqlite3-wal", "applications.sqlite3-shm"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    // Shutdown waits for the mail (the verification link).
    running.shutdown().await.unwrap();
    let outbox = data.join("outbox");
    assert_eq!(mode(&outbox), 0o700, "the outbox");
    let mails: Vec<_> = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(mails.len(), 1);
    for mail in mails {
        assert_eq!(mode(&mail), 0o600, "{}", mail.display());
    }

    // A database left 0644 by an older version is tightened at start.
    let database = data.join("applications.sqlite3");
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).unwrap();
    let running = local::start(local::Config::new(0, &data)).await.unwrap();
    assert_eq!(mode(&database), 0o600);
    running.shutdown().await.unwrap();
}

/// An idempotency record that expired an hour ago, written straight into the
/// database (a submission cannot make one).
fn insert_expired(database: &Path, key: &str) {
    let connection = rusqlite::Connection::open(database).unwrap();
    let expired = time::OffsetDateTime::now_utc().unix_timestamp() - 3_600;
    connection
        .execute(
            "INSERT INTO idempotency (key, requestHash, responseStatus, responseBody, expiresAt) VALUES (?1, 'h', 202, '{}', ?2)",
            rusqlite::params![key, expired],
        )
        .unwrap();
}

fn idempotency_keys(database: &Path) -> Vec<String> {
    let connection = rusqlite::Connection::open(database).unwrap();
    let mut query = connection.prepare("SELECT key FROM idempotency ORDER BY key").unwrap();
    query.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
}

#[tokio::test]
async fn expired_idempotency_records_are_purged_at_start_and_periodically() {
    let data = tempfile::tempdir().unwrap();
    let database = data.path().join(shared::store::sqlite::FILE_NAME);
    // The schema, then a record that expired while the server was stopped.
    drop(shared::store::sqlite::SqliteStore::open_dir(data.path()).unwrap());
    insert_expired(&database, "expired-before-start");
    assert_eq!(idempotency_keys(&database), ["expired-before-start"]);

    let mut config = local::Config::new(0, data.path());
    config.purge_every = Duration::from_millis(200);
    let running = local::start(config).await.unwrap();
    assert!(idempotency_keys(&database).is_empty(), "purged at start");

    // A record that expires while it runs goes at the next purge.
    insert_expired(&database, "expired-while-running");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !idempotency_keys(&database).is_empty() {
        assert!(Instant::now() < deadline, "not purged within 5 s: {:?}", idempotency_keys(&database));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn only_the_page_is_served_with_charset_nosniff_and_policies() {
    let (data, web) = (tempfile::tempdir().unwrap(), web_dir());
    let running = local::start(config(data.path(), web.path())).await.unwrap();
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("http://{}{path}", running.addr)).send();

    let policies = |response: &reqwest::Response, what: &str| {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
        assert_eq!(headers["permissions-policy"], shared::http::PERMISSIONS_POLICY, "{what}");
        assert!(headers.get("strict-transport-security").is_none(), "{what}: no HSTS over plain HTTP");
    };
    for (path, content_type) in
        [("/", "text/html; charset=utf-8"), ("/css/form.css", "text/css; charset=utf-8")]
    {
        let response = get(path).await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        policies(&response, path);
    }
    for path in ["/README.md", "/README%2Emd", "/css/../README.md", "/%2e%2e/Cargo.toml"] {
        let response = get(path).await.unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
        policies(&response, path);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
    let response =
        client.post(format!("{}api/validate", running.url())).json(&json!({})).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 422);
    policies(&response, "POST /api/validate");
    running.shutdown().await.unwrap();
}
