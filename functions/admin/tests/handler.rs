//! The operator API's handler on API Gateway v2 events (as the HTTP API's JWT
//! authorizer passes them, its claims in `requestContext.authorizer.jwt`),
//! over the SQLite store in a tempdir and, for the concurrent decisions, also
//! DynamoDB on moto: who may call, the list, search and detail shapes of
//! `api-contract.md` (*The operator API*), decisions with their idempotency,
//! versions and transitions, erasure, the CSV export and the audit; and the
//! submitted documents over DynamoDB and the documents bucket on moto (their
//! scan state, the guarded download, erasure of the files).

use admin::{Handler, Settings};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::domain::{Application, ApplicationId, Decision, RawApplication, Timestamp};
use shared::keyed::IdentifierKey;
use shared::store::sqlite::SqliteStore;
use shared::store::{ConfirmOutcome, Store, StoredApplication, SubmitOutcome};
use std::sync::Arc;

/// The caller of most tests: a supervisor, who may call every route.
const OPERATOR: &str = "op@example.com";
/// An operator who is no supervisor.
const CLERK: &str = "clerk@example.com";

/// A supervisor's claims exactly as the HTTP API's JWT authorizer passes
/// them: `cognito:groups` flattened to one string of both groups.
fn supervisor_claims() -> Value {
    json!({ "username": OPERATOR, "cognito:groups": "[operators supervisors]" })
}

/// An operator's (the `operators` group only).
fn operator_claims() -> Value {
    json!({ "username": CLERK, "cognito:groups": "[operators]" })
}

fn key() -> IdentifierKey {
    IdentifierKey::for_tests()
}

/// An HTTP API (payload 2.0) event for `method path?query`, with the JWT
/// authorizer's `claims` if any.
struct Call {
    method: &'static str,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<String>,
    claims: Option<Value>,
}

fn get(path: impl Into<String>) -> Call {
    Call {
        method: "GET",
        path: path.into(),
        query: vec![],
        headers: vec![],
        body: None,
        claims: Some(supervisor_claims()),
    }
}

fn post(path: impl Into<String>, body: impl Into<String>) -> Call {
    Call {
        method: "POST",
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(body.into()),
        ..get(path)
    }
}

/// A decision with its Idempotency-Key.
fn decide(id: &str, idempotency_key: &str, body: Value) -> Call {
    post(format!("/api/admin/applications/{id}/decisions"), body.to_string())
        .header("idempotency-key", idempotency_key)
}

fn note(id: &str, body: Value) -> Call {
    post(format!("/api/admin/applications/{id}/notes"), body.to_string())
}

fn assign(id: &str, body: Value) -> Call {
    Call { method: "PUT", ..post(format!("/api/admin/applications/{id}/assignee"), body.to_string()) }
}

/// A correction with its Idempotency-Key.
fn correct(id: &str, idempotency_key: &str, body: Value) -> Call {
    post(format!("/api/admin/applications/{id}/corrections"), body.to_string())
        .header("idempotency-key", idempotency_key)
}

fn erase(id: &str, body: Value) -> Call {
    post(format!("/api/admin/applications/{id}/erasure"), body.to_string())
}

impl Call {
    fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn claims(mut self, claims: Option<Value>) -> Self {
        self.claims = claims;
        self
    }

    fn request(&self) -> Request {
        let raw_query =
            self.query.iter().map(|(n, v)| format!("{n}={}", percent(v))).collect::<Vec<_>>().join("&");
        let headers: serde_json::Map<String, Value> =
            self.headers.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
        let mut event = json!({
            "version": "2.0",
            "routeKey": format!("{} {}", self.method, self.path),
            "rawPath": self.path,
            "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc123",
                "domainName": "abc123.execute-api.ap-northeast-1.amazonaws.com",
                "domainPrefix": "abc123",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "192.0.2.10",
                    "userAgent": "Mozilla/5.0"
                },
                "requestId": "d1f3b2a4-7b61-11e6-9a41-93e8deadbeef",
                "routeKey": format!("{} {}", self.method, self.path),
                "stage": "$default",
                "time": "28/Nov/2026:09:30:00 +0000",
                "timeEpoch": 1795771800000u64
            },
            "isBase64Encoded": false
        });
        if !self.query.is_empty() {
            let params: serde_json::Map<String, Value> =
                self.query.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
            event["queryStringParameters"] = Value::Object(params);
        }
        if let Some(id) = self.path.split('/').nth(4).filter(|s| !s.is_empty() && !s.contains('.')) {
            event["pathParameters"] = json!({ "applicationId": id });
        }
        if let Some(body) = &self.body {
            event["body"] = json!(body);
        }
        if let Some(claims) = &self.claims {
            event["requestContext"]["authorizer"] = json!({
                "jwt": { "claims": claims, "scopes": null },
                "principalId": "",
                "integrationLatency": 0
            });
        }
        lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event")
    }
}

/// Enough percent-encoding for the queries here (UTF-8 and `@`, `+`, `&`).
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A detail as a decision answers it: the view's reviewer checks left out.
fn without_checks(detail: &Value) -> Value {
    let mut detail = detail.clone();
    let checks = detail.as_object_mut().and_then(|o| o.remove("checks"));
    assert!(checks.is_some(), "the view has checks: {detail}");
    detail
}

struct Answer {
    status: StatusCode,
    headers: lambda_http::http::HeaderMap,
    raw: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.raw).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    fn text(&self) -> String {
        String::from_utf8(self.raw.clone()).expect("UTF-8")
    }

    /// The error envelope's code.
    fn code(&self) -> String {
        self.json()["error"]["code"].as_str().expect("an error envelope").to_owned()
    }

    fn replayed(&self) -> bool {
        self.headers.get("idempotent-replayed").is_some_and(|v| v == "true")
    }

    /// The status and, for an error, its code.
    fn outcome(&self) -> (u16, Option<String>) {
        let code = (!self.status.is_success()).then(|| self.code());
        (self.status.as_u16(), code)
    }
}

fn answer(response: Response<Body>) -> Answer {
    Answer { status: response.status(), headers: response.headers().clone(), raw: response.body().to_vec() }
}

struct Setup {
    handler: Handler,
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

fn sqlite() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
    Setup { handler: handler(&store), store, _dir: Some(dir) }
}

async fn dynamodb() -> Setup {
    let store: Arc<dyn Store> = Arc::new(test_support::moto::fresh_store().await);
    Setup { handler: handler(&store), store, _dir: None }
}

fn handler(store: &Arc<dyn Store>) -> Handler {
    // The files' own directory: these tests are about the records.
    let files = tempfile::tempdir().unwrap().keep();
    let files = Arc::new(shared::documents::local::LocalFiles::open(&files).unwrap());
    Handler::new(Arc::clone(store), files, Arc::new(key()), Settings::default())
        .directory(Arc::new(admin::Listed(vec![OPERATOR.into(), CLERK.into(), COLLEAGUE.into()])))
}

/// An operator of the directory who calls nothing here (an assignee).
const COLLEAGUE: &str = "colleague@example.com";

impl Setup {
    async fn call(&self, call: Call) -> Answer {
        answer(self.handler.handle(call.request()).await)
    }

    /// A submission stored as the submit handler stores it, not confirmed.
    async fn submitted(&self, application: Application) -> shared::store::Submission {
        self.submitted_at(application, 0).await
    }

    /// The same, received `minutes_ago` (the list's order is by the second
    /// received, then by id).
    async fn submitted_at(&self, application: Application, minutes_ago: i64) -> shared::store::Submission {
        let mut submission = test_support::submission(&key(), application, 24 * 3600);
        let at = Timestamp::now().plus_secs(-60 * minutes_ago);
        submission.receipt.received_at = at;
        submission.receipt.application_id = ApplicationId::new(at.time());
        submission.token_hash = key().verification_token(submission.receipt.application_id).hash();
        let outcome = self.store.submit(&submission).await.unwrap();
        assert!(matches!(outcome, SubmitOutcome::Created { .. }), "{outcome:?}");
        submission
    }

    /// A submission confirmed by its link: `received`, version 2.
    async fn received(&self, application: Application) -> StoredApplication {
        self.received_at(application, 0).await
    }

    async fn received_at(&self, application: Application, minutes_ago: i64) -> StoredApplication {
        let submission = self.submitted_at(application, minutes_ago).await;
        match self.store.confirm(&submission.token_hash).await.unwrap() {
            ConfirmOutcome::Confirmed(stored) => stored,
            other => panic!("{other:?}"),
        }
    }

    /// The stored history entries (the decisions and the erasure).
    async fn stored_history(&self, stored: &StoredApplication) -> usize {
        self.store.record(stored.receipt.application_id).await.unwrap().unwrap().1.len()
    }

    async fn audit_actions(&self) -> Vec<String> {
        let page = self.store.audit_log(None, 100).await.unwrap();
        page.entries.iter().map(|e| e.action.as_str().to_owned()).collect()
    }
}

fn parse(value: Value) -> Application {
    let raw = RawApplication::deserialize(&value).expect("decodes");
    Application::parse(&raw).expect("valid").application
}

/// The seed's corporation (エックスサーバー株式会社, 山田 太郎, 06-6292-8811) at `email`.
fn corporation(email: &str) -> Application {
    parse(test_support::seed_application_with_email(email))
}

fn corporation_with(email: &str, changes: Value) -> Application {
    let mut value = test_support::seed_application_with_email(email);
    for (name, change) in changes.as_object().unwrap() {
        value[name] = change.clone();
    }
    parse(value)
}

