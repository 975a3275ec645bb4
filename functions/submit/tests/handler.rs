//! The submit handler end to end: API Gateway events from `events/` through
//! `Handler::handle` into a real DynamoDB endpoint (moto, a table per test),
//! checked by reading the table back with the SDK.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use shared::store::dynamodb::DynamoStore;
use shared::store::layout::{self, attr};
use shared::store::sqlite::SqliteStore;
use shared::store::{Store, StoredApplication};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use submit::Handler;

type Item = HashMap<String, AttributeValue>;

fn event(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn request(event: &Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).expect("an API Gateway event")
}

/// The valid event with another key and, optionally, other body values.
fn submission(key: &str, changes: Value) -> Request {
    let mut event = event("submit-valid.json");
    let mut body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    for (name, value) in changes.as_object().unwrap() {
        body[name] = value.clone();
    }
    event["body"] = Value::String(body.to_string());
    event["headers"]["idempotency-key"] = Value::String(key.to_owned());
    request(&event)
}

struct Answer {
    status: StatusCode,
    body: Value,
    raw: Vec<u8>,
    replayed: bool,
    retry_after: Option<String>,
}

fn answer(response: Response<Body>) -> Answer {
    let raw = response.body().to_vec();
    Answer {
        status: response.status(),
        body: serde_json::from_slice(&raw).expect("a JSON body"),
        raw,
        replayed: response.headers().get("idempotent-replayed").is_some_and(|v| v == "true"),
        retry_after: response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned()),
    }
}

/// A handler on a fresh table, counting the `after_created` calls.
struct Setup {
    handler: Arc<Handler>,
    store: DynamoStore,
    created: Arc<AtomicUsize>,
}

