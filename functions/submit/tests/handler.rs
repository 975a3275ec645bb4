//! The submission and verification handler end to end: API Gateway events from
//! `events/` through `Handler::handle` into a real DynamoDB endpoint (moto, a
//! table per test), checked by reading the table back with the SDK.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use shared::domain::{ApplicationId, ReceptionNumber, Status, Timestamp};
use shared::keyed::IdentifierKey;
use shared::limits::RateLimits;
use shared::mail::MailEvent;
use shared::store::dynamodb::DynamoStore;
use shared::store::layout::{self, attr};
use shared::store::sqlite::SqliteStore;
use shared::store::{MailLedger, Tooling};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use submit::{Handler, Settings};

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
    from_ip(key, "192.0.2.10", changes)
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

/// A request to one of the verification routes with this token.
fn verification(path: &str, token: &str) -> Request {
    let mut event = event("submit-valid.json");
    event["rawPath"] = json!(path);
    event["routeKey"] = json!(format!("POST {path}"));
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["routeKey"] = json!(format!("POST {path}"));
    event["body"] = Value::String(json!({ "token": token }).to_string());
    event["headers"].as_object_mut().unwrap().remove("idempotency-key");
    request(&event)
}

fn preview(token: &str) -> Request {
    verification("/api/verifications/preview", token)
}

fn confirm(token: &str) -> Request {
    verification("/api/verifications", token)
}

/// The valid event with another key, source address and, optionally, other body values.
fn from_ip(key: &str, ip: &str, changes: Value) -> Request {
    let mut event = event("submit-valid.json");
    let mut body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    for (name, value) in changes.as_object().unwrap() {
        body[name] = value.clone();
    }
    event["body"] = Value::String(body.to_string());
    event["headers"]["idempotency-key"] = Value::String(key.to_owned());
    event["requestContext"]["http"]["sourceIp"] = json!(ip);
    request(&event)
}

fn key() -> IdentifierKey {
    IdentifierKey::for_tests()
}

/// A handler on a fresh table, recording the events it hands on for mailing.
struct Setup {
    handler: Arc<Handler>,
    store: DynamoStore,
    events: Arc<Mutex<Vec<MailEvent>>>,
}

async fn setup_with(settings: Settings) -> Setup {
    let store = test_support::moto::fresh_store().await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let handler = Handler::new(Arc::new(store.clone()), Arc::new(key()), settings)
        .after_event(Arc::new(move |event| sink.lock().unwrap().push(event)));
    Setup { handler: Arc::new(handler), store, events }
}

async fn setup() -> Setup {
    setup_with(Settings::default().unlimited()).await
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

    /// Every item but the rate-limit counters.
    async fn kept(&self) -> Vec<Item> {
        let items = self.items().await;
        items
            .into_iter()
            .filter(|item| !text(item, layout::PARTITION_KEY).starts_with(layout::RATE_PREFIX))
            .collect()
    }

    async fn applications(&self) -> Vec<Item> {
        let items = self.items().await;
        items
            .into_iter()
            .filter(|item| layout::is_application_item(text(item, layout::PARTITION_KEY)))
            .collect()
    }

    fn events(&self) -> Vec<MailEvent> {
        self.events.lock().unwrap().clone()
    }

    /// The token the verification mail of the only application would carry.
    async fn token(&self) -> String {
        let applications = self.applications().await;
        assert_eq!(applications.len(), 1);
        let id = ApplicationId::parse(text(&applications[0], attr::APPLICATION_ID)).unwrap();
        key().verification_token(id).as_str().to_owned()
    }
}

fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    match item.get(name) {
        Some(AttributeValue::S(s) | AttributeValue::N(s)) => s,
        other => panic!("{name}: {other:?}"),
    }
}

const KEY: &str = "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c";