/// A sole proprietor, 𠮷田 花子 (ヨシダ ハナコ), 03-1234-5678, at `email`.
fn sole_proprietor(email: &str) -> Application {
    parse(json!({
        "email": email, "emailConfirmation": email,
        "contractType": "sole_proprietor",
        "lastName": "𠮷田", "firstName": "花子",
        "lastNameKana": "ヨシダ", "firstNameKana": "ハナコ",
        "postalCode": "1000001", "addressRegion": "東京都千代田区", "addressStreet": "千代田1-1",
        "phone": "03-1234-5678", "agreedToTerms": true
    }))
}

fn id_of(stored: &StoredApplication) -> String {
    stored.receipt.application_id.to_string()
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("an object").keys().cloned().collect();
    keys.sort();
    keys
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    names.sort();
    names
}

fn fresh_key() -> String {
    test_support::unique("decision-key-0001")
}

// ---------------------------------------------------------------- who calls

/// Every route, as a call (the ids need not exist: the caller is refused first).
fn every_route(id: &str) -> Vec<Call> {
    vec![
        get("/api/admin/applications"),
        get("/api/admin/applications.csv"),
        get(format!("/api/admin/applications/{id}")),
        decide(id, &fresh_key(), json!({ "decision": "approve", "expectedVersion": 2 })),
        erase(id, json!({ "reason": "applicant_request" })),
        get("/api/admin/audit"),
        get("/api/admin/counts"),
        get("/api/admin/me"),
        note(id, json!({ "text": "メモ" })),
        assign(id, json!({ "assignee": OPERATOR })),
        correct(
            id,
            &fresh_key(),
            json!({ "expectedVersion": 2, "reason": "operator_fix", "changes": { "addressStreet": "梅田1-2-3" } }),
        ),
    ]
}

#[tokio::test]
async fn without_claims_every_route_is_401_and_without_the_operators_group_403() {
    let s = sqlite();
    let stored = s.received(corporation("who@example.com")).await;
    let id = id_of(&stored);
    for call in every_route(&id) {
        let path = call.path.clone();
        let answer = s.call(call.claims(None)).await;
        assert_eq!(answer.outcome(), (401, Some("unauthenticated".into())), "{path}");
    }
    for call in every_route(&id) {
        let path = call.path.clone();
        let answer = s.call(call.claims(Some(json!({})))).await;
        assert_eq!(answer.outcome(), (401, Some("unauthenticated".into())), "empty claims: {path}");
    }
    let outsiders = [
        json!({ "username": "someone@example.com" }),
        json!({ "username": "someone@example.com", "cognito:groups": "[admins]" }),
        json!({ "username": "someone@example.com", "cognito:groups": "[operators-readonly]" }),
        // A group whose name merely contains the operators' (Cognito allows commas).
        json!({ "username": "someone@example.com", "cognito:groups": "[x,operators]" }),
        json!({ "username": "someone@example.com", "cognito:groups": "[admins x,operators]" }),
        json!({ "username": "someone@example.com", "cognito:groups": "[\"x,operators\"]" }),
    ];
    for claims in outsiders {
        for call in every_route(&id) {
            let path = call.path.clone();
            let answer = s.call(call.claims(Some(claims.clone()))).await;
            assert_eq!(answer.outcome(), (403, Some("forbidden".into())), "{claims}: {path}");
        }
    }
    // Nothing was done, read or audited.
    assert_eq!(s.audit_actions().await, Vec::<String>::new());
    assert_eq!(s.stored_history(&stored).await, 0);
    assert!(s.store.get(stored.receipt.application_id).await.unwrap().is_some());
    // With the group (also among others), the same request is answered.
    for groups in ["[admins operators]", r#"["admins","operators"]"#, "[supervisors]"] {
        let claims = json!({ "username": OPERATOR, "cognito:groups": groups });
        assert_eq!(s.call(get("/api/admin/applications").claims(Some(claims))).await.status, 200, "{groups}");
    }
}

/// The contract's *Who may do what*, on API Gateway events: an operator gets
/// 403 `forbidden` on erasure, export and the audit, and does nothing there;
/// a supervisor gets 200; `GET /api/admin/me` names the roles.
async fn an_operator_may_not_erase_export_or_read_the_audit_and_a_supervisor_may(s: Setup) {
    let stored = s.received(corporation("roles@example.com")).await;
    let id = id_of(&stored);
    let supervisor_only = || {
        [
            erase(&id, json!({ "reason": "applicant_request" })),
            get("/api/admin/applications.csv"),
            get("/api/admin/audit"),
        ]
    };
    for call in supervisor_only() {
        let path = call.path.clone();
        let answer = s.call(call.claims(Some(operator_claims()))).await;
        assert_eq!(answer.outcome(), (403, Some("forbidden".into())), "{path}");
        let message = answer.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("責任者"), "{path}: {message}");
    }
    assert_eq!(s.audit_actions().await, Vec::<String>::new(), "nothing was exported, read or erased");
    assert!(s.store.get(stored.receipt.application_id).await.unwrap().is_some(), "not erased");
    assert_eq!(s.stored_history(&stored).await, 0);

    // Everything else is the operator's.
    let me = s.call(get("/api/admin/me").claims(Some(operator_claims()))).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json(), json!({ "email": CLERK, "roles": ["operator"] }));
    for call in [
        get("/api/admin/applications"),
        get(format!("/api/admin/applications/{id}")),
        get("/api/admin/counts"),
        decide(
            &id,
            &fresh_key(),
            json!({ "decision": "request_documents", "expectedVersion": 2, "message": "資料をお送りください。" }),
        ),
        correct(
            &id,
            &fresh_key(),
            json!({ "expectedVersion": 3, "reason": "operator_fix", "changes": { "addressStreet": "梅田1-2-3" } }),
        ),
    ] {
        let path = call.path.clone();
        assert_eq!(s.call(call.claims(Some(operator_claims()))).await.status, 200, "{path}");
    }

    // A supervisor is an operator too, and may do the rest.
    let me = s.call(get("/api/admin/me")).await;
    assert_eq!(me.json(), json!({ "email": OPERATOR, "roles": ["operator", "supervisor"] }));
    // With an `email` claim (an ID token's), that is the address.
    let with_email =
        json!({ "username": "8f0c-uuid", "email": "lead@example.com", "cognito:groups": "[supervisors]" });
    let me = s.call(get("/api/admin/me").claims(Some(with_email))).await;
    assert_eq!(me.json(), json!({ "email": "lead@example.com", "roles": ["operator", "supervisor"] }));
    for call in supervisor_only().into_iter().rev() {
        let path = call.path.clone();
        let answer = s.call(call).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
    }
    assert!(s.store.get(stored.receipt.application_id).await.unwrap().is_none(), "erased");
    let actions = s.audit_actions().await;
    assert_eq!(actions[..3], ["erase", "export", "view_audit"], "newest first: {actions:?}");
}

#[tokio::test]
async fn roles_on_sqlite() {
    an_operator_may_not_erase_export_or_read_the_audit_and_a_supervisor_may(sqlite()).await;
}

