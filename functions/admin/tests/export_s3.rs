//! The CSV export on AWS (contract, *Erasure and export (changes v2)*): the
//! admin function over DynamoDB on moto writes the CSV to the documents
//! bucket on moto under `exports/` as a multipart upload, and answers 303
//! See Other to a presigned GET valid for 5 minutes. What that link downloads
//! is byte for byte what the local server streams of the same applications
//! (SQLite, `Handler::export_stream`): the BOM, CRLF line ends, every row.
//!
//! The 20 MB export is ~7,300 applications with every text field at its
//! longest, not ~70,000 ordinary ones: on moto every Query of a page walks
//! the whole table in Python (BENCHMARKS.md), so 70,000 rows would take over
//! ten minutes; the bytes, the parts and the pages are what matter here.

use admin::{Handler, Settings};
use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::documents::s3::S3Files;
use shared::domain::{Application, Receipt, ReceptionNumber, Status, Timestamp, Version};
use shared::exports::s3::S3Exports;
use shared::keyed::IdentifierKey;
use shared::store::sqlite::SqliteStore;
use shared::store::{Imported, Store, StoredApplication};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

const SUPERVISOR: &str = "op@example.com";

fn key() -> IdentifierKey {
    IdentifierKey::for_tests()
}

async fn s3() -> aws_sdk_s3::Client {
    test_support::moto::s3_client().await
}