fn assert_sent(a: &Answer) -> Timestamp {
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    assert_eq!(a.body["status"], "verification_sent");
    assert_eq!(a.body.as_object().unwrap().len(), 2, "{}", a.body);
    Timestamp::parse(a.body["expiresAt"].as_str().unwrap()).expect("an RFC 3339 time in JST")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_submission_answers_202_and_stores_an_unverified_application() {
    let s = setup().await;
    let a = s.call(request(&event("submit-valid.json"))).await;
    let expires_at = assert_sent(&a);
    let in_a_day = Timestamp::now().plus_secs(24 * 3600);
    assert!((in_a_day.epoch() - 5..=in_a_day.epoch()).contains(&expires_at.epoch()), "24 h by default");
    assert!(!a.replayed);

    let applications = s.applications().await;
    assert_eq!(applications.len(), 1);
    let item = &applications[0];
    let id = text(item, attr::APPLICATION_ID).to_owned();
    let received_at = text(item, attr::RECEIVED_AT).to_owned();
    let want = [
        (layout::PARTITION_KEY, format!("APP#{id}")),
        (layout::SORT_KEY, "APPLICATION".into()),
        (attr::STATUS, "awaiting_verification".into()),
        (attr::VERSION, "1".into()),
        (attr::EXPIRES_AT, expires_at.epoch().to_string()),
        (attr::UPDATED_AT, received_at.clone()),
        (attr::TERMS_AGREED_AT, received_at.clone()),
        ("email", "sample@example.com".into()),
        ("corporateName", "エックスサーバー株式会社".into()),
        ("postalCode", "530-0011".into()),
        ("phone", "06-6292-8811".into()),
        ("employeeCount", "30".into()),
    ];
    for (name, value) in &want {
        assert_eq!(text(item, name), value, "{name}");
    }
    assert!(ReceptionNumber::parse(text(item, attr::RECEPTION_NUMBER)).is_some());
    assert!(matches!(item["employeeCount"], AttributeValue::N(_)));

    // Five items: the application, the reservations of its address and its
    // number, its token's hash and the idempotency record. None holds the raw
    // body, the client's IP, the token itself, or the address in a key.
    let token = s.token().await;
    let items = s.kept().await;
    assert_eq!(items.len(), 5, "{items:#?}");
    for item in &s.items().await {
        for value in item.values() {
            let debug = format!("{value:?}");
            assert!(!debug.contains("192.0.2.10") && !debug.contains("emailConfirmation"), "{debug}");
            assert!(!debug.contains(&token), "the token is stored only as a hash");
        }
        assert!(!text(item, layout::PARTITION_KEY).to_lowercase().contains("sample"));
        // Not the unsalted SHA-256 of the address (testable against a list of
        // candidates), as before: a keyed hash under the identifier key.
        assert!(!text(item, layout::PARTITION_KEY).contains(&layout::sha256_hex(b"sample@example.com")));
    }
    let reservation = format!(
        "EMAIL#{}",
        key()
            .email(
                &shared::domain::Email::parse_text(shared::domain::Field::Email, "sample@example.com")
                    .unwrap()
            )
            .as_str()
    );
    assert!(
        items.iter().any(|i| text(i, layout::PARTITION_KEY) == reservation),
        "the HMAC reserves the address"
    );
    let idempotency =
        items.iter().find(|i| text(i, layout::PARTITION_KEY) == format!("IDEMPOTENCY#{KEY}")).unwrap();
    assert_eq!(text(idempotency, attr::RESPONSE_BODY).as_bytes(), a.raw.as_slice());
    // What the request asked is kept as a keyed hash: the plain SHA-256 of the
    // normalised application could be matched against a guessed one for a day
    // after an erasure.
    let normalised =
        serde_json::to_vec(&shared::store::dynamodb::decode_application(item).unwrap().application).unwrap();
    assert_eq!(text(idempotency, attr::REQUEST_HASH), key().request_hash(&normalised).as_str());
    assert_ne!(text(idempotency, attr::REQUEST_HASH), layout::sha256_hex(&normalised));
    assert_eq!(s.events(), [MailEvent::Submitted(ApplicationId::parse(&id).unwrap())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replay_returns_the_identical_body() {
    let s = setup().await;
    let first = s.call(request(&event("submit-valid.json"))).await;
    assert_sent(&first);
    // The same answer, however the same application is spelled.
    let again =
        s.call(submission(KEY, json!({"phone": "０６（６２９２）８８１１", "employeeCount": "30"}))).await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    assert_eq!(again.raw, first.raw);
    assert!(again.replayed);
    assert_eq!(s.kept().await.len(), 5);
    // The replay hands the same event on again; delivery's markers mail it once.
    let events = s.events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0], events[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_key_with_another_body_is_rejected() {
    let s = setup().await;
    assert_sent(&s.call(request(&event("submit-valid.json"))).await);
    let other = s.call(submission(KEY, json!({"firstName": "花子"}))).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.body["error"]["code"], "idempotency_key_reused");
    assert!(other.body["error"]["message"].as_str().unwrap().contains("識別情報"));
    assert_eq!(s.kept().await.len(), 5);
}

/// What a stranger can learn by submitting someone's address: nothing. The
/// answer has the same status and shape for a new, an unverified and a
/// verified address; only the mail to that address differs.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_answer_is_the_same_whatever_the_address_has_done() {
    let s = setup().await;
    let new = s.call(submission("first-key-00000000001", json!({}))).await;
    let unverified = s
        .call(submission(
            "second-key-0000000001",
            json!({"email": "Sample@EXAMPLE.com", "emailConfirmation": "Sample@example.com"}),
        ))
        .await;
    let token = s.token().await;
    assert_eq!(s.call(confirm(&token)).await.status, StatusCode::OK);
    let verified = s.call(submission("third-key-00000000001", json!({"lastName": "佐藤"}))).await;
    for answer in [&new, &unverified, &verified] {
        assert_sent(answer);
        assert!(!answer.replayed);
    }
    let shape = |a: &Answer| a.body.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(shape(&new), shape(&verified));
    assert_eq!(shape(&unverified), shape(&verified));
    let events = s.events();
    assert!(
        matches!(
            events.as_slice(),
            [MailEvent::Submitted(a), MailEvent::Submitted(b), MailEvent::Confirmed(c), MailEvent::AlreadyReceived(_)]
                if a != b && b == c
        ),
        "{events:?}"
    );
    assert_eq!(s.applications().await.len(), 1, "the verified application only; 佐藤 was not kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn preview_shows_and_confirm_receives_once() {
    let s = setup().await;
    assert_sent(&s.call(request(&event("submit-valid.json"))).await);
    let token = s.token().await;

    let shown = s.call(preview(&token)).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(shown.body["application"]["corporateName"], "エックスサーバー株式会社");
    assert_eq!(shown.body["status"], "awaiting_verification");
    assert!(shown.body["expiresAt"].as_str().unwrap().ends_with("+09:00"));
    assert_eq!(s.call(preview(&token)).await.raw, shown.raw, "preview changes nothing");
    assert_eq!(s.events().len(), 1);

    let confirmed = s.call(confirm(&token.to_uppercase())).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(confirmed.body["status"], "received");
    assert_eq!(confirmed.body.as_object().unwrap().len(), 4);
    let applications = s.applications().await;
    assert_eq!(confirmed.body["applicationId"], text(&applications[0], attr::APPLICATION_ID));
    assert_eq!(confirmed.body["receptionNumber"], text(&applications[0], attr::RECEPTION_NUMBER));
    assert_eq!(confirmed.body["receivedAt"], text(&applications[0], attr::RECEIVED_AT));
    assert_eq!(text(&applications[0], attr::STATUS), "received");
    assert_eq!(text(&applications[0], attr::VERSION), "2");
    assert!(!applications[0].contains_key(attr::EXPIRES_AT), "a verified application does not expire");

    let again = s.call(confirm(&token)).await;
    assert_eq!((again.status, again.raw == confirmed.raw), (StatusCode::OK, true), "idempotent");
    let events = s.events();
    assert_eq!(events.iter().filter(|e| matches!(e, MailEvent::Confirmed(_))).count(), 1, "{events:?}");
    // The used link no longer shows the application: the status and the
    // reception number only (contract v3).
    let used = s.call(preview(&token)).await;
    assert_eq!(used.status, StatusCode::OK, "{}", used.body);
    assert_eq!(
        used.body,
        serde_json::json!({ "status": "received", "receptionNumber": confirmed.body["receptionNumber"] })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_superseded_expired_and_malformed_tokens() {
    let s = setup().await;
    let unknown = key().verification_token(ApplicationId::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap());
    for req in [preview(unknown.as_str()), confirm(unknown.as_str())] {
        let a = s.call(req).await;
        assert_eq!(
            (a.status, a.body["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("verification_not_found"))
        );
    }
    assert_sent(&s.call(submission("first-key-00000000001", json!({}))).await);
    let superseded = s.token().await;
    assert_sent(&s.call(submission("second-key-0000000001", json!({}))).await);
    let a = s.call(confirm(&superseded)).await;
    assert_eq!(a.body["error"]["code"], "verification_not_found");
    assert!(a.body["error"]["message"].as_str().unwrap().contains("もう一度お申し込み"));

    for bad in ["", "abc", &"z".repeat(64), &format!("{superseded}0")] {
        let a = s.call(preview(bad)).await;
        assert_eq!(
            (a.status, a.body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_request")),
            "{bad}"
        );
    }
    let mut extra = verification("/api/verifications", &superseded);
    *extra.body_mut() = Body::Text(json!({"token": superseded, "more": 1}).to_string());
    assert_eq!(s.call(extra).await.status, StatusCode::BAD_REQUEST);

    let expired = setup_with(Settings { verification_ttl_secs: -1, ..Settings::default().unlimited() }).await;
    assert_sent(&expired.call(request(&event("submit-valid.json"))).await);
    let token = expired.token().await;
    for req in [preview(&token), confirm(&token)] {
        let a = expired.call(req).await;
        assert_eq!(
            (a.status, a.body["error"]["code"].as_str()),
            (StatusCode::GONE, Some("verification_expired"))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_over_its_limit_gets_429_and_nothing_is_stored_or_mailed() {
    let limits = RateLimits {
        submissions_per_client: Some(2),
        submissions_total: Some(3),
        submissions_per_address: None,
        verifications_per_client: Some(2),
    };
    let s = setup_with(Settings { limits, ..Settings::default() }).await;
    for (i, email) in ["a@example.com", "b@example.com"].into_iter().enumerate() {
        let req = from_ip(
            &format!("limit-key-0000000000{i}"),
            "203.0.113.9",
            json!({"email": email, "emailConfirmation": email}),
        );
        assert_sent(&s.call(req).await);
    }
    let before = s.kept().await.len();
    let refused = s
        .call(from_ip(
            "limit-key-00000000009",
            "203.0.113.9",
            json!({"email": "c@example.com", "emailConfirmation": "c@example.com"}),
        ))
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.body["error"]["code"], "too_many_requests");
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("しばらく"));
    let retry_after: u64 = refused.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(s.kept().await.len(), before, "nothing stored");
    assert_eq!(s.events().len(), 2, "nothing mailed");
    // Another client is still served, until the service's total is reached.
    assert_sent(
        &s.call(from_ip(
            "limit-key-00000000010",
            "198.51.100.7",
            json!({"email": "d@example.com", "emailConfirmation": "d@example.com"}),
        ))
        .await,
    );
    let total = s
        .call(from_ip(
            "limit-key-00000000011",
            "198.51.100.8",
            json!({"email": "e@example.com", "emailConfirmation": "e@example.com"}),
        ))
        .await;
    assert_eq!(total.status, StatusCode::TOO_MANY_REQUESTS);
    // The counters hold keyed hashes, never an address.
    for item in s.items().await {
        let pk = text(&item, layout::PARTITION_KEY);
        assert!(!pk.contains("203.0.113.9") && !pk.contains("198.51.100"), "{pk}");
    }
    // Verification attempts are limited per client too.
    let guess = "0".repeat(64);
    for expected in [StatusCode::NOT_FOUND, StatusCode::NOT_FOUND, StatusCode::TOO_MANY_REQUESTS] {
        let mut req = confirm(&guess);
        if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
            req.extensions_mut().get_mut()
        {
            context.http.source_ip = Some("203.0.113.50".into());
        }
        assert_eq!(s.call(req).await.status, expected);
    }
}

/// The contract's default, 3 per address and hour, from any number of clients:
/// the fourth is refused before anything is stored or mailed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_gets_at_most_three_submissions_an_hour_from_any_client() {
    let s = setup_with(Settings::default()).await;
    assert_eq!(Settings::default().limits.submissions_per_address, Some(3));
    let victim = |i: usize, email: &str| {
        from_ip(
            &format!("address-key-000000000{i}"),
            &format!("198.51.100.{i}"),
            json!({"email": email, "emailConfirmation": email}),
        )
    };
    for i in 0..3 {
        assert_sent(&s.call(victim(i, "victim@example.com")).await);
    }
    let kept = s.kept().await;
    let mailed = s.events().len();
    // The same mailbox, however it is spelled.
    for (i, email) in [(3, "victim@example.com"), (4, "Victim@Example.COM")] {
        let refused = s.call(victim(i, email)).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{email}: {}", refused.body);
        assert_eq!(refused.body["error"]["code"], "too_many_requests");
        assert!(refused.body["error"]["message"].as_str().unwrap().contains("しばらく"));
        assert!(refused.retry_after.is_some());
    }
    assert_eq!(s.kept().await, kept, "nothing stored");
    assert_eq!(s.events().len(), mailed, "nothing mailed");
    // Another address is served; no counter names either address.
    assert_sent(&s.call(victim(5, "other@example.com")).await);
    for item in s.items().await {
        let pk = text(&item, layout::PARTITION_KEY);
        assert!(!pk.contains("victim") && !pk.contains("other@"), "{pk}");
    }
}

/// An IPv6 client is counted by its /64: a new address in the same network
/// is the same client.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ipv6_client_cannot_evade_its_limit_with_new_addresses() {
    let limits = RateLimits { submissions_per_client: Some(2), ..RateLimits::OFF };
    let s = setup_with(Settings { limits, ..Settings::default() }).await;
    let submit = |i: usize, ip: &str| {
        let email = format!("v6-{i}@example.com");
        from_ip(&format!("ipv6-key-00000000000{i}"), ip, json!({"email": email, "emailConfirmation": email}))
    };
    assert_sent(&s.call(submit(0, "2001:db8:1:2::1")).await);
    assert_sent(&s.call(submit(1, "2001:db8:1:2::2")).await);
    let refused = s.call(submit(2, "2001:db8:1:2:ffff:ffff:ffff:fffe")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "too_many_requests");
    // The next /64 is another client.
    assert_sent(&s.call(submit(3, "2001:db8:1:3::1")).await);
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
    assert!(
        answers.iter().all(|a| a.status == StatusCode::ACCEPTED),
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    assert!(answers.iter().all(|a| a.raw == answers[0].raw), "every response is the stored one");
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1);
    assert_eq!(s.applications().await.len(), 1);
    // One event, handed on by each answer (the replays' too).
    let events = s.events();
    assert_eq!(events.len(), 20);
    assert!(events.iter().all(|event| *event == events[0]), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_submissions_with_one_email_leave_one_application() {
    let s = setup().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let handler = Arc::clone(&s.handler);
        let req = submission(&format!("concurrent-email-key-{i:02}"), json!({}));
        tasks.spawn(async move { answer(handler.handle(req).await) });
    }
    let answers = tasks.join_all().await;
    for a in &answers {
        assert_sent(a);
    }
    assert_eq!(s.applications().await.len(), 1, "one application per address");
    let tokens = s
        .kept()
        .await
        .into_iter()
        .filter(|i| text(i, layout::PARTITION_KEY).starts_with(layout::TOKEN_PREFIX))
        .count();
    assert_eq!(tokens, 1, "one live link");
}

async fn unavailable_store(endpoint: &str) -> Handler {
    let client = test_support::moto::dynamodb_client(endpoint).await;
    Handler::new(Arc::new(DynamoStore::new(client, "applications")), Arc::new(key()), Settings::default())
}

#[tokio::test]
async fn an_unreachable_endpoint_gives_503_never_202() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let handler = unavailable_store(&format!("http://127.0.0.1:{port}")).await;
    let started = Instant::now();
    for req in [request(&event("submit-valid.json")), confirm(&"a".repeat(64))] {
        let a = answer(handler.handle(req).await);
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(a.body["error"]["code"], "unavailable");
        assert_eq!(a.retry_after.as_deref(), Some("5"));
    }
    assert!(started.elapsed() < Duration::from_secs(10), "answered quickly: {:?}", started.elapsed());
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
    assert_sent(&a);
    assert!(s.items().await.is_empty());
    assert!(s.events().is_empty());
    // The real applicant with that address is not blocked by the bot.
    assert_sent(&s.call(request(&event("submit-valid.json"))).await);
    assert_eq!(s.applications().await.len(), 1);
}

fn sqlite_handler(dir: &std::path::Path) -> Handler {
    Handler::new(Arc::new(SqliteStore::open_dir(dir).unwrap()), Arc::new(key()), Settings::default())
}

#[tokio::test]
async fn invalid_applications_get_exactly_what_validate_answers() {
    let dir = tempfile::tempdir().unwrap();
    let handler = sqlite_handler(dir.path());
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
    assert!(store.list_by_status(Status::AwaitingVerification, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn idempotency_key_and_method_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let handler = sqlite_handler(dir.path());
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
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let store = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
    let handler = Handler::new(store.clone(), Arc::new(key()), Settings::default())
        .after_event(Arc::new(move |event| sink.lock().unwrap().push(event)));
    let first = answer(handler.handle(request(&event("submit-valid.json"))).await);
    assert_sent(&first);
    let again = answer(handler.handle(request(&event("submit-valid.json"))).await);
    assert_eq!((again.raw == first.raw, again.replayed), (true, true));
    let events = events.lock().unwrap().clone();
    // The replay hands on the first attempt's event again (delivery sends it once).
    let [MailEvent::Submitted(id), MailEvent::Submitted(replayed)] = events[..] else { panic!("{events:?}") };
    assert_eq!(replayed, id);
    let token = key().verification_token(id);
    let confirmed = answer(handler.handle(confirm(token.as_str())).await);
    assert_eq!(confirmed.status, StatusCode::OK);
    let read_back = store.get(id).await.unwrap().unwrap();
    assert_eq!(read_back.status, Status::Received);
    assert_eq!(confirmed.body["receptionNumber"], read_back.receipt.reception_number.to_string());
}

/// The real SQLite store, whose first submission commits and then fails as
/// a write that timed out after committing does (issue 25, 13).
struct CommitsThenTimesOut {
    inner: Arc<SqliteStore>,
    timed_out: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl shared::store::Intake for CommitsThenTimesOut {
    async fn submit(
        &self,
        submission: &shared::store::Submission,
    ) -> Result<shared::store::SubmitOutcome, shared::store::Unavailable> {
        let outcome = self.inner.submit(submission).await?;
        if !self.timed_out.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(shared::store::Unavailable("timed out after committing".into()));
        }
        Ok(outcome)
    }
    async fn token(
        &self,
        token: &shared::keyed::TokenHash,
    ) -> Result<shared::store::TokenState, shared::store::Unavailable> {
        self.inner.token(token).await
    }
    async fn confirm(
        &self,
        token: &shared::keyed::TokenHash,
    ) -> Result<shared::store::ConfirmOutcome, shared::store::Unavailable> {
        self.inner.confirm(token).await
    }
    async fn admit(&self, counter: &shared::store::Counter) -> Result<bool, shared::store::Unavailable> {
        self.inner.admit(counter).await
    }
}

/// The lost link of issue 25, 13: the first attempt committed and answered
/// 503, the client's retry is a replay, and the replay's event still reaches
/// the delivery, which sends the link exactly once however often it is handed on.
#[tokio::test]
async fn a_submission_that_committed_before_timing_out_still_gets_its_link_once() {
    use shared::mail::{
        ENV_FROM, ENV_FROM_NAME, ENV_OPERATOR, ENV_PUBLIC_BASE_URL, ENV_REPLY_TO, MailConfig, MailKind,
        OutboxMailer, Postman, deliver, pairs,
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
    let flaky = CommitsThenTimesOut {
        inner: Arc::clone(&store),
        timed_out: std::sync::atomic::AtomicBool::new(false),
    };
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let handler = Handler::new(Arc::new(flaky), Arc::new(key()), Settings::default())
        .after_event(Arc::new(move |event| sink.lock().unwrap().push(event)));

    let lost = handler.handle(request(&event("submit-valid.json"))).await;
    assert_eq!(lost.status(), StatusCode::SERVICE_UNAVAILABLE);
    for _ in 0..2 {
        let retry = answer(handler.handle(request(&event("submit-valid.json"))).await);
        assert_eq!((retry.status, retry.replayed), (StatusCode::ACCEPTED, true));
    }

    let config = MailConfig::from_lookup(pairs(&[
        (ENV_PUBLIC_BASE_URL, "https://partners.example.jp"),
        (ENV_FROM, "no-reply@partner.example.jp"),
        (ENV_FROM_NAME, "パートナー登録窓口"),
        (ENV_REPLY_TO, "partner-support@partner.example.jp"),
        (ENV_OPERATOR, "operators@partner.example.jp"),
    ]))
    .unwrap();
    let mailer = OutboxMailer::new(dir.path());
    let identifier_key = key();
    let postman = Postman { store: &*store, mailer: &mailer, config: &config, key: &identifier_key };
    let handed_on = events.lock().unwrap().clone();
    assert!(!handed_on.is_empty(), "the replay hands the committed submission's event on");
    for event in handed_on {
        deliver(&postman, event).await.unwrap();
    }
    let links: Vec<String> = test_support::outbox_files(dir.path())
        .into_iter()
        .filter(|name| name.ends_with(&format!("-{}.eml", MailKind::Verification.slug())))
        .collect();
    assert_eq!(links.len(), 1, "{links:?}");
}
