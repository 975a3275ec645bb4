//! `bench-reads`: what each console view reads on DynamoDB (issue 24, item 6).
//!
//! moto evaluates every Query in Python over the whole table, so its times say
//! how many Queries a view makes, not what it reads; DynamoDB bills (and takes
//! time for) the items it reads. This command puts a counting proxy
//! ([`Meter`]) between the admin function's own handler and moto, seeds N
//! verified applications through [`shared::store::Tooling::import`] (as
//! `bench-review` does, directly to moto), and sends each console view's
//! request through the handler once, printing per view the DynamoDB requests,
//! the items read and the bytes read, by DynamoDB's rules:
//! - a Query or Scan reads every item its key condition reaches (its
//!   `ScannedCount`), before any FilterExpression, whole as the index projects
//!   it, whatever its ProjectionExpression or `Select: COUNT` returns. The proxy
//!   sends such a request again with its key condition alone and sizes the items
//!   that answer;
//! - a GetItem, BatchGetItem or TransactGetItems reads the items it returns;
//! - an item's size is its attributes' names and values (DynamoDB's item size);
//!   read units are 4 KB per request (Query, Scan) or per item, halved when
//!   eventually consistent, a missing item costing the minimum.
//!
//! Writes are not counted (a decision's transaction is the same at any size).
//!
//! A second table gives the mean bytes of one verified application as a
//! whole item, as its `nameSearch` entry, as that entry would be with the
//! list's columns too, and as its `byCorporateName` entry (read from
//! `byReceived`, not metered): the figures docs/storage.md weighs the name
//! search's index by.
//!
//! ```text
//! AWS_ENDPOINT_URL=http://127.0.0.1:5000 cargo run --release -p xtask -- \
//!     bench-reads --table bench-reads --count 1000
//! ```
//! `scripts/bench-reads` runs it at 1,000 and 10,000, each on a new moto.

use crate::review_bench::{self, FEW_TEXT, NO_TEXT};
use anyhow::{Context, Result, anyhow, bail, ensure};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use shared::domain::{Status, Timestamp};
use shared::keyed::IdentifierKey;
use shared::store::dynamodb::DynamoStore;
use shared::store::{ListQuery, Review, Search, Store};
use std::sync::{Arc, Mutex};

/// What the requests through a [`Meter`] read.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Tally {
    /// DynamoDB read requests (GetItem, BatchGetItem, TransactGetItems, Query, Scan).
    pub requests: u64,
    /// Items read: returned by a get, reached by a Query's or a Scan's key condition.
    pub items: u64,
    /// Their size by DynamoDB's rules.
    pub bytes: u64,
    /// Read request units, by DynamoDB's rounding (an estimate: moto bills nothing).
    pub read_units: f64,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.requests += other.requests;
        self.items += other.items;
        self.bytes += other.bytes;
        self.read_units += other.read_units;
    }
}

/// A counting HTTP proxy on 127.0.0.1 in front of a DynamoDB endpoint (moto).
pub struct Meter {
    upstream: String,
    http: reqwest::Client,
    tally: Mutex<Tally>,
}

const TARGET_PREFIX: &str = "DynamoDB_20120810.";
const READ_UNIT_BYTES: u64 = 4_096;