#[tokio::test]
async fn roles_on_dynamodb() {
    an_operator_may_not_erase_export_or_read_the_audit_and_a_supervisor_may(dynamodb().await).await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_refused_with_the_envelope() {
    let s = sqlite();
    assert_eq!(s.call(get("/api/admin/nothing")).await.outcome(), (404, Some("not_found".into())));
    let answer = s.call(post("/api/admin/applications", "{}")).await;
    assert_eq!(answer.outcome(), (405, Some("method_not_allowed".into())));
    assert_eq!(answer.headers["allow"], "GET");
    let answer = s.call(get("/api/admin/applications/not-an-id")).await;
    assert_eq!(answer.outcome(), (404, Some("application_not_found".into())));
}

// ------------------------------------------------- list, search and detail

const ITEM_KEYS: [&str; 10] = [
    "applicationId",
    "receptionNumber",
    "receivedAt",
    "status",
    "contractType",
    "displayName",
    "email",
    "version",
    "assignee",
    "mailProblem",
];

#[tokio::test]
async fn the_list_is_newest_first_pages_by_cursor_and_filters_by_status() {
    let s = sqlite();
    let unverified = s.submitted(corporation("waiting@example.com")).await;
    let first = s.received_at(corporation("first@example.com"), 3).await;
    let second = s.received_at(sole_proprietor("second@example.com"), 2).await;
    let third = s.received_at(corporation("third@example.com"), 1).await;

    let answer = s.call(get("/api/admin/applications")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(answer.headers["cache-control"], "no-store");
    let body = answer.json();
    assert_eq!(keys(&body), sorted(&["items", "nextCursor"]));
    assert_eq!(body["nextCursor"], Value::Null);
    let items = body["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["applicationId"].as_str().unwrap()).collect();
    assert_eq!(ids, [id_of(&third), id_of(&second), id_of(&first)], "newest first, no unverified");
    for item in items {
        assert_eq!(keys(item), sorted(&ITEM_KEYS));
    }
    assert_eq!(
        items[1],
        json!({
            "applicationId": id_of(&second),
            "receptionNumber": second.receipt.reception_number.as_str(),
            "receivedAt": second.receipt.received_at.to_string(),
            "status": "received",
            "contractType": "sole_proprietor",
            "displayName": "𠮷田 花子",
            "email": "second@example.com",
            "version": 2,
            "assignee": null,
            "mailProblem": false
        })
    );
    assert_eq!(items[0]["displayName"], "エックスサーバー株式会社", "a corporation's name");
    assert_eq!(items[0]["contractType"], "corporation");

    // Pages of two.
    let page = s.call(get("/api/admin/applications").query("limit", "2")).await.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["nextCursor"].as_str().expect("a next page").to_owned();
    let rest = s.call(get("/api/admin/applications").query("limit", "2").query("cursor", &cursor)).await;
    let rest = rest.json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["applicationId"], id_of(&first).as_str());
    assert_eq!(rest["nextCursor"], Value::Null);

    // awaiting_verification only when asked for.
    let waiting =
        s.call(get("/api/admin/applications").query("status", "awaiting_verification")).await.json();
    let items = waiting["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["applicationId"], unverified.receipt.application_id.to_string().as_str());
    assert_eq!((&items[0]["status"], &items[0]["version"]), (&json!("awaiting_verification"), &json!(1)));
    let approved = s.call(get("/api/admin/applications").query("status", "approved")).await.json();
    assert_eq!(approved["items"], json!([]));

    // Bad parameters are 400s.
    for (name, value) in
        [("status", "done"), ("limit", "0"), ("limit", "501"), ("cursor", "x"), ("from", "昨日")]
    {
        let answer = s.call(get("/api/admin/applications").query(name, value)).await;
        assert_eq!(answer.outcome(), (400, Some("bad_request".into())), "{name}={value}");
    }
    let twice = get("/api/admin/applications").query("status", "received").query("status", "approved");
    assert_eq!(s.call(twice).await.status, 400);
}

#[tokio::test]
async fn search_finds_a_reception_number_an_address_a_phone_or_a_name() {
    let s = sqlite();
    let corp = s.received(corporation("yamada@example.com")).await;
    let sole = s.received(sole_proprietor("Hanako.Yoshida@example.jp")).await;
    let found = |q: &'static str| {
        let s = &s;
        async move {
            let body = s.call(get("/api/admin/applications").query("q", q)).await.json();
            let mut ids: Vec<String> =
                body["items"].as_array().unwrap().iter().map(|i| i["applicationId"].to_string()).collect();
            ids.sort();
            ids
        }
    };
    let one = |stored: &StoredApplication| vec![format!("\"{}\"", id_of(stored))];
    let number = corp.receipt.reception_number.to_string();
    let body = s.call(get("/api/admin/applications").query("q", &number)).await.json();
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(body["items"][0]["applicationId"], id_of(&corp).as_str());
    let lower = number.to_lowercase();
    let body = s.call(get("/api/admin/applications").query("q", &lower)).await.json();
    assert_eq!(body["items"].as_array().unwrap().len(), 1, "a reception number in lower case");
    assert_eq!(found("hanako.yoshida@example.jp").await, one(&sole), "an address, in any case");
    assert_eq!(found("yamada@example.com").await, one(&corp));
    assert_eq!(found("nobody@example.com").await, Vec::<String>::new());
    assert_eq!(found("06-6292-8811").await, one(&corp));
    assert_eq!(found("0312345678").await, one(&sole), "a phone number without hyphens");
    assert_eq!(found("エックスサーバー").await, one(&corp), "a corporate name");
    assert_eq!(found("山田 太郎").await, one(&corp), "姓 名 with a space");
    assert_eq!(found("よしだ").await, one(&sole), "a reading in hiragana");
    assert_eq!(found("𠮷田").await, one(&sole));
    assert_eq!(found("佐藤").await, Vec::<String>::new());
    assert_eq!(s.audit_actions().await.len(), 12, "every search is audited");
}

#[tokio::test]
async fn the_detail_has_every_field_and_the_history_and_the_code_once_approved() {
    let s = sqlite();
    let stored = s.received(corporation("detail@example.com")).await;
    let id = id_of(&stored);
    let answer = s.call(get(format!("/api/admin/applications/{id}"))).await;
    assert_eq!(answer.status, 200);
    let detail = answer.json();
    assert_eq!(
        keys(&detail),
        sorted(&[
            "applicationId",
            "receptionNumber",
            "receivedAt",
            "verifiedAt",
            "status",
            "version",
            "application",
            "history",
            "checks",
            "documents",
            "assignee",
            "notes",
            "mails"
        ]),
        "no partnerCode before approval, no erasedAt"
    );
    assert_eq!(detail["applicationId"], id.as_str());
    assert_eq!(detail["receptionNumber"], stored.receipt.reception_number.as_str());
    assert_eq!(detail["receivedAt"], stored.receipt.received_at.to_string().as_str());
    assert_eq!(detail["verifiedAt"], stored.verified_at.unwrap().to_string().as_str());
    assert_eq!((&detail["status"], &detail["version"]), (&json!("received"), &json!(2)));
    assert_eq!(detail["application"], serde_json::to_value(&stored.application).unwrap());
    assert_eq!(detail["application"]["corporateName"], "エックスサーバー株式会社");
    assert_eq!(detail["application"]["phone"], "06-6292-8811");
    assert_eq!(
        detail["history"],
        json!([
            { "at": stored.receipt.received_at.to_string(), "actor": "applicant", "action": "submitted",
              "fromStatus": null, "toStatus": "awaiting_verification", "message": null },
            { "at": stored.verified_at.unwrap().to_string(), "actor": "applicant", "action": "confirmed",
              "fromStatus": "awaiting_verification", "toStatus": "received", "message": null },
        ])
    );

    let approved =
        s.call(decide(&id, &fresh_key(), json!({ "decision": "approve", "expectedVersion": 2 }))).await;
    assert_eq!(approved.status, 200);
    let approved = approved.json();
    let code = approved["partnerCode"].as_str().expect("the 取次店コード").to_owned();
    assert!(code.starts_with("TC-"), "{code}");
    let detail = s.call(get(format!("/api/admin/applications/{id}"))).await.json();
    assert_eq!(without_checks(&detail), approved, "the decision answers the detail, without the checks");
    assert_eq!((&detail["status"], &detail["version"]), (&json!("approved"), &json!(3)));
    let last = &detail["history"][2];
    assert_eq!(
        (&last["actor"], &last["action"], &last["fromStatus"], &last["toStatus"], &last["message"]),
        (&json!(OPERATOR), &json!("approve"), &json!("received"), &json!("approved"), &Value::Null)
    );
    let unknown = ApplicationId::new(Timestamp::now().time());
    let answer = s.call(get(format!("/api/admin/applications/{unknown}"))).await;
    assert_eq!(answer.outcome(), (404, Some("application_not_found".into())));
}

// ---------------------------------------------------------------- checks

/// The reviewer's checks: the T-number's check digit, and the other
/// applications of the same phone, T-number or company, never itself.
#[tokio::test]
async fn the_detail_checks_the_t_number_and_finds_the_same_phone_t_number_or_company() {
    let s = sqlite();
    // The seed: エックスサーバー株式会社, 06-6292-8811, T7000012050002 (its digit holds).
    let this = s.received_at(corporation("this@example.com"), 10).await;
    let phone = s
        .received_at(
            corporation_with(
                "phone@example.com",
                json!({ "corporateName": "別会社株式会社", "invoiceNumber": "T7123456789012" }),
            ),
            9,
        )
        .await;
    let t_number = s
        .received_at(
            corporation_with(
                "t@example.com",
                json!({ "corporateName": "改名後株式会社", "phone": "03-1111-2222" }),
            ),
            8,
        )
        .await;
    let company = s
        .received_at(
            corporation_with(
                "company@example.com",
                json!({
                    "corporateName": "エックスサーバー 株式会社", "phone": "03-3333-4444",
                    "invoiceNumber": "T9010401012345"
                }),
            ),
            7,
        )
        .await;
    // Shares nothing with it.
    s.received_at(
        corporation_with(
            "other@example.com",
            json!({ "corporateName": "別法人株式会社", "phone": "03-5555-6666", "invoiceNumber": "T9010401012345" }),
        ),
        6,
    )
    .await;
    // Not verified: not related.
    s.submitted(corporation("waiting@example.com")).await;

    let detail = s.call(get(format!("/api/admin/applications/{}", id_of(&this)))).await.json();
    let checks = &detail["checks"];
    assert_eq!(keys(checks), sorted(&["invoiceNumber", "related"]));
    assert_eq!(checks["invoiceNumber"], json!({ "checkDigitValid": true, "corporate": true }));
    let related = checks["related"].as_array().unwrap();
    let found: Vec<(&str, &Value)> =
        related.iter().map(|r| (r["applicationId"].as_str().unwrap(), &r["shared"])).collect();
    assert_eq!(
        found,
        [
            (id_of(&company).as_str(), &json!(["corporateName"])),
            (id_of(&t_number).as_str(), &json!(["invoiceNumber"])),
            (id_of(&phone).as_str(), &json!(["phone"])),
        ],
        "newest first, not itself"
    );
    assert_eq!(
        related[0],
        json!({
            "applicationId": id_of(&company),
            "receptionNumber": company.receipt.reception_number.as_str(),
            "receivedAt": company.receipt.received_at.to_string(),
            "status": "received",
            "displayName": "エックスサーバー 株式会社",
            "shared": ["corporateName"],
        })
    );
    // Seen from the other side.
    let detail = s.call(get(format!("/api/admin/applications/{}", id_of(&t_number)))).await.json();
    let related = detail["checks"]["related"].as_array().unwrap();
    let found: Vec<(&str, &Value)> =
        related.iter().map(|r| (r["applicationId"].as_str().unwrap(), &r["shared"])).collect();
    assert_eq!(found, [(id_of(&this).as_str(), &json!(["invoiceNumber"]))]);
    // One that shares everything: every key, in the fields' order.
    let twin = s.received(corporation("twin@example.com")).await;
    let detail = s.call(get(format!("/api/admin/applications/{}", id_of(&this)))).await.json();
    let first = &detail["checks"]["related"][0];
    assert_eq!(first["applicationId"], id_of(&twin).as_str());
    assert_eq!(first["shared"], json!(["phone", "invoiceNumber", "corporateName"]));

    // A sole proprietor's T-number need not hold its digit; none at all is null.
    let sole = s.received(sole_proprietor("sole@example.com")).await;
    let detail = s.call(get(format!("/api/admin/applications/{}", id_of(&sole)))).await.json();
    assert_eq!(detail["checks"], json!({ "invoiceNumber": null, "related": [] }));
    let mut value = test_support::seed_application_with_email("sole2@example.com");
    value["contractType"] = json!("sole_proprietor");
    value.as_object_mut().unwrap().remove("corporateName");
    value.as_object_mut().unwrap().remove("corporateNameKana");
    value["phone"] = json!("03-9999-0000");
    value["invoiceNumber"] = json!("T1234567890123");
    let raw = RawApplication::deserialize(&value).expect("decodes");
    let parsed = Application::parse(&raw).expect("a warning, not an error");
    let odd = s.received(parsed.application).await;
    let detail = s.call(get(format!("/api/admin/applications/{}", id_of(&odd)))).await.json();
    assert_eq!(detail["checks"]["invoiceNumber"], json!({ "checkDigitValid": false, "corporate": false }));

    // A decision's answer leaves the checks out (the console keeps its own):
    // no second linear read on the write path.
    let body = json!({ "decision": "approve", "expectedVersion": 2 });
    let decided = s.call(decide(&id_of(&odd), &fresh_key(), body)).await.json();
    assert_eq!(decided["status"], "approved");
    assert!(decided.get("checks").is_none(), "{decided}");

    // Erased: no application, no checks; nor is it found any more.
    assert_eq!(s.call(erase(&id_of(&twin), json!({ "reason": "applicant_request" }))).await.status, 200);
    let detail = s.call(get(format!("/api/admin/applications/{}", id_of(&twin)))).await.json();
    assert!(detail.get("checks").is_none(), "{detail}");
    let detail = s.call(get(format!("/api/admin/applications/{}", id_of(&this)))).await.json();
    assert_eq!(detail["checks"]["related"].as_array().unwrap().len(), 3);
}

// ---------------------------------------------------------------- counts

/// The console's tabs: every status with the number the list shows of it
/// (an expired link's application is not counted, nor an erased one).
#[tokio::test]
async fn the_counts_give_every_status_what_its_list_shows() {
    let s = sqlite();
    let answer = s.call(get("/api/admin/counts")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["cache-control"], "no-store");
    let zero = json!({ "counts": {
        "awaiting_verification": 0, "received": 0, "documents_requested": 0, "documents_submitted": 0,
        "approved": 0, "rejected": 0
    } });
    assert_eq!(answer.json(), zero);

    s.submitted(corporation("waiting@example.com")).await;
    let lapsed = test_support::submission(&key(), corporation("lapsed@example.com"), -60);
    s.store.submit(&lapsed).await.unwrap();
    s.received_at(corporation("a@example.com"), 5).await;
    let asked = s.received_at(corporation("b@example.com"), 4).await;
    let body =
        json!({ "decision": "request_documents", "expectedVersion": 2, "message": "資料をお送りください。" });
    assert_eq!(s.call(decide(&id_of(&asked), &fresh_key(), body)).await.status, 200);
    let approved = s.received_at(corporation("c@example.com"), 3).await;
    let body = json!({ "decision": "approve", "expectedVersion": 2 });
    assert_eq!(s.call(decide(&id_of(&approved), &fresh_key(), body)).await.status, 200);
    let rejected = s.received_at(sole_proprietor("d@example.com"), 2).await;
    let body = json!({ "decision": "reject", "expectedVersion": 2 });
    assert_eq!(s.call(decide(&id_of(&rejected), &fresh_key(), body)).await.status, 200);
    let erased = s.received_at(corporation("e@example.com"), 1).await;
    assert_eq!(s.call(erase(&id_of(&erased), json!({ "reason": "applicant_request" }))).await.status, 200);

    let counts = s.call(get("/api/admin/counts")).await.json();
    assert_eq!(
        counts,
        json!({ "counts": {
            "awaiting_verification": 1, "received": 1, "documents_requested": 1, "documents_submitted": 0,
            "approved": 1, "rejected": 1
        } })
    );
    for (status, count) in counts["counts"].as_object().unwrap() {
        let list = s.call(get("/api/admin/applications").query("status", status)).await.json();
        assert_eq!(list["items"].as_array().unwrap().len() as u64, count.as_u64().unwrap(), "{status}");
    }
    // Audited as every operator route is, naming no application.
    let page = s.store.audit_log(None, 100).await.unwrap();
    let counted: Vec<_> =
        page.entries.iter().filter(|e| e.action.as_str() == "count").map(|e| e.application_id).collect();
    assert_eq!(counted, [None, None]);
    let answer = s.call(post("/api/admin/counts", "{}")).await;
    assert_eq!(answer.outcome(), (405, Some("method_not_allowed".into())));
    assert_eq!(answer.headers["allow"], "GET");
}

// ---------------------------------------------------------------- decisions

#[tokio::test]
async fn a_decision_answers_the_detail_and_replays_by_its_idempotency_key() {
    let s = sqlite();
    let stored = s.received(corporation("decide@example.com")).await;
    let id = id_of(&stored);
    let key = fresh_key();
    let body = json!({
        "decision": "request_documents", "expectedVersion": 2,
        "message": "登記事項証明書の写しをお送りください。"
    });
    let answer = s.call(decide(&id, &key, body.clone())).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(!answer.replayed());
    let detail = answer.json();
    assert_eq!((&detail["status"], &detail["version"]), (&json!("documents_requested"), &json!(3)));
    let entry = &detail["history"][2];
    assert_eq!(
        (&entry["action"], &entry["actor"], &entry["message"]),
        (&json!("request_documents"), &json!(OPERATOR), &json!("登記事項証明書の写しをお送りください。"))
    );
    assert_eq!(keys(entry), sorted(&["at", "actor", "action", "fromStatus", "toStatus", "message"]));

    // The same key and body: the same answer, marked as a replay, nothing new stored.
    let again = s.call(decide(&id, &key, body.clone())).await;
    assert_eq!(again.status, 200);
    assert!(again.replayed());
    assert_eq!(again.json(), detail);
    assert_eq!(s.stored_history(&stored).await, 1, "decided once");
    // The same key with another body.
    let other = json!({ "decision": "request_documents", "expectedVersion": 2, "message": "別の資料をお送りください。" });
    assert_eq!(
        s.call(decide(&id, &key, other)).await.outcome(),
        (422, Some("idempotency_key_reused".into()))
    );
    let reject = json!({ "decision": "reject", "expectedVersion": 2 });
    assert_eq!(
        s.call(decide(&id, &key, reject)).await.outcome(),
        (422, Some("idempotency_key_reused".into()))
    );
    // A stale version under a new key.
    let stale = json!({ "decision": "approve", "expectedVersion": 2 });
    assert_eq!(
        s.call(decide(&id, &fresh_key(), stale)).await.outcome(),
        (409, Some("version_conflict".into()))
    );
    let ahead = json!({ "decision": "approve", "expectedVersion": 9 });
    assert_eq!(
        s.call(decide(&id, &fresh_key(), ahead)).await.outcome(),
        (409, Some("version_conflict".into()))
    );
    // Approved is terminal.
    let approve = json!({ "decision": "approve", "expectedVersion": 3 });
    let approved = s.call(decide(&id, &fresh_key(), approve)).await;
    assert_eq!(approved.status, 200);
    assert_eq!(approved.json()["version"], 4);
    for decision in ["approve", "reject"] {
        let body = json!({ "decision": decision, "expectedVersion": 4 });
        assert_eq!(
            s.call(decide(&id, &fresh_key(), body)).await.outcome(),
            (409, Some("invalid_transition".into())),
            "{decision} after approve"
        );
    }
    let body =
        json!({ "decision": "request_documents", "expectedVersion": 4, "message": "再提出をお願いします。" });
    assert_eq!(
        s.call(decide(&id, &fresh_key(), body)).await.outcome(),
        (409, Some("invalid_transition".into()))
    );
    assert_eq!(s.stored_history(&stored).await, 2);
    // An unverified application cannot be decided.
    let waiting = s.submitted(corporation("waiting@example.com")).await;
    let body = json!({ "decision": "approve", "expectedVersion": 1 });
    let answer = s.call(decide(&waiting.receipt.application_id.to_string(), &fresh_key(), body)).await;
    assert_eq!(answer.outcome(), (409, Some("invalid_transition".into())));
    let unknown = ApplicationId::new(Timestamp::now().time());
    let body = json!({ "decision": "reject", "expectedVersion": 2 });
    let answer = s.call(decide(&unknown.to_string(), &fresh_key(), body)).await;
    assert_eq!(answer.outcome(), (404, Some("application_not_found".into())));
}

#[tokio::test]
async fn decision_bodies_and_keys_are_checked() {
    let s = sqlite();
    let stored = s.received(corporation("bodies@example.com")).await;
    let id = id_of(&stored);
    let invalid = Some("invalid_decision".to_owned());
    for body in [
        json!({ "decision": "request_documents", "expectedVersion": 2 }),
        json!({ "decision": "request_documents", "expectedVersion": 2, "message": "" }),
        json!({ "decision": "request_documents", "expectedVersion": 2, "message": "   " }),
        json!({ "decision": "request_documents", "expectedVersion": 2, "message": "資料\u{200B}を" }),
        json!({ "decision": "request_documents", "expectedVersion": 2, "message": "あ".repeat(2001) }),
        json!({ "decision": "approve", "expectedVersion": 2, "message": "おめでとうございます。" }),
        json!({ "decision": "accept", "expectedVersion": 2 }),
        json!({ "decision": "reject", "expectedVersion": 0 }),
    ] {
        let answer = s.call(decide(&id, &fresh_key(), body.clone())).await;
        assert_eq!(answer.outcome(), (422, invalid.clone()), "{body}");
    }
    let bad_request = Some("bad_request".to_owned());
    for body in [
        r#"{"decision": "approve", "expectedVersion": 2"#,
        r#"{"decision": "approve", "expectedVersion": "2"}"#,
        r#"{"decision": "approve", "expectedVersion": 2, "partnerCode": "TC-AAAA-AAAA"}"#,
        r#"{"expectedVersion": 2}"#,
        r#"["approve"]"#,
        "",
    ] {
        let call = post(format!("/api/admin/applications/{id}/decisions"), body)
            .header("idempotency-key", &fresh_key());
        assert_eq!(s.call(call).await.outcome(), (400, bad_request.clone()), "{body}");
    }
    let body = json!({ "decision": "reject", "expectedVersion": 2 }).to_string();
    let path = format!("/api/admin/applications/{id}/decisions");
    let answer = s.call(post(path.clone(), body.clone())).await;
    assert_eq!(answer.outcome(), (400, Some("missing_idempotency_key".into())));
    let answer = s.call(post(path.clone(), body.clone()).header("idempotency-key", "short")).await;
    assert_eq!(answer.outcome(), (400, Some("invalid_idempotency_key".into())));
    let mut text = post(path, body).header("idempotency-key", &fresh_key());
    text.headers[0].1 = "text/plain".into();
    assert_eq!(s.call(text).await.outcome(), (415, Some("unsupported_media_type".into())));
    assert_eq!(s.stored_history(&stored).await, 0, "nothing decided");
    // A rejection's message is optional.
    let body = json!({ "decision": "reject", "expectedVersion": 2, "message": "要件を満たしていません。" });
    let answer = s.call(decide(&id, &fresh_key(), body)).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["history"][2]["message"], "要件を満たしていません。");
}

/// The body of `decision` at version 2, with a message where one is needed.
fn decision_body(decision: Decision) -> Value {
    match decision {
        Decision::Approve => json!({ "decision": "approve", "expectedVersion": 2 }),
        Decision::Reject => {
            json!({ "decision": "reject", "expectedVersion": 2, "message": "要件を満たしていません。" })
        }
        Decision::RequestDocuments => json!({
            "decision": "request_documents", "expectedVersion": 2, "message": "資料をお送りください。"
        }),
    }
}

/// Two operators decide the same version at once through the handler: one
/// 200 with the detail, one 409, one history entry.
async fn concurrent_decisions_have_one_winner(s: Setup, first: Decision, second: Decision) {
    for round in 0..4 {
        let stored = s.received(corporation(&format!("race{round}@example.com"))).await;
        let id = id_of(&stored);
        let one = decide(&id, &fresh_key(), decision_body(first));
        let other = decide(&id, &fresh_key(), decision_body(second));
        let (a, b) = tokio::join!(s.call(one), s.call(other));
        let mut outcomes = [a.outcome(), b.outcome()];
        outcomes.sort();
        assert_eq!(outcomes[0], (200, None), "{outcomes:?}");
        assert_eq!(outcomes[1].0, 409, "{outcomes:?}");
        assert!(
            ["version_conflict", "invalid_transition"].contains(&outcomes[1].1.as_deref().unwrap()),
            "{outcomes:?}"
        );
        assert_eq!(s.stored_history(&stored).await, 1, "one history entry");
        let winner = if a.status == 200 { a.json() } else { b.json() };
        assert_eq!(winner["version"], 3);
        let detail = s.call(get(format!("/api/admin/applications/{id}"))).await.json();
        assert_eq!(without_checks(&detail), winner);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_decisions_have_one_winner_on_sqlite() {
    for (first, second) in [
        (Decision::Approve, Decision::Reject),
        (Decision::RequestDocuments, Decision::Approve),
        (Decision::Reject, Decision::Reject),
    ] {
        concurrent_decisions_have_one_winner(sqlite(), first, second).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_decisions_have_one_winner_on_dynamodb() {
    // Without a rejection (see the next test).
    for (first, second) in [
        (Decision::RequestDocuments, Decision::Approve),
        (Decision::Approve, Decision::Approve),
        (Decision::RequestDocuments, Decision::RequestDocuments),
    ] {
        concurrent_decisions_have_one_winner(dynamodb().await, first, second).await;
    }
}

/// A rejection racing another decision on DynamoDB. The rejection's
/// transaction also sets the retention of the history items it read; when the
/// winner's entry of the same version was among them, it named that item twice
/// (its own put and that update), which DynamoDB refuses with a
/// ValidationException, not a cancellation: 503 instead of 409 (6 rounds in 10
/// against an approval on moto). It now updates only the entries before its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rejection_racing_another_decision_has_one_winner_on_dynamodb() {
    for (first, second) in [(Decision::Approve, Decision::Reject), (Decision::Reject, Decision::Reject)] {
        concurrent_decisions_have_one_winner(dynamodb().await, first, second).await;
    }
}

// ------------------------------------------------------------------ erasure

#[tokio::test]
async fn an_erasure_answers_the_tombstone_and_keeps_who_why_and_when() {
    let s = sqlite();
    let stored = s.received(corporation("erase@example.com")).await;
    let id = id_of(&stored);
    let body = json!({ "decision": "request_documents", "expectedVersion": 2, "message": "山田様、登記簿をお送りください。" });
    assert_eq!(s.call(decide(&id, &fresh_key(), body)).await.status, 200);

    for body in [json!({}), json!({ "reason": "" }), json!({ "reason": "  " }), json!({ "reason": null })] {
        let answer = s.call(erase(&id, body.clone())).await;
        assert_eq!(answer.outcome(), (422, Some("invalid_decision".into())), "{body}");
    }
    let answer = s.call(erase(&id, json!({ "reason": "x", "now": true }))).await;
    assert_eq!(answer.outcome(), (400, Some("bad_request".into())));
    assert!(s.store.get(stored.receipt.application_id).await.unwrap().is_some(), "not erased yet");

    // Free text is refused: it could name the applicant, and would be kept for good.
    for text in ["本人からの削除請求(電話)", "Applicant_request", "applicant request"] {
        let answer = s.call(erase(&id, json!({ "reason": text }))).await;
        assert_eq!(answer.outcome(), (422, Some("invalid_decision".into())), "{text}");
        assert!(!answer.text().contains(text), "the message does not echo it");
    }
    assert!(s.store.get(stored.receipt.application_id).await.unwrap().is_some(), "not erased yet");
    let answer = s.call(erase(&id, json!({ "reason": "applicant_request" }))).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let detail = answer.json();
    assert_eq!(detail["application"], Value::Null);
    let erased_at = detail["erasedAt"].as_str().expect("erasedAt").to_owned();
    assert!(erased_at.ends_with("+09:00"), "{erased_at}");
    assert_eq!((&detail["status"], &detail["version"]), (&json!("documents_requested"), &json!(4)));
    assert!(detail.get("partnerCode").is_none());
    let history = detail["history"].as_array().unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["submitted", "confirmed", "request_documents", "erase"]);
    assert_eq!(history[2]["message"], Value::Null, "the request's message went with the data");
    assert_eq!(
        (&history[3]["actor"], &history[3]["message"], &history[3]["reason"], &history[3]["at"]),
        (&json!(OPERATOR), &Value::Null, &json!("applicant_request"), &json!(erased_at))
    );
    let text = answer.text();
    for personal in ["erase@example.com", "山田", "エックスサーバー", "06-6292-8811", "大深町"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    assert_eq!(s.call(get(format!("/api/admin/applications/{id}"))).await.json(), detail);
    // Again: the same tombstone.
    let again = s.call(erase(&id, json!({ "reason": "duplicate" }))).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), detail);
    // Gone from the list; no decision on it.
    let list = s.call(get("/api/admin/applications")).await.json();
    assert_eq!(list["items"], json!([]));
    let body = json!({ "decision": "approve", "expectedVersion": 4 });
    let answer = s.call(decide(&id, &fresh_key(), body)).await;
    assert_eq!(answer.status.as_u16() / 100, 4, "{}", answer.text());

    let unknown = ApplicationId::new(Timestamp::now().time());
    let answer = s.call(erase(&unknown.to_string(), json!({ "reason": "applicant_request" }))).await;
    assert_eq!(answer.outcome(), (404, Some("application_not_found".into())));
}

// ------------------------------------------------------------------- export

/// The body of a CSV answer, as records (the BOM stripped).
fn csv_records(answer: &Answer) -> Vec<Vec<String>> {
    let text = answer.text();
    let text = text.strip_prefix('\u{FEFF}').unwrap_or_else(|| panic!("a UTF-8 BOM: {text}"));
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

#[tokio::test]
async fn the_csv_export_opens_safely_in_excel() {
    let s = sqlite();
    // 建物名 accepts the leading characters a spreadsheet reads as a formula
    // (a tab or a carriage return no field accepts: `export::defused`'s own tests).
    let dangerous = ["=HYPERLINK(\"http://example.com\")", "+81ビル", "-1F", "@SUM(A1)"];
    let mut stored = Vec::new();
    for (n, building) in dangerous.iter().enumerate() {
        let application =
            corporation_with(&format!("csv{n}@example.com"), json!({ "addressBuilding": building }));
        stored.push(s.received(application).await);
    }
    stored.push(s.received(sole_proprietor("csv-sole@example.com")).await);
    s.submitted(corporation("csv-waiting@example.com")).await;

    let answer = s.call(get("/api/admin/applications.csv")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(answer.headers["content-disposition"], "attachment; filename=\"applications.csv\"");
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert_eq!(answer.headers["x-content-type-options"], "nosniff");
    assert!(answer.raw.starts_with("\u{FEFF}受付番号,".as_bytes()));
    let text = answer.text();
    assert!(text.ends_with("\r\n"));
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count(), "every line ends CRLF");
    assert_eq!(text.matches("\r\n").count(), 1 + stored.len(), "a header row and a row each");

    let records = csv_records(&answer);
    let header = &records[0];
    assert_eq!(&header[..6], ["受付番号", "受付日時", "メール確認日時", "状態", "取次店コード", "版"]);
    for label in ["メールアドレス", "契約者種別", "電話番号"] {
        assert!(header.iter().any(|h| h.contains(label)), "{label} in {header:?}");
    }
    assert!(header.iter().all(|h| !h.is_ascii()), "Japanese labels: {header:?}");
    let rows = &records[1..];
    assert_eq!(rows.len(), stored.len(), "one row per verified application, none unverified");
    assert!(rows.iter().all(|row| row.len() == header.len()));
    let column = |label: &str| header.iter().position(|h| h == label).unwrap_or_else(|| panic!("{label}"));
    let building = column(shared::domain::Field::AddressBuilding.label());
    let email = column(shared::domain::Field::Email.label());
    for (n, bad) in dangerous.iter().enumerate() {
        let row = rows.iter().find(|r| r[email] == format!("csv{n}@example.com")).expect("its row");
        assert_eq!(row[building], format!("'{bad}"), "defused");
        assert_eq!(row[0], stored[n].receipt.reception_number.as_str());
        assert_eq!(row[3], "受付済");
    }
    // A phone number begins with a digit, and a hyphen inside is left.
    let sole = rows.iter().find(|r| r[email] == "csv-sole@example.com").unwrap();
    assert_eq!(sole[column(shared::domain::Field::Phone.label())], "03-1234-5678");
    assert_eq!(sole[building], "");

    // Filtered as the list is.
    let approve = json!({ "decision": "approve", "expectedVersion": 2 });
    let approved = s.call(decide(&id_of(&stored[0]), &fresh_key(), approve)).await.json();
    let answer = s.call(get("/api/admin/applications.csv").query("status", "approved")).await;
    let records = csv_records(&answer);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1][4], approved["partnerCode"].as_str().unwrap());
    assert_eq!(records[1][5], "3");
    let answer = s.call(get("/api/admin/applications.csv").query("status", "awaiting_verification")).await;
    assert_eq!(csv_records(&answer).len(), 2);
    let answer = s.call(get("/api/admin/applications.csv").query("from", "2999-01-01")).await;
    assert_eq!(csv_records(&answer).len(), 1, "the header row only");
}

/// The export's audit entry names its filters and the rows it handed over
/// (contract, *Erasure and export (changes v2)*).
async fn the_exports_audit_entry_names_its_filters_and_rows(s: Setup) {
    for n in 0..3 {
        s.received(corporation(&format!("export-audit{n}@example.com"))).await;
    }
    let approved = s.received(corporation("export-audit-approved@example.com")).await;
    let approve = json!({ "decision": "approve", "expectedVersion": 2 });
    assert_eq!(s.call(decide(&id_of(&approved), &fresh_key(), approve)).await.status, 200);

    let all = s.call(get("/api/admin/applications.csv")).await;
    assert_eq!(csv_records(&all).len(), 1 + 4);
    let received = s
        .call(get("/api/admin/applications.csv").query("status", "received").query("from", "2000-01-01"))
        .await;
    assert_eq!(csv_records(&received).len(), 1 + 3);
    let none = s.call(get("/api/admin/applications.csv").query("to", "2000-01-01T09:00:00+09:00")).await;
    assert_eq!(csv_records(&none).len(), 1);

    let page = s.call(get("/api/admin/audit")).await.json();
    let exports: Vec<&Value> =
        page["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "export").collect();
    assert_eq!(
        exports.iter().map(|e| e["export"].clone()).collect::<Vec<_>>(),
        [
            json!({ "status": null, "from": null, "to": "2000-01-01T09:00:00+09:00", "rows": 0 }),
            json!({ "status": "received", "from": "2000-01-01T00:00:00+09:00", "to": null, "rows": 3 }),
            json!({ "status": null, "from": null, "to": null, "rows": 4 }),
        ],
        "newest first"
    );
    // Only an export's entry has one.
    for entry in page["entries"].as_array().unwrap().iter().filter(|e| e["action"] != "export") {
        assert!(entry.get("export").is_none(), "{entry}");
    }
}

#[tokio::test]
async fn the_exports_audit_entry_names_its_filters_and_rows_on_sqlite() {
    the_exports_audit_entry_names_its_filters_and_rows(sqlite()).await;
}

#[tokio::test]
async fn the_exports_audit_entry_names_its_filters_and_rows_on_dynamodb() {
    the_exports_audit_entry_names_its_filters_and_rows(dynamodb().await).await;
}

// -------------------------------------------------------------------- audit

#[tokio::test]
async fn the_audit_lists_every_action_newest_first_and_no_applicant_data() {
    let s = sqlite();
    let stored = s.received(corporation("audited@example.com")).await;
    let id = id_of(&stored);
    assert_eq!(s.call(get("/api/admin/applications").query("q", "audited@example.com")).await.status, 200);
    assert_eq!(s.call(get(format!("/api/admin/applications/{id}"))).await.status, 200);
    let body = json!({ "decision": "request_documents", "expectedVersion": 2, "message": "山田様、資料をお送りください。" });
    assert_eq!(s.call(decide(&id, &fresh_key(), body)).await.status, 200);
    assert_eq!(s.call(get("/api/admin/applications.csv")).await.status, 200);
    assert_eq!(s.call(erase(&id, json!({ "reason": "applicant_request" }))).await.status, 200);
    // Refused calls are not audited.
    assert_eq!(s.call(get("/api/admin/applications").claims(None)).await.status, 401);

    let answer = s.call(get("/api/admin/audit")).await;
    assert_eq!(answer.status, 200);
    let page = answer.json();
    assert_eq!(keys(&page), sorted(&["entries", "nextCursor"]));
    assert_eq!(page["nextCursor"], Value::Null);
    let entries = page["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["view_audit", "erase", "export", "request_documents", "view", "list"],
        "newest first"
    );
    for entry in entries {
        let mut want = vec!["at", "actor", "action", "applicationId"];
        if entry["action"] == "export" {
            want.push("export");
        }
        assert_eq!(keys(entry), sorted(&want));
        assert_eq!(entry["actor"], OPERATOR);
    }
    let with_id: Vec<&str> = entries
        .iter()
        .filter(|e| e["applicationId"] == id.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(with_id, ["erase", "request_documents", "view"]);
    let ats: Vec<&str> = entries.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(ats.windows(2).all(|w| w[0] >= w[1]), "{ats:?}");
    let text = answer.text();
    for personal in [
        "audited@example.com",
        "山田",
        "太郎",
        "エックスサーバー",
        "06-6292-8811",
        "大深町",
        "資料",
        "削除請求",
    ] {
        assert!(!text.contains(personal), "{personal} in the audit: {text}");
    }
    assert!(!text.contains(stored.receipt.reception_number.as_str()), "not even the reception number");
    assert_eq!(
        s.call(get("/api/admin/audit").query("cursor", "nonsense")).await.outcome(),
        (400, Some("bad_request".into()))
    );
}

// ------------------------------------------------------ notes and assignee

async fn detail_of(s: &Setup, id: &str) -> Value {
    let answer = s.call(get(format!("/api/admin/applications/{id}"))).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()
}

/// A note (contract v3, *Notes*): 201 with the note, newest first in the
/// detail, no change of version, a decision with the version read before it
/// still succeeds; the rules of a message, 404 for no live application, and
/// the audit names the application only.
async fn notes_are_kept_outside_the_version(s: Setup) {
    let stored = s.received(corporation("noted@example.com")).await;
    let id = id_of(&stored);
    let answer = s
        .call(
            note(&id, json!({ "text": "  在籍確認の電話をしました。\r\n折り返し待ち " }))
                .claims(Some(operator_claims())),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    let first = answer.json();
    assert_eq!(keys(&first), sorted(&["noteId", "at", "actor", "text"]));
    assert_eq!(first["text"], "在籍確認の電話をしました。\n折り返し待ち");
    assert_eq!(first["actor"], CLERK);
    let second = s.call(note(&id, json!({ "text": "二件目" }))).await.json();
    let detail = detail_of(&s, &id).await;
    assert_eq!(detail["notes"], json!([second, first]), "newest first");
    assert_eq!(
        (&detail["version"], &detail["status"]),
        (&json!(2), &json!("received")),
        "a note is no change"
    );
    // The decision with the version read before the notes.
    let decided =
        s.call(decide(&id, &fresh_key(), json!({ "decision": "approve", "expectedVersion": 2 }))).await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    assert_eq!(decided.json()["notes"].as_array().unwrap().len(), 2, "the decision's answer has the notes");

    for (text, expected) in [
        (json!(""), "メモを入力してください。"),
        (json!(" \n "), "メモを入力してください。"),
        (json!("あ".repeat(2001)), "メモは2,000文字以内で入力してください。"),
        (json!("見えない\u{200B}文字"), "メモに使用できない文字(制御文字・不可視文字)が含まれています。"),
    ] {
        let answer = s.call(note(&id, json!({ "text": text }))).await;
        assert_eq!(answer.outcome(), (422, Some("invalid_note".into())), "{text}");
        assert_eq!(answer.json()["error"]["message"], expected);
    }
    assert_eq!(
        s.call(note(&id, json!({ "text": "𠮷".repeat(2000) }))).await.status,
        201,
        "counted in characters"
    );
    assert_eq!(s.call(note(&id, json!({ "text": 1 }))).await.status, 400);
    assert_eq!(s.call(note(&id, json!({ "note": "x" }))).await.status, 400, "unknown keys");
    let unknown = ApplicationId::new(Timestamp::now().time()).to_string();
    assert_eq!(
        s.call(note(&unknown, json!({ "text": "x" }))).await.outcome(),
        (404, Some("application_not_found".into()))
    );

    let audit = s.store.audit_log(None, 100).await.unwrap();
    let notes: Vec<_> = audit.entries.iter().filter(|e| e.action.as_str() == "note").collect();
    assert_eq!(notes.len(), 3, "one per note kept");
    assert!(notes.iter().all(|e| e.application_id == Some(stored.receipt.application_id)));
    let page = s.call(get("/api/admin/audit")).await.text();
    assert!(!page.contains("在籍確認") && !page.contains("二件目"), "no note text in the audit: {page}");

    // Erased: the notes go, and no note is taken.
    assert_eq!(s.call(erase(&id, json!({ "reason": "applicant_request" }))).await.status, 200);
    let erased = detail_of(&s, &id).await;
    assert_eq!(erased["notes"], json!([]));
    assert!(s.store.notes_of(stored.receipt.application_id).await.unwrap().is_empty());
    assert_eq!(
        s.call(note(&id, json!({ "text": "消去後" }))).await.outcome(),
        (404, Some("application_not_found".into()))
    );
}

#[tokio::test]
async fn notes_on_sqlite() {
    notes_are_kept_outside_the_version(sqlite()).await;
}

#[tokio::test]
async fn notes_on_dynamodb() {
    notes_are_kept_outside_the_version(dynamodb().await).await;
}

/// An assignment (contract v3, *Assignment*): 200 `{"assignee"}`, no change
/// of version, in the list and the detail; `?assignee=me|none|<address>`;
/// 422 for no operator, 404 for no application; audited `assign`.
async fn assignment_filters_the_list_and_keeps_the_version(s: Setup) {
    let mine = s.received_at(corporation("assign.mine@example.com"), 2).await;
    let other = s.received_at(sole_proprietor("assign.other@example.com"), 1).await;
    let (mine_id, other_id) = (id_of(&mine), id_of(&other));
    let answer = s.call(assign(&mine_id, json!({ "assignee": CLERK.to_uppercase() }))).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json(), json!({ "assignee": CLERK }), "the directory's own spelling");
    let detail = detail_of(&s, &mine_id).await;
    assert_eq!((&detail["assignee"], &detail["version"]), (&json!(CLERK), &json!(2)));
    assert_eq!(detail_of(&s, &other_id).await["assignee"], Value::Null);
    // A decision with the version read before it.
    let decided =
        s.call(decide(&mine_id, &fresh_key(), json!({ "decision": "approve", "expectedVersion": 2 }))).await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    assert_eq!(decided.json()["assignee"], CLERK, "a decision leaves the assignee");

    let ids = |answer: Answer| -> Vec<String> {
        answer.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["applicationId"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |assignee: Option<&str>, claims: Value| {
        let mut call = get("/api/admin/applications").claims(Some(claims));
        if let Some(assignee) = assignee {
            call = call.query("assignee", assignee);
        }
        call
    };
    let all = s.call(list(None, supervisor_claims())).await.json();
    let item = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["applicationId"] == mine_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["assignee"], CLERK);
    assert_eq!(
        ids(s.call(list(Some("me"), operator_claims())).await),
        vec![mine_id.clone()],
        "the clerk's own"
    );
    assert_eq!(ids(s.call(list(Some("me"), supervisor_claims())).await), Vec::<String>::new());
    assert_eq!(ids(s.call(list(Some(CLERK), supervisor_claims())).await), vec![mine_id.clone()]);
    assert_eq!(ids(s.call(list(Some("none"), supervisor_claims())).await), vec![other_id.clone()]);
    assert_eq!(
        s.call(list(Some("nobody@example.com"), supervisor_claims())).await.outcome(),
        (422, Some("invalid_assignee".into()))
    );

    // Refusals: no operator, no application, no key.
    for body in [
        json!({ "assignee": "nobody@example.com" }),
        json!({ "assignee": "" }),
        json!({ "assignee": "a\u{202E}b" }),
    ] {
        let answer = s.call(assign(&other_id, body.clone())).await;
        assert_eq!(answer.outcome(), (422, Some("invalid_assignee".into())), "{body}");
    }
    assert_eq!(s.call(assign(&other_id, json!({}))).await.status, 400, "null must be said");
    let unknown = ApplicationId::new(Timestamp::now().time()).to_string();
    assert_eq!(
        s.call(assign(&unknown, json!({ "assignee": CLERK }))).await.outcome(),
        (404, Some("application_not_found".into()))
    );
    assert_eq!(s.call(post(format!("/api/admin/applications/{other_id}/assignee"), "{}")).await.status, 405);

    // Unassigned by null.
    let answer = s.call(assign(&mine_id, json!({ "assignee": null })).claims(Some(operator_claims()))).await;
    assert_eq!(answer.json(), json!({ "assignee": null }));
    assert_eq!(detail_of(&s, &mine_id).await["assignee"], Value::Null);
    let audit = s.store.audit_log(None, 100).await.unwrap();
    let assigned: Vec<_> = audit.entries.iter().filter(|e| e.action.as_str() == "assign").collect();
    assert_eq!(assigned.len(), 2, "the two assignments made, none refused");
    assert!(assigned.iter().all(|e| e.application_id == Some(mine.receipt.application_id)));
}

#[tokio::test]
async fn assignment_on_sqlite() {
    assignment_filters_the_list_and_keeps_the_version(sqlite()).await;
}

#[tokio::test]
async fn assignment_on_dynamodb() {
    assignment_filters_the_list_and_keeps_the_version(dynamodb().await).await;
}

/// The Cognito directory on moto's cognito-idp: a pool whose usernames are
/// addresses (as the template's), one operator; found by address and by
/// username (the token's `sub`), as their address; an unknown one is none.
#[tokio::test]
async fn the_cognito_directory_finds_operators_by_address_or_username() {
    use aws_sdk_cognitoidentityprovider::types::{AttributeType, UsernameAttributeType};
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(test_support::moto_endpoint())
        .region(aws_config::Region::new("ap-northeast-1"))
        .credentials_provider(aws_sdk_cognitoidentityprovider::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let pool = cognito
        .create_user_pool()
        .pool_name(test_support::unique("directory"))
        .username_attributes(UsernameAttributeType::Email)
        .send()
        .await
        .unwrap();
    let pool_id = pool.user_pool().and_then(|p| p.id()).unwrap().to_owned();
    let email = "Reviewer@Example.com".to_lowercase();
    let created = cognito
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username(&email)
        .user_attributes(AttributeType::builder().name("email").value(&email).build().unwrap())
        .send()
        .await
        .unwrap();
    let username = created.user().and_then(|u| u.username()).unwrap().to_owned();
    let directory = admin::CognitoDirectory::new(cognito, pool_id);
    use admin::OperatorDirectory;
    assert_eq!(directory.operator(&email).await.unwrap().map(|a| a.to_string()), Some(email.clone()));
    assert_eq!(directory.operator(&username).await.unwrap().map(|a| a.to_string()), Some(email.clone()));
    assert_eq!(directory.operator("nobody@example.com").await.unwrap(), None);
}

// ---------------------------------------------------------------- corrections

/// 訂正: the address and the contract type are refused with
/// `field_not_correctable`; the form's rules answer a bad value with its field
/// errors; a valid one answers the detail, hands its mail event on once, is
/// audited `correct`; erased and unverified applications are 409.
#[tokio::test]
async fn a_correction_is_refused_checked_and_answered_with_the_detail() {
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = sqlite();
    let seen = Arc::clone(&events);
    let s = Setup {
        handler: handler(&s.store).after_event(Arc::new(move |event| seen.lock().unwrap().push(event))),
        ..s
    };
    let stored = s.received(corporation("fix.me@example.com")).await;
    let id = id_of(&stored);
    let body =
        |changes: Value| json!({ "expectedVersion": 2, "reason": "applicant_request", "changes": changes });
    for changes in [
        json!({ "email": "new@example.com" }),
        json!({ "emailConfirmation": "new@example.com" }),
        json!({ "contractType": "sole_proprietor" }),
        json!({ "addressStreet": "梅田1-2-3", "email": "new@example.com" }),
    ] {
        let answer = s.call(correct(&id, &fresh_key(), body(changes.clone()))).await;
        assert_eq!(answer.outcome(), (422, Some("field_not_correctable".into())), "{changes}");
        assert!(!answer.text().contains("new@example.com"), "no value echoed");
    }
    assert_eq!(
        s.call(correct(&id, &fresh_key(), body(json!({ "website": "x" })))).await.outcome(),
        (400, Some("bad_request".into()))
    );
    assert_eq!(
        s.call(correct(&id, &fresh_key(), body(json!({ "addressStreet": 5 })))).await.outcome(),
        (400, Some("bad_request".into()))
    );
    assert_eq!(
        s.call(correct(&id, &fresh_key(), body(json!({})))).await.outcome(),
        (422, Some("invalid_decision".into()))
    );
    let reason =
        json!({ "expectedVersion": 2, "reason": "電話で依頼", "changes": { "addressStreet": "x1" } });
    assert_eq!(
        s.call(correct(&id, &fresh_key(), reason)).await.outcome(),
        (422, Some("invalid_decision".into()))
    );
    // The form's rules, all errors at once, as validation answers them.
    let invalid = s
        .call(correct(
            &id,
            &fresh_key(),
            body(json!({ "postalCode": "12", "lastNameKana": "Yamada", "addressStreet": null })),
        ))
        .await;
    assert_eq!(invalid.status, 422);
    let errors: Vec<String> = invalid.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(errors, ["lastNameKana", "postalCode", "addressStreet"]);
    // The same values as stored: nothing to correct.
    let same = s.call(correct(&id, &fresh_key(), body(json!({ "phone": "0662928811" })))).await;
    assert_eq!(same.outcome(), (422, Some("invalid_decision".into())));
    assert_eq!(s.stored_history(&stored).await, 0, "nothing was written");
    assert!(events.lock().unwrap().is_empty());

    let key = fresh_key();
    let valid = body(json!({ "addressStreet": "梅田1-2-3", "invoiceNumber": null }));
    let answer = s.call(correct(&id, &key, valid.clone())).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let detail = answer.json();
    assert_eq!((&detail["version"], &detail["status"]), (&json!(3), &json!("received")));
    assert_eq!(detail["application"]["addressStreet"], "梅田1-2-3");
    assert!(detail["application"].get("invoiceNumber").is_none(), "cleared");
    let entry = &detail["history"][2];
    assert_eq!(
        keys(entry),
        sorted(&["at", "actor", "action", "fromStatus", "toStatus", "message", "reason", "fields"])
    );
    assert_eq!(entry["fields"], json!(["addressStreet", "invoiceNumber"]));
    let again = s.call(correct(&id, &key, valid)).await;
    assert!(again.replayed());
    assert_eq!(again.json(), detail);
    let version = shared::domain::Version::from_number(3).unwrap();
    assert_eq!(
        *events.lock().unwrap(),
        [shared::mail::MailEvent::Recorded(
            stored.receipt.application_id,
            version,
            shared::domain::HistoryAction::Correct
        )],
        "one mail event, not one per replay"
    );
    assert_eq!(
        s.call(correct(&id, &fresh_key(), body(json!({ "addressStreet": "梅田9" })))).await.outcome(),
        (409, Some("version_conflict".into()))
    );
    assert_eq!(s.audit_actions().await, ["correct"]);

    // Not before the address is proven, and not after an erasure.
    let waiting = s.submitted(corporation("waiting.fix@example.com")).await;
    let early =
        json!({ "expectedVersion": 1, "reason": "operator_fix", "changes": { "addressStreet": "梅田9" } });
    let answer = s.call(correct(&waiting.receipt.application_id.to_string(), &fresh_key(), early)).await;
    assert_eq!(answer.outcome(), (409, Some("not_correctable".into())));
    assert_eq!(s.call(erase(&id, json!({ "reason": "applicant_request" }))).await.status, 200);
    let late =
        json!({ "expectedVersion": 4, "reason": "operator_fix", "changes": { "addressStreet": "梅田9" } });
    assert_eq!(
        s.call(correct(&id, &fresh_key(), late)).await.outcome(),
        (409, Some("not_correctable".into()))
    );
}

// ------------------------------------------------------------ documents on S3

/// The admin function over DynamoDB and the documents bucket on moto, with
/// malware scanning on: the detail shows each file's scan state as GuardDuty
/// Malware Protection for S3 tags it (`GuardDutyMalwareScanStatus`, AWS's
/// documented values, put here as GuardDuty would: moto cannot scan), a
/// download hands out a presigned link to the same bytes and is audited, a
/// file with threats is never handed out (409 `document_unsafe`, no audit
/// entry), and an erasure leaves no object and no document record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_the_scan_guards_each_download_and_an_erasure_leaves_no_file() {
    use shared::documents::Uploads;
    use shared::documents::s3::S3Files;
    use shared::domain::{DocumentLimits, DocumentType, FileName, IdempotencyKey};
    use shared::store::documents::{DocumentsSubmission, SubmitDocumentsOutcome};

    let store: Arc<dyn Store> = Arc::new(test_support::moto::fresh_store().await);
    let client = test_support::moto::s3_client().await;
    let bucket = test_support::unique("documents-").to_lowercase();
    S3Files::create_bucket(&client, &bucket).await.unwrap();
    // The handler presigns for the front that checks signatures as S3 does.
    let checked =
        test_support::moto::s3_client_on(test_support::moto::signature_checking_s3_endpoint()).await;
    let files = Arc::new(S3Files::new(checked, bucket.clone(), true));
    let s = Setup {
        handler: Handler::new(Arc::clone(&store), files.clone(), Arc::new(key()), Settings::default()),
        store: Arc::clone(&store),
        _dir: None,
    };
    let stored = s.received(corporation("scanned@example.com")).await;
    let id = id_of(&stored);
    let body = json!({ "decision": "request_documents", "expectedVersion": 2, "message": "本人確認書類をお送りください。" });
    assert_eq!(s.call(decide(&id, &fresh_key(), body)).await.status, 200);

    // Three files uploaded and submitted as the documents function does: the
    // bytes straight to `incoming/`, checked, moved to `documents/`.
    let token = key()
        .documents_token(stored.receipt.application_id, shared::domain::Version::from_number(3).unwrap());
    let files_and_bytes: [(&str, Vec<u8>); 3] = [
        ("clean.pdf", b"%PDF-1.7\n% clean\n".to_vec()),
        ("infected.pdf", b"%PDF-1.7\n% EICAR stands in\n".to_vec()),
        ("protected.pdf", b"%PDF-1.7\n% encrypted\n".to_vec()),
    ];
    let mut documents = Vec::new();
    for (name, bytes) in &files_and_bytes {
        let state = store.document_request(&token.hash()).await.unwrap();
        let document = shared::store::plan::upload(
            state,
            FileName::parse(name).unwrap(),
            DocumentType::Pdf,
            bytes.len() as u64,
            &DocumentLimits::default(),
            Timestamp::now(),
        )
        .unwrap();
        store.add_upload(&document).await.unwrap();
        client
            .put_object()
            .bucket(&bucket)
            .key(document.incoming_key())
            .content_type("application/pdf")
            .body(bytes.clone().into())
            .send()
            .await
            .unwrap();
        assert!(files.arrived(&document).await.unwrap().unwrap().check(&document).is_ok());
        files.keep(&document).await.unwrap();
        documents.push(document);
    }
    let submission = DocumentsSubmission {
        token: token.hash(),
        idempotency_key: IdempotencyKey::parse(&fresh_key()).unwrap(),
        request_hash: key().request_hash(b"scanned submission"),
        document_ids: documents.iter().map(|d| d.document_id).collect(),
        limits: DocumentLimits::default(),
        at: Timestamp::now(),
    };
    assert!(matches!(
        store.submit_documents(&submission).await.unwrap(),
        SubmitDocumentsOutcome::Submitted(..)
    ));

    let detail_path = format!("/api/admin/applications/{id}");
    let scans = |detail: &Value| -> Vec<(String, String)> {
        let mut scans: Vec<(String, String)> = detail["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["fileName"].as_str().unwrap().to_owned(), d["scan"].as_str().unwrap().to_owned()))
            .collect();
        scans.sort();
        scans
    };
    let detail = s.call(get(&detail_path)).await.json();
    assert_eq!(detail["status"], "documents_submitted");
    let pending: Vec<(String, String)> =
        ["clean.pdf", "infected.pdf", "protected.pdf"].map(|n| (n.to_owned(), "pending".to_owned())).into();
    assert_eq!(scans(&detail), pending, "scanning is on and no result yet");

    // GuardDuty's results, as it tags the scanned objects.
    for (document, result) in documents.iter().zip(["NO_THREATS_FOUND", "THREATS_FOUND", "UNSUPPORTED"]) {
        let tag =
            aws_sdk_s3::types::Tag::builder().key(shared::domain::SCAN_TAG).value(result).build().unwrap();
        client
            .put_object_tagging()
            .bucket(&bucket)
            .key(document.stored_key())
            .tagging(aws_sdk_s3::types::Tagging::builder().tag_set(tag).build().unwrap())
            .send()
            .await
            .unwrap();
    }
    let detail = s.call(get(&detail_path)).await.json();
    assert_eq!(
        scans(&detail),
        [
            ("clean.pdf".to_owned(), "no_threats_found".to_owned()),
            ("infected.pdf".to_owned(), "threats_found".to_owned()),
            ("protected.pdf".to_owned(), "unsupported".to_owned()),
        ]
    );

    let download = |document: &shared::domain::Document| {
        get(format!("/api/admin/applications/{id}/documents/{}", document.document_id))
    };
    let viewed = |actions: Vec<String>| actions.iter().filter(|a| *a == "view_document").count();
    let before = viewed(s.audit_actions().await);
    let infected = s.call(download(&documents[1])).await;
    assert_eq!(infected.outcome(), (409, Some("document_unsafe".into())));
    assert!(infected.json()["error"]["message"].as_str().unwrap().contains("マルウェア"));
    assert_eq!(viewed(s.audit_actions().await), before, "a refused download is not a view");

    for (document, (_, bytes)) in [(&documents[0], &files_and_bytes[0]), (&documents[2], &files_and_bytes[2])]
    {
        let answer = s.call(download(document)).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        let url = answer.json()["url"].as_str().unwrap().to_owned();
        let fetched = reqwest::get(&url).await.unwrap();
        assert_eq!(fetched.status(), 200);
        let disposition = fetched.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert_eq!(fetched.bytes().await.unwrap().as_ref(), bytes.as_slice(), "byte-equal");
    }
    assert_eq!(viewed(s.audit_actions().await), before + 2, "each download audited");

    // The erasure: no object under the application, no document record.
    let answer = s.call(erase(&id, json!({ "reason": "applicant_request" }))).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    for prefix in ["documents", "incoming"] {
        let left =
            client.list_objects_v2().bucket(&bucket).prefix(format!("{prefix}/{id}/")).send().await.unwrap();
        assert_eq!(left.key_count(), Some(0), "nothing left under {prefix}/");
    }
    assert_eq!(store.documents_of(stored.receipt.application_id).await.unwrap(), vec![]);
    let detail = s.call(get(&detail_path)).await.json();
    assert_eq!(detail["documents"], json!([]));
    assert_eq!(s.call(download(&documents[0])).await.outcome(), (404, Some("document_not_found".into())));
}