/// `GET /api/admin/applications.csv` as the HTTP API passes it, from a supervisor.
fn export_request() -> Request {
    let path = shared::routes::ADMIN_EXPORT.path;
    let event = json!({
        "version": "2.0",
        "routeKey": format!("GET {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.ap-northeast-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": { "method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "Mozilla/5.0" },
            "requestId": "d1f3b2a4-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": format!("GET {path}"),
            "stage": "$default",
            "time": "28/Nov/2026:09:30:00 +0000",
            "timeEpoch": 1795771800000u64,
            "authorizer": { "jwt": { "claims": { "username": SUPERVISOR, "cognito:groups": "[operators supervisors]" }, "scopes": null }, "principalId": "", "integrationLatency": 0 }
        },
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event")
}

/// `text` repeated to exactly `chars` characters.
fn filled(text: &str, chars: usize) -> String {
    text.chars().cycle().take(chars).collect()
}

/// The `index`th application, verified, every text field at its longest
/// (about 2.8 KB a row), received `index` seconds before `now`.
fn fat(index: usize, now: i64) -> StoredApplication {
    let email = format!("partner{index:06}.{}@example.co.jp", filled("export", 40));
    let values: HashMap<&str, String> = HashMap::from([
        ("email", email),
        ("contractType", "corporation".to_owned()),
        ("corporateName", filled("株式会社青葉商事輸出入", 100)),
        ("corporateNameKana", filled("アオバショウジユシュツニュウ", 200)),
        ("lastName", filled("佐藤", 50)),
        ("firstName", filled("太郎", 50)),
        ("lastNameKana", filled("サトウ", 100)),
        ("firstNameKana", filled("タロウ", 100)),
        ("postalCode", "5300011".to_owned()),
        ("addressRegion", filled("大阪府大阪市北区", 60)),
        ("addressStreet", format!("大深町{}", filled("一丁目", 90))),
        // A cell that must be defused, on every row.
        ("addressBuilding", format!("-{}", filled("グランフロント大阪北館", 99))),
        ("phone", format!("090{:08}", 10_000_000 + index)),
        ("employeeCount", (1 + index % 500).to_string()),
        ("annualReferralCount", (index % 100).to_string()),
    ]);
    let application =
        Application::from_stored(|field| values.get(field.key()).map(|v| Cow::Owned(v.clone())))
            .unwrap_or_else(|fields| panic!("application {index} does not validate: {fields:?}"));
    let received_at = Timestamp::from_epoch(now - 3_600 - index as i64).unwrap();
    StoredApplication {
        receipt: Receipt {
            application_id: shared::domain::ApplicationId::new(
                time::OffsetDateTime::from_unix_timestamp(now - 3_600 - index as i64).unwrap(),
            ),
            reception_number: ReceptionNumber::random(),
            received_at,
        },
        application,
        status: Status::Received,
        version: Version::FIRST.next(),
        verified_at: Some(received_at.plus_secs(60)),
        expires_at: None,
        supersedes: None,
        assignee: None,
        mail_problem: false,
        partner_code: None,
    }
}

/// A fresh table on moto, read with a client that waits: the production
/// attempt timeout (1.5 s) is shorter than moto takes to walk a table of
/// 20,000 items for each Query (DynamoDB answers a page in tens of ms).
async fn patient_store() -> shared::store::dynamodb::DynamoStore {
    let fresh = test_support::moto::fresh_store_on(test_support::moto_endpoint(), "export-s3-").await;
    let timeouts = aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(std::time::Duration::from_secs(60))
        .operation_timeout(std::time::Duration::from_secs(120))
        .build();
    let config = fresh.client().config().to_builder().timeout_config(timeouts).build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    shared::store::dynamodb::DynamoStore::new(client, fresh.table())
}

/// Imports `applications` into `store`, 100 a call, `in_flight` calls at once.
async fn seed(store: Arc<dyn Store>, applications: Arc<Vec<Imported>>, in_flight: usize) {
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..in_flight {
        let (store, applications) = (Arc::clone(&store), Arc::clone(&applications));
        workers.spawn(async move {
            for chunk in applications.chunks(100).skip(worker).step_by(in_flight) {
                store.import(chunk).await.expect("import");
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }
}

/// What the local server streams of `store`: the chunks of
/// `Handler::export_stream`, joined.
async fn streamed(store: Arc<dyn Store>) -> Vec<u8> {
    let files = tempfile::tempdir().unwrap().keep();
    let files = Arc::new(shared::documents::local::LocalFiles::open(&files).unwrap());
    let handler = Handler::new(store, files, Arc::new(key()), Settings::default());
    let Ok((head, mut chunks)) = handler.export_stream(&export_request()).await else {
        panic!("the streamed export was refused");
    };
    assert_eq!(head.status(), StatusCode::OK);
    let mut bytes = Vec::new();
    while let Some(chunk) = chunks.recv().await {
        bytes.extend(chunk.expect("the streamed export broke off"));
    }
    bytes
}

/// The handler over `store` that writes its exports to `bucket`.
fn handler_to(store: Arc<dyn Store>, client: &aws_sdk_s3::Client, bucket: &str) -> Handler {
    let files = Arc::new(S3Files::new(client.clone(), bucket, false));
    Handler::new(store, files, Arc::new(key()), Settings::default())
        .exports_to(Arc::new(S3Exports::new(client.clone(), bucket)))
}

/// The export entries of the audit, newest first.
async fn exports_audited(handler: &Handler) -> Vec<Value> {
    let path = shared::routes::ADMIN_AUDIT.path;
    let mut request = export_request();
    *request.uri_mut() = path.parse().unwrap();
    let response = handler.handle(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = serde_json::from_slice(response.body()).unwrap();
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "export")
        .map(|e| e["export"].clone())
        .collect()
}

fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

#[tokio::test]
async fn a_20_mb_export_arrives_whole_through_the_303_and_equals_the_local_export() {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let key = key();
    // 20 MB of rows and a few more.
    let count = 7_300;
    let applications: Arc<Vec<Imported>> = Arc::new(
        (0..count)
            .map(|index| {
                let stored = fat(index, now);
                let email_key = key.email(&stored.application.email);
                Imported { stored, email_key }
            })
            .collect(),
    );
    let dynamo: Arc<dyn Store> = Arc::new(patient_store().await);
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
    seed(Arc::clone(&dynamo), Arc::clone(&applications), 4).await;
    seed(Arc::clone(&sqlite), Arc::clone(&applications), 1).await;

    let client = s3().await;
    let bucket = test_support::unique("exports-").to_lowercase();
    S3Files::create_bucket(&client, &bucket).await.unwrap();
    let handler = handler_to(Arc::clone(&dynamo), &client, &bucket);

    let started = std::time::Instant::now();
    let response = handler.handle(export_request()).await;
    let answered = started.elapsed();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{:?}", response.body());
    assert!(response.body().is_empty());
    assert_eq!(response.headers()["cache-control"], "no-store");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let signed = query_of(&location);
    assert_eq!(signed["X-Amz-Expires"], "300", "valid for 5 minutes");
    assert_eq!(signed["response-content-disposition"], "attachment; filename=\"applications.csv\"");
    assert_eq!(signed["response-content-type"], "text/csv; charset=utf-8");
    assert!(location.contains(&format!("/{bucket}/exports/")), "{location}");

    let download = reqwest::get(&location).await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(download.headers()["content-disposition"], "attachment; filename=\"applications.csv\"");
    let bytes = download.bytes().await.unwrap().to_vec();

    assert!(bytes.len() >= 20_000_000, "{} bytes", bytes.len());
    assert!(bytes.starts_with("\u{FEFF}受付番号,".as_bytes()));
    assert!(bytes.ends_with(b"\r\n"));
    let newlines = bytes.iter().filter(|b| **b == b'\n').count();
    let crlfs = bytes.windows(2).filter(|w| w == b"\r\n").count();
    assert_eq!(newlines, crlfs, "every line ends CRLF");
    assert_eq!(newlines, 1 + count, "the header row and every application's");
    assert!(bytes.windows(4).any(|w| w == b",'-\xE3"), "the building cell defused");
    let local = streamed(Arc::clone(&sqlite)).await;
    assert!(
        local == bytes,
        "the S3 export ({} bytes) differs from the local one ({} bytes)",
        bytes.len(),
        local.len()
    );

    // Written in parts of 5 MiB, as it was read; one object under exports/.
    let objects = client.list_objects_v2().bucket(&bucket).prefix("exports/").send().await.unwrap();
    assert_eq!(objects.contents().len(), 1);
    let object = &objects.contents()[0];
    assert!(object.key().unwrap().ends_with(".csv"));
    let first =
        client.head_object().bucket(&bucket).key(object.key().unwrap()).part_number(1).send().await.unwrap();
    assert_eq!(first.content_length(), Some(shared::exports::EXPORT_PART_BYTES as i64));
    if let Some(parts) = first.parts_count() {
        assert_eq!(parts as usize, bytes.len().div_ceil(shared::exports::EXPORT_PART_BYTES));
    }

    assert_eq!(
        exports_audited(&handler).await,
        [json!({ "status": null, "from": null, "to": null, "rows": count })]
    );
    eprintln!("export of {count} rows, {} bytes, answered in {answered:?} on moto", bytes.len());
}

/// A small export is one part under S3's least; a bucket that cannot be
/// written answers 503, leaves nothing, and is audited with 0 rows.
#[tokio::test]
async fn a_small_export_is_one_part_and_a_failed_one_is_audited_with_no_rows() {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let key = key();
    let dynamo: Arc<dyn Store> = Arc::new(test_support::moto::fresh_store().await);
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
    let applications: Arc<Vec<Imported>> = Arc::new(
        (0..3)
            .map(|index| {
                let stored = fat(index, now);
                let email_key = key.email(&stored.application.email);
                Imported { stored, email_key }
            })
            .collect(),
    );
    seed(Arc::clone(&dynamo), Arc::clone(&applications), 1).await;
    seed(Arc::clone(&sqlite), applications, 1).await;

    let client = s3().await;
    let bucket = test_support::unique("exports-").to_lowercase();
    S3Files::create_bucket(&client, &bucket).await.unwrap();
    let response = handler_to(Arc::clone(&dynamo), &client, &bucket).handle(export_request()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap();
    let bytes = reqwest::get(location).await.unwrap().bytes().await.unwrap().to_vec();
    assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 4);
    assert!(bytes == streamed(sqlite).await, "the same bytes as the local export");

    let missing = test_support::unique("no-such-bucket-").to_lowercase();
    let handler = handler_to(Arc::clone(&dynamo), &client, &missing);
    let response = handler.handle(export_request()).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("location").is_none());
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    let audited = exports_audited(&handler).await;
    assert_eq!(audited[0], json!({ "status": null, "from": null, "to": null, "rows": 0 }));
    assert_eq!(audited[1]["rows"], 3);
}