impl Meter {
    /// Starts the proxy; returns it and its endpoint URL.
    pub async fn start(upstream: &str) -> Result<(Arc<Meter>, String)> {
        let meter = Arc::new(Meter {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            tally: Mutex::new(Tally::default()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let app = axum::Router::new().fallback(forward).with_state(Arc::clone(&meter));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok((meter, endpoint))
    }

    /// What was read since the last call.
    pub fn take(&self) -> Tally {
        std::mem::take(&mut *self.tally.lock().expect("not poisoned"))
    }

    async fn post(
        &self,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<(StatusCode, HeaderMap, Bytes)> {
        let mut headers = headers.clone();
        headers.remove(axum::http::header::HOST);
        headers.remove(axum::http::header::CONTENT_LENGTH);
        let answer =
            self.http.post(format!("{}{path}", self.upstream)).headers(headers).body(body).send().await?;
        let (status, headers) = (answer.status(), answer.headers().clone());
        Ok((status, headers, answer.bytes().await?))
    }

    /// Counts one answered read. A Query or Scan whose answer does not show
    /// every item it read (a filter, a projection, a count) is sent again with
    /// its key condition alone, to size what it read.
    async fn count(
        &self,
        operation: &str,
        headers: &HeaderMap,
        request: &Value,
        answer: &Value,
    ) -> Result<()> {
        let consistent = request["ConsistentRead"].as_bool().unwrap_or(false);
        let units =
            |bytes: u64| bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64 * if consistent { 1.0 } else { 0.5 };
        let mut tally = Tally { requests: 1, ..Tally::default() };
        match operation {
            "GetItem" => {
                let bytes = answer.get("Item").map_or(0, item_size);
                tally.items = u64::from(answer.get("Item").is_some());
                tally.bytes = bytes;
                tally.read_units = units(bytes);
            }
            "BatchGetItem" => {
                let requested: usize = request["RequestItems"].as_object().map_or(0, |tables| {
                    tables.values().map(|t| t["Keys"].as_array().map_or(0, Vec::len)).sum()
                });
                let consistent_of =
                    |table: &str| request["RequestItems"][table]["ConsistentRead"].as_bool().unwrap_or(false);
                let mut answered = 0;
                for (table, items) in answer["Responses"].as_object().into_iter().flatten() {
                    let factor = if consistent_of(table) { 1.0 } else { 0.5 };
                    for item in items.as_array().into_iter().flatten() {
                        let bytes = item_size(item);
                        tally.items += 1;
                        tally.bytes += bytes;
                        tally.read_units += bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64 * factor;
                        answered += 1;
                    }
                }
                // A key that found nothing costs the minimum (taken as consistent: the store's are).
                tally.read_units += requested.saturating_sub(answered) as f64;
            }
            "TransactGetItems" => {
                for response in answer["Responses"].as_array().into_iter().flatten() {
                    let bytes = response.get("Item").map_or(0, item_size);
                    tally.items += u64::from(response.get("Item").is_some());
                    tally.bytes += bytes;
                    tally.read_units += 2.0 * bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64;
                }
            }
            "Query" | "Scan" => {
                tally.items = answer["ScannedCount"].as_u64().context("ScannedCount")?;
                let shown_whole = ["FilterExpression", "ProjectionExpression", "Select"]
                    .iter()
                    .all(|name| request.get(*name).is_none());
                let items = if shown_whole {
                    answer.clone()
                } else {
                    let body = Bytes::from(serde_json::to_vec(&key_condition_only(request))?);
                    let (status, _, bytes) = self.post("/", headers, body).await?;
                    ensure!(status.is_success(), "the key-condition request answered {status}");
                    serde_json::from_slice(&bytes)?
                };
                let read: Vec<&Value> = items["Items"].as_array().into_iter().flatten().collect();
                ensure!(
                    read.len() as u64 == tally.items,
                    "{operation}: the key condition alone answered {} items, ScannedCount was {}",
                    read.len(),
                    tally.items
                );
                tally.bytes = read.iter().map(|item| item_size(item)).sum();
                tally.read_units = units(tally.bytes);
            }
            _ => return Ok(()),
        }
        *self.tally.lock().expect("not poisoned") += tally;
        Ok(())
    }
}

async fn forward(
    State(meter): State<Arc<Meter>>,
    request: axum::extract::Request,
) -> Result<(StatusCode, HeaderMap, Bytes), (StatusCode, String)> {
    let fail = |e: anyhow::Error| (StatusCode::BAD_GATEWAY, format!("{e:#}"));
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.map_err(|e| fail(e.into()))?;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let (status, mut headers, answer) =
        meter.post(&path, &parts.headers, body.clone()).await.map_err(fail)?;
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(TARGET_PREFIX));
    if let (Some(operation), true) = (operation, status.is_success()) {
        let request: Value = serde_json::from_slice(&body).map_err(|e| fail(e.into()))?;
        let parsed: Value = serde_json::from_slice(&answer).map_err(|e| fail(e.into()))?;
        meter.count(operation, &parts.headers, &request, &parsed).await.map_err(fail)?;
    }
    headers.remove(axum::http::header::TRANSFER_ENCODING);
    headers.remove(axum::http::header::CONTENT_LENGTH);
    Ok((status, headers, answer))
}

/// A Query or Scan with its key condition alone: the same table or index, start
/// key, limit and order, every item it reaches answered as the index projects
/// it (no filter, no projection expression, no `Select`).
fn key_condition_only(request: &Value) -> Value {
    let mut only = Map::new();
    for name in [
        "TableName",
        "IndexName",
        "KeyConditionExpression",
        "ExclusiveStartKey",
        "Limit",
        "ScanIndexForward",
        "ConsistentRead",
        "Segment",
        "TotalSegments",
    ] {
        if let Some(value) = request.get(name) {
            only.insert(name.to_owned(), value.clone());
        }
    }
    // Only the names and values the key condition uses (DynamoDB refuses unused ones).
    let condition = request["KeyConditionExpression"].as_str().unwrap_or_default();
    for (field, sigil) in [("ExpressionAttributeNames", '#'), ("ExpressionAttributeValues", ':')] {
        let used: Map<String, Value> = request[field]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(placeholder, _)| mentions(condition, placeholder, sigil))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !used.is_empty() {
            only.insert(field.to_owned(), Value::Object(used));
        }
    }
    Value::Object(only)
}

/// Whether `expression` uses `placeholder` as a whole token (`#s` is not in `#sk`).
fn mentions(expression: &str, placeholder: &str, sigil: char) -> bool {
    debug_assert!(placeholder.starts_with(sigil));
    expression.match_indices(placeholder).any(|(at, _)| {
        let next = expression[at + placeholder.len()..].chars().next();
        !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// An item's size by DynamoDB's rules: each attribute's name and value.
pub fn item_size(item: &Value) -> u64 {
    item.as_object().into_iter().flatten().map(|(name, value)| name.len() as u64 + value_size(value)).sum()
}

fn value_size(value: &Value) -> u64 {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else { return 0 };
    let text = |v: &Value| v.as_str().unwrap_or_default().len() as u64;
    // A number: about one byte per two significant digits, plus one.
    let number = |v: &Value| {
        let digits = v.as_str().unwrap_or_default().chars().filter(char::is_ascii_digit).collect::<String>();
        let significant = digits.trim_start_matches('0').trim_end_matches('0').len() as u64;
        significant.div_ceil(2) + 1
    };
    // Binary arrives base64-encoded.
    let binary = |v: &Value| {
        let s = v.as_str().unwrap_or_default();
        (s.len() as u64 * 3 / 4).saturating_sub(s.bytes().rev().take_while(|b| *b == b'=').count() as u64)
    };
    let each = |f: &dyn Fn(&Value) -> u64| inner.as_array().into_iter().flatten().map(f).sum::<u64>();
    match kind.as_str() {
        "S" => text(inner),
        "N" => number(inner),
        "B" => binary(inner),
        "BOOL" | "NULL" => 1,
        "SS" => each(&text),
        "NS" => each(&number),
        "BS" => each(&binary),
        "L" => 3 + each(&|v| 1 + value_size(v)),
        "M" => {
            3 + inner
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, v)| 1 + name.len() as u64 + value_size(v))
                .sum::<u64>()
        }
        _ => 0,
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The table to create and seed (AWS_ENDPOINT_URL on 127.0.0.1 only).
    #[arg(long)]
    pub table: String,
    /// Verified applications to seed.
    #[arg(long, default_value_t = 1_000)]
    pub count: usize,
    /// Seeding: BatchWriteItem requests in flight.
    #[arg(long, default_value_t = 8)]
    pub in_flight: usize,
}

pub fn run(args: Args) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(bench(args))
}

/// One console view: its name and its request to the admin function.
struct View {
    name: String,
    method: &'static str,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
}

impl View {
    fn get(name: &str, path: impl Into<String>) -> View {
        View { name: name.to_owned(), method: "GET", path: path.into(), query: vec![], body: None }
    }

    fn query(mut self, name: &'static str, value: impl Into<String>) -> View {
        self.query.push((name, value.into()));
        self
    }

    /// An HTTP API (payload 2.0) event with an operator's claims, as API
    /// Gateway hands it to the admin function.
    fn request(&self) -> Result<lambda_http::Request> {
        let params: Map<String, Value> =
            self.query.iter().map(|(n, v)| ((*n).to_owned(), json!(v))).collect();
        let raw_query =
            self.query.iter().map(|(n, v)| format!("{n}={}", percent(v))).collect::<Vec<_>>().join("&");
        let mut event = json!({
            "version": "2.0",
            "routeKey": format!("{} {}", self.method, self.path),
            "rawPath": self.path,
            "rawQueryString": raw_query,
            "headers": {
                "content-type": "application/json",
                "idempotency-key": "5b7c1f7e-0d7a-4c52-9d8e-3a1b2c4d5e6f"
            },
            "requestContext": {
                "http": { "method": self.method, "path": self.path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10" },
                "requestId": "bench-reads",
                "routeKey": format!("{} {}", self.method, self.path),
                "stage": "$default",
                "authorizer": { "jwt": { "claims": {
                    admin::operator::USERNAME_CLAIM: "bench@partner.example.jp",
                    admin::operator::GROUPS_CLAIM: format!("[{}]", shared::domain::Role::Operator.group())
                }, "scopes": null } }
            },
            "isBase64Encoded": false
        });
        if !params.is_empty() {
            event["queryStringParameters"] = Value::Object(params);
        }
        if let Some(id) = self.path.split('/').nth(4) {
            event["pathParameters"] = json!({ "applicationId": id });
        }
        if let Some(body) = &self.body {
            event["body"] = json!(body.to_string());
        }
        lambda_http::request::from_str(&event.to_string()).map_err(|e| anyhow!("{e}"))
    }
}

/// Every byte but the unreserved ones percent-encoded (UTF-8 included).
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn bench(args: Args) -> Result<()> {
    let upstream = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    if !(upstream.starts_with("http://127.0.0.1:") || upstream.starts_with("http://localhost:")) {
        bail!("AWS_ENDPOINT_URL must point at a local endpoint on 127.0.0.1, not {upstream:?}");
    }
    let now = Timestamp::now().epoch();
    let key = Arc::new(IdentifierKey::for_tests());
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let direct = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), args.table.clone());
    shared::store::dynamodb::create_table(direct.client(), &args.table).await.map_err(|e| anyhow!("{e}"))?;
    let seeding = std::time::Instant::now();
    let seed_store: Arc<dyn Store> = Arc::new(direct.clone());
    review_bench::seed(seed_store, Arc::clone(&key), args.count, now, 8, args.in_flight).await?;
    println!("seeded {} verified applications in {:.1} s", args.count, seeding.elapsed().as_secs_f64());

    // The admin function's own handler, its DynamoDB client through the meter.
    let (meter, endpoint) = Meter::start(&upstream).await?;
    // Set on the client's own configuration: one from the SdkConfig would take AWS_ENDPOINT_URL first.
    let metered_config = aws_sdk_dynamodb::config::Builder::from(&sdk).endpoint_url(endpoint).build();
    let metered = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(metered_config), args.table.clone());
    // No document is read: the files' directory only has to exist.
    let files = std::env::temp_dir().join(format!("bench-reads-files-{}", std::process::id()));
    let files = Arc::new(shared::documents::local::LocalFiles::open(&files)?);
    let handler = admin::Handler::new(Arc::new(metered), files, Arc::clone(&key), admin::Settings::default());

    // The probe (its corporate name is shared by others, so the related check
    // finds some) and a received application to decide, found directly.
    let probe = review_bench::seeded(args.count / 2, now)?;
    let query = |status, search| ListQuery {
        status,
        search,
        from: None,
        to: None,
        limit: 1,
        cursor: None,
        assignee: None,
    };
    let found = |query: ListQuery| {
        let direct = direct.clone();
        async move { direct.list(&query).await.map_err(|e| anyhow!("{e}")) }
    };
    let by_number = Search::ReceptionNumber(probe.receipt.reception_number);
    let probe_id = found(query(None, Some(by_number)))
        .await?
        .items
        .first()
        .context("the probe is not stored")?
        .receipt
        .application_id;
    let received = found(query(Some(Status::Received), None)).await?;
    let to_decide = received.items.first().context("nothing received")?;
    let admin_path = shared::routes::ADMIN_LIST.path;
    let views = [
        View::get("list: first page (50), newest first", admin_path),
        View::get("list: first page (50), status received", admin_path).query("status", "received"),
        View::get("counts (the tabs)", shared::routes::ADMIN_COUNTS.path),
        View::get("detail, with its related check", format!("{admin_path}/{probe_id}")),
        View {
            name: "decision: approve (its answer: the detail without checks)".into(),
            method: "POST",
            path: format!("{admin_path}/{}/decisions", to_decide.receipt.application_id),
            query: vec![],
            body: Some(json!({ "decision": "approve", "expectedVersion": to_decide.version.get() })),
        },
        View::get("search: reception number", admin_path)
            .query("q", probe.receipt.reception_number.as_str().to_owned()),
        View::get("search: phone", admin_path).query("q", probe.application.phone.as_str().to_owned()),
        View::get(&format!("search: name {FEW_TEXT} (~3 %), first page"), admin_path).query("q", FEW_TEXT),
        View::get("search: a name that matches nothing", admin_path).query("q", NO_TEXT),
    ];
    println!();
    println!(
        "| view ({} applications) | status | DynamoDB reads | items read | bytes read | read units (est.) |",
        args.count
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for view in &views {
        meter.take();
        let answer = handler.handle(view.request()?).await;
        let read = meter.take();
        let status = answer.status().as_u16();
        ensure!(answer.status().is_success(), "{}: answered {status}", view.name);
        println!(
            "| {} | {status} | {} | {} | {} | {:.1} |",
            view.name, read.requests, read.items, read.bytes, read.read_units
        );
    }
    let sizes = entry_sizes(&direct).await?;
    println!();
    println!("| bytes per verified application ({} applications) | mean |", sizes.count);
    println!("|---|---:|");
    for (name, total, count) in [
        ("the whole item (`byReceived`, ALL: a name search before `nameSearch`)", sizes.whole, sizes.count),
        ("a `nameSearch` entry (what a name search reads now)", sizes.search, sizes.count),
        ("a `nameSearch` entry if it also held the list's columns", sizes.search_with_columns, sizes.count),
        ("a `byCorporateName` entry (of the corporations)", sizes.related, sizes.corporations),
    ] {
        println!("| {name} | {:.0} |", total as f64 / count.max(1) as f64);
    }
    Ok(())
}

/// The summed sizes of every verified application as each index would hold it.
#[derive(Debug, Default)]
struct EntrySizes {
    count: u64,
    whole: u64,
    search: u64,
    search_with_columns: u64,
    related: u64,
    corporations: u64,
}

/// Every verified application, read whole from `byReceived` (not metered),
/// sized as a whole item, as its `nameSearch` entry, as that entry with the
/// list's columns too (the alternative docs/storage.md weighs) and as its
/// `byCorporateName` entry: the per-application figures of the name search.
async fn entry_sizes(store: &DynamoStore) -> Result<EntrySizes> {
    use shared::domain::Field;
    use shared::store::layout::{self, attr};
    let table_keys = [layout::PARTITION_KEY, layout::SORT_KEY];
    let search: Vec<&str> = table_keys
        .iter()
        .chain(&[layout::SEARCH_INDEX_PARTITION_KEY, layout::SEARCH_INDEX_SORT_KEY])
        .chain(&layout::SEARCH_PROJECTION)
        .copied()
        .collect();
    // What the list's row shows beside what the entry has (`admin::views::ListItem`).
    let columns = [
        attr::RECEPTION_NUMBER,
        attr::VERSION,
        Field::ContractType.key(),
        Field::Email.key(),
        Field::CorporateName.key(),
        Field::LastName.key(),
        Field::FirstName.key(),
    ];
    let related: Vec<&str> = table_keys
        .iter()
        .chain(&[layout::CORPORATE_NAME_INDEX_PARTITION_KEY, layout::CORPORATE_NAME_INDEX_SORT_KEY])
        .chain(&layout::RELATED_PROJECTION)
        .copied()
        .collect();
    let mut sizes = EntrySizes::default();
    let mut start = None;
    loop {
        let output = store
            .client()
            .query()
            .table_name(store.table())
            .index_name(layout::RECEIVED_INDEX)
            .key_condition_expression("#l = :l")
            .expression_attribute_names("#l", layout::RECEIVED_INDEX_PARTITION_KEY)
            .expression_attribute_values(
                ":l",
                aws_sdk_dynamodb::types::AttributeValue::S(layout::LISTED.into()),
            )
            .set_exclusive_start_key(start)
            .send()
            .await?;
        for item in output.items() {
            let json = |names: Option<&[&str]>| {
                let kept =
                    item.iter().filter(|(name, _)| names.is_none_or(|names| names.contains(&name.as_str())));
                Value::Object(kept.map(|(name, value)| (name.clone(), to_json(value))).collect())
            };
            sizes.count += 1;
            sizes.whole += item_size(&json(None));
            sizes.search += item_size(&json(Some(&search)));
            let with_columns: Vec<&str> = search.iter().chain(&columns).copied().collect();
            sizes.search_with_columns += item_size(&json(Some(&with_columns)));
            if item.contains_key(layout::CORPORATE_NAME_INDEX_PARTITION_KEY) {
                sizes.corporations += 1;
                sizes.related += item_size(&json(Some(&related)));
            }
        }
        start = output.last_evaluated_key;
        if start.is_none() {
            return Ok(sizes);
        }
    }
}

/// An SDK attribute value as DynamoDB's JSON has it (what [`item_size`] reads).
fn to_json(value: &aws_sdk_dynamodb::types::AttributeValue) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    match value {
        A::S(text) => json!({ "S": text }),
        A::N(digits) => json!({ "N": digits }),
        A::Bool(flag) => json!({ "BOOL": flag }),
        A::Null(_) => json!({ "NULL": true }),
        A::Ss(texts) => json!({ "SS": texts }),
        A::Ns(numbers) => json!({ "NS": numbers }),
        A::L(values) => json!({ "L": values.iter().map(to_json).collect::<Vec<_>>() }),
        A::M(map) => json!({ "M": map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect::<Map<_, _>>() }),
        _ => json!({ "NULL": true }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_sizes_follow_dynamodbs_rules() {
        // Names and strings by UTF-8 bytes (a kanji is 3).
        assert_eq!(item_size(&json!({ "pk": { "S": "APP#1" }, "名": { "S": "佐藤" } })), 2 + 5 + 3 + 6);
        // 12345 has five significant digits: 3 bytes + 1.
        assert_eq!(item_size(&json!({ "n": { "N": "12345" } })), 1 + 4);
        assert_eq!(item_size(&json!({ "n": { "N": "1000" } })), 1 + 2);
        assert_eq!(item_size(&json!({ "b": { "BOOL": true } })), 1 + 1);
        // A map: 3 bytes, and per element 1 + its name and value.
        assert_eq!(item_size(&json!({ "m": { "M": { "a": { "S": "xy" } } } })), 1 + 3 + 1 + 1 + 2);
    }

    #[test]
    fn sdk_values_are_sized_as_their_json() {
        use aws_sdk_dynamodb::types::AttributeValue as A;
        let item = Map::from_iter([
            ("pk".to_owned(), to_json(&A::S("APP#1".into()))),
            ("n".to_owned(), to_json(&A::N("12345".into()))),
            ("ss".to_owned(), to_json(&A::Ss(vec!["ab".into(), "c".into()]))),
        ]);
        assert_eq!(item_size(&Value::Object(item)), (2 + 5) + (1 + 4) + (2 + 3));
    }

    #[test]
    fn a_key_condition_request_keeps_only_what_the_condition_names() {
        let request = json!({
            "TableName": "t", "IndexName": "byReceived", "Limit": 50, "ScanIndexForward": false,
            "KeyConditionExpression": "#l = :l",
            "FilterExpression": "contains(#s, :s) OR #sk = :sk",
            "ProjectionExpression": "#s", "Select": "SPECIFIC_ATTRIBUTES",
            "ExpressionAttributeNames": { "#l": "listing", "#s": "searchText", "#sk": "sk" },
            "ExpressionAttributeValues": { ":l": { "S": "verified" }, ":s": { "S": "x" }, ":sk": { "S": "y" } },
            "ExclusiveStartKey": { "pk": { "S": "APP#1" } }
        });
        assert_eq!(
            key_condition_only(&request),
            json!({
                "TableName": "t", "IndexName": "byReceived", "Limit": 50, "ScanIndexForward": false,
                "KeyConditionExpression": "#l = :l",
                "ExpressionAttributeNames": { "#l": "listing" },
                "ExpressionAttributeValues": { ":l": { "S": "verified" } },
                "ExclusiveStartKey": { "pk": { "S": "APP#1" } }
            })
        );
        assert!(mentions("#s = :s AND #sk < :now", "#sk", '#'));
        assert!(!mentions("#sk < :now", "#s", '#'));
    }
}