async fn setup() -> Setup {
    let store = test_support::moto::fresh_store().await;
    let created = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&created);
    let handler =
        Handler::new(Arc::new(store.clone())).after_created(Arc::new(move |_: StoredApplication| {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
    Setup { handler: Arc::new(handler), store, created }
}

impl Setup {
    async fn call(&self, req: Request) -> Answer {
        answer(self.handler.handle(req).await)
    }

    async fn items(&self) -> Vec<Item> {
        let output =
            self.store.client().scan().table_name(self.store.table()).consistent_read(true).send().await;
        output.unwrap().items.unwrap_or_default()
    }

    async fn applications(&self) -> Vec<Item> {
        let items = self.items().await;
        items
            .into_iter()
            .filter(|item| layout::is_application_item(text(item, layout::PARTITION_KEY)))
            .collect()
    }
}

fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    match item.get(name) {
        Some(AttributeValue::S(s) | AttributeValue::N(s)) => s,
        other => panic!("{name}: {other:?}"),
    }
}

const KEY: &str = "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_answers_201_and_the_item_has_every_field() {
    let s = setup().await;
    let a = s.call(request(&event("submit-valid.json"))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert!(!a.replayed);
    let id = a.body["applicationId"].as_str().unwrap();
    let number = a.body["receptionNumber"].as_str().unwrap();
    let received_at = a.body["receivedAt"].as_str().unwrap();
    assert_eq!(a.body.as_object().unwrap().len(), 3);
    assert_eq!(id.len(), 26);
    assert!(shared::domain::ReceptionNumber::parse(number).is_some() && number.len() <= 16, "{number}");
    assert!(received_at.ends_with("+09:00") && received_at.len() == 25, "{received_at}");

    let applications = s.applications().await;
    assert_eq!(applications.len(), 1);
    let item = &applications[0];
    let want = [
        (layout::PARTITION_KEY, format!("APP#{id}")),
        (layout::SORT_KEY, "APPLICATION".into()),
        (attr::APPLICATION_ID, id.into()),
        (attr::RECEPTION_NUMBER, number.into()),
        (attr::RECEIVED_AT, received_at.into()),
        (attr::UPDATED_AT, received_at.into()),
        (attr::TERMS_AGREED_AT, received_at.into()),
        (attr::STATUS, "received".into()),
        ("email", "sample@example.com".into()),
        ("contractType", "corporation".into()),
        ("corporateName", "エックスサーバー株式会社".into()),
        ("corporateNameKana", "エックスサーバーカブシキガイシャ".into()),
        ("lastName", "山田".into()),
        ("firstName", "太郎".into()),
        ("lastNameKana", "ヤマダ".into()),
        ("firstNameKana", "タロウ".into()),
        ("postalCode", "530-0011".into()),
        ("addressRegion", "大阪府大阪市北区".into()),
        ("addressStreet", "大深町4-20".into()),
        ("addressBuilding", "グランフロント大阪 タワーA 32F".into()),
        ("phone", "06-6292-8811".into()),
        ("invoiceNumber", "T7000012050002".into()),
        ("employeeCount", "30".into()),
        ("annualReferralCount", "10".into()),
    ];
    for (name, value) in &want {
        assert_eq!(text(item, name), value, "{name}");
    }
    assert_eq!(item.len(), want.len(), "no other attributes: {:?}", item.keys());
    assert!(matches!(item["employeeCount"], AttributeValue::N(_)));

    // Four items in all: the application, its email, its reception number and
    // the idempotency record; none holds the raw body or the client's IP.
    let items = s.items().await;
    assert_eq!(items.len(), 4);
    for item in &items {
        for value in item.values() {
            let debug = format!("{value:?}");
            assert!(!debug.contains("192.0.2.10") && !debug.contains("emailConfirmation"), "{debug}");
        }
        assert!(!text(item, layout::PARTITION_KEY).contains("sample@example.com"));
    }
    let idempotency =
        items.iter().find(|i| text(i, layout::PARTITION_KEY) == format!("IDEMPOTENCY#{KEY}")).unwrap();
    assert_eq!(text(idempotency, attr::RESPONSE_BODY).as_bytes(), a.raw.as_slice());
    let expires: i64 = text(idempotency, attr::EXPIRES_AT).parse().unwrap();
    let in_a_day = time::OffsetDateTime::now_utc().unix_timestamp() + 24 * 60 * 60;
    assert!((in_a_day - 5..=in_a_day).contains(&expires), "TTL 24 h");
    assert_eq!(s.created.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replay_returns_the_identical_body() {
    let s = setup().await;
    let first = s.call(request(&event("submit-valid.json"))).await;
    assert_eq!(first.status, StatusCode::CREATED);
    // The same answer, however the same application is spelled.
    let again =
        s.call(submission(KEY, json!({"phone": "０６（６２９２）８８１１", "employeeCount": "30"}))).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.raw, first.raw);
    assert!(again.replayed);
    assert_eq!(s.items().await.len(), 4);
    assert_eq!(s.created.load(Ordering::SeqCst), 1, "notified once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_key_with_another_body_is_rejected() {
    let s = setup().await;
    assert_eq!(s.call(request(&event("submit-valid.json"))).await.status, StatusCode::CREATED);
    let other = s.call(submission(KEY, json!({"firstName": "花子"}))).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.body["error"]["code"], "idempotency_key_reused");
    assert!(other.body["error"]["message"].as_str().unwrap().contains("識別情報"));
    assert_eq!(s.items().await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_duplicate_email_gets_409_and_nothing_new_is_written() {
    let s = setup().await;
    assert_eq!(s.call(request(&event("submit-valid.json"))).await.status, StatusCode::CREATED);
    let before = s.items().await;
    let duplicate = s
        .call(submission(
            "another-key-0000000001",
            json!({"email": "Sample@EXAMPLE.com", "emailConfirmation": "Sample@example.com", "lastName": "佐藤"}),
        ))
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.body["error"]["code"], "duplicate_application");
    assert!(duplicate.body["error"]["message"].as_str().unwrap().contains("すでに受け付けて"));
    let mut after = s.items().await;
    let key = |item: &Item| text(item, layout::PARTITION_KEY).to_owned();
    let mut before = before;
    before.sort_by_key(key);
    after.sort_by_key(key);
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_submissions_with_one_key_store_one_application() {
    let s = setup().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let handler = Arc::clone(&s.handler);
        tasks.spawn(async move { answer(handler.handle(request(&event("submit-valid.json"))).await) });
    }
    let answers = tasks.join_all().await;
    let ids: std::collections::HashSet<String> =
        answers.iter().map(|a| a.body["applicationId"].as_str().unwrap_or("none").to_owned()).collect();
    assert!(
        answers.iter().all(|a| a.status == StatusCode::CREATED),
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    assert_eq!(ids.len(), 1, "every response carries the same applicationId: {ids:?}");
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1);
    let applications = s.applications().await;
    assert_eq!(applications.len(), 1);
    assert_eq!(text(&applications[0], attr::APPLICATION_ID), ids.iter().next().unwrap());
    assert_eq!(s.created.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_submissions_with_one_email_store_one_application() {
    let s = setup().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let handler = Arc::clone(&s.handler);
        let req = submission(&format!("concurrent-email-key-{i:02}"), json!({}));
        tasks.spawn(async move { answer(handler.handle(req).await) });
    }
    let answers = tasks.join_all().await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");
    assert_eq!(s.applications().await.len(), 1);
    assert_eq!(s.items().await.len(), 4, "only the winner's four items");
}

async fn unavailable_store(endpoint: &str) -> Handler {
    let client = test_support::moto::dynamodb_client(endpoint).await;
    Handler::new(Arc::new(DynamoStore::new(client, "applications")))
}

#[tokio::test]
async fn an_unreachable_endpoint_gives_503_never_201() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let handler = unavailable_store(&format!("http://127.0.0.1:{port}")).await;
    let started = Instant::now();
    let a = answer(handler.handle(request(&event("submit-valid.json"))).await);
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(a.body["error"]["code"], "unavailable");
    assert_eq!(a.retry_after.as_deref(), Some("5"));
    assert!(started.elapsed() < Duration::from_secs(5), "answered quickly: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_stalled_endpoint_gives_503_within_the_timeout() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&held);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            keep.lock().unwrap().push(stream);
        }
    });
    let handler = unavailable_store(&endpoint).await;
    let started = Instant::now();
    let a = answer(handler.handle(request(&event("submit-valid.json"))).await);
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(a.retry_after.as_deref(), Some("5"));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "bounded by the SDK timeouts: {:?}",
        started.elapsed()
    );
    assert!(!held.lock().unwrap().is_empty(), "the request reached the stalled endpoint");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_honeypot_submission_looks_accepted_and_stores_nothing() {
    let s = setup().await;
    let a = s.call(request(&event("submit-honeypot.json"))).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.body.as_object().unwrap().len(), 3);
    assert_eq!(a.body["applicationId"].as_str().unwrap().len(), 26);
    assert!(shared::domain::ReceptionNumber::parse(a.body["receptionNumber"].as_str().unwrap()).is_some());
    assert!(s.items().await.is_empty());
    assert_eq!(s.created.load(Ordering::SeqCst), 0);
    // The real applicant with that address is not blocked by the bot.
    assert_eq!(s.call(request(&event("submit-valid.json"))).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn invalid_applications_get_exactly_what_validate_answers() {
    let dir = tempfile::tempdir().unwrap();
    let handler = Handler::new(Arc::new(SqliteStore::open_dir(dir.path()).unwrap()));
    let bodies = [
        json!({"email": "not-an-address", "employeeCount": -1, "website": "x"}),
        json!({}),
        json!({"unknown": 1}),
    ];
    for body in bodies {
        let mut submit_event = event("submit-valid.json");
        submit_event["body"] = Value::String(body.to_string());
        let mut validate_event = event("validate-valid.json");
        validate_event["body"] = Value::String(body.to_string());
        let submitted = handler.handle(request(&submit_event)).await;
        let validated = validate::handle(request(&validate_event)).await;
        assert_eq!(submitted.status(), validated.status(), "{body}");
        assert_eq!(submitted.body().as_ref(), validated.body().as_ref(), "{body}");
    }
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    assert!(store.list_by_status(shared::domain::Status::Received, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn idempotency_key_and_method_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let handler = Handler::new(Arc::new(SqliteStore::open_dir(dir.path()).unwrap()));
    let missing = answer(handler.handle(request(&event("submit-missing-key.json"))).await);
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["error"]["code"], "missing_idempotency_key");
    let short = answer(handler.handle(submission("short", json!({}))).await);
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert_eq!(short.body["error"]["code"], "invalid_idempotency_key");
    let mut get = event("submit-valid.json");
    get["requestContext"]["http"]["method"] = json!("GET");
    let wrong_method = handler.handle(request(&get)).await;
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_embedded_store_serves_the_same_handler() {
    let dir = tempfile::tempdir().unwrap();
    let stored = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&stored);
    let store = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
    let handler =
        Handler::new(store.clone()).after_created(Arc::new(move |application: StoredApplication| {
            sink.lock().unwrap().push(application)
        }));
    let first = answer(handler.handle(request(&event("submit-valid.json"))).await);
    assert_eq!(first.status, StatusCode::CREATED);
    let again = answer(handler.handle(request(&event("submit-valid.json"))).await);
    assert_eq!((again.raw == first.raw, again.replayed), (true, true));
    let stored = stored.lock().unwrap().clone();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].receipt.application_id.to_string(), first.body["applicationId"]);
    let read_back = store.get(stored[0].receipt.application_id).await.unwrap();
    assert_eq!(read_back.as_ref(), Some(&stored[0]));
}
