//! Real services for the notification tests: moto, as
//! `test_support::moto_endpoint` finds or starts it (the clients, tables and
//! senders are test-support's, `test_support::moto`), read back through the
//! Streams API and moto's recorded SES messages. Each test uses its own table
//! and its own sender address, so tests (and other crates' tests on the same
//! server) do not see each other.

use aws_lambda_events::event::dynamodb::Event;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::domain::{Application, RawApplication};
use shared::keyed::IdentifierKey;
use shared::mail::{self, MailConfig, MailEvent};
use shared::store::dynamodb::DynamoStore;
use shared::store::{ConfirmOutcome, Store, StoredApplication, Submission, SubmitOutcome};

pub use test_support::moto::{REGION, sender};
pub use test_support::{free_port, mail_marks as marked, moto_endpoint as endpoint, unique};

/// A fresh table with the layout's schema and stream, and a store on it.
pub async fn fresh_store() -> DynamoStore {
    test_support::moto::fresh_store_on(endpoint(), "notify-").await
}

/// An SES v2 client with the production SDK settings, on moto or on `endpoint`
/// (e.g. one where nothing listens).
pub async fn ses_client(endpoint: Option<&str>) -> aws_sdk_sesv2::Client {
    test_support::moto::ses_client(endpoint.unwrap_or(self::endpoint())).await
}

pub fn mail_config(from: &str, operator: &str) -> MailConfig {
    MailConfig::from_lookup(mail::pairs(&[
        (mail::ENV_PUBLIC_BASE_URL, "https://partners.example.jp"),
        (mail::ENV_FROM, from),
        (mail::ENV_FROM_NAME, "パートナー登録窓口"),
        (mail::ENV_REPLY_TO, "partner-support@partner.example.jp"),
        (mail::ENV_OPERATOR, operator),
    ]))
    .expect("valid mail settings")
}

/// A valid corporate application (the seed's examples) for `email`.
pub fn corporation(email: &str) -> Application {
    application(test_support::seed_application_with_email(email))
}

/// A valid sole proprietor's application with 𠮷 in the name, for `email`.
pub fn sole_proprietor(email: &str) -> Application {
    application(json!({
        "email": email, "emailConfirmation": email,
        "contractType": "sole_proprietor",
        "lastName": "𠮷田", "firstName": "花子",
        "lastNameKana": "ヨシダ", "firstNameKana": "ハナコ",
        "postalCode": "1000001", "addressRegion": "東京都千代田区", "addressStreet": "千代田1-1",
        "phone": "03-1234-5678", "agreedToTerms": true
    }))
}

fn application(value: Value) -> Application {
    let raw = RawApplication::deserialize(&value).expect("decodes");
    Application::parse(&raw).expect("valid").application
}

/// The identifier key of these tests (the notify function's is the deployed secret).
pub fn key() -> IdentifierKey {
    IdentifierKey::for_tests()
}

/// Stores `application` through the store's own submission path.
pub async fn submit(store: &dyn Store, application: Application) -> (Submission, MailEvent) {
    let submission = test_support::submission(&key(), application, 24 * 3600);
    let outcome = store.submit(&submission).await.expect("stored");
    let SubmitOutcome::Created { event, .. } = outcome else { panic!("{outcome:?}") };
    (submission, event)
}

/// Stores and confirms `application`, as its applicant would with the link.
pub async fn confirmed(store: &dyn Store, application: Application) -> StoredApplication {
    let (submission, _) = submit(store, application).await;
    match store.confirm(&submission.token_hash).await.expect("confirmed") {
        ConfirmOutcome::Confirmed(stored) => stored,
        other => panic!("{other:?}"),
    }
}

/// Calls the DynamoDB Streams API on moto (unsigned JSON; moto routes on the
/// target and the credential scope).
async fn streams(action: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(endpoint())
        .header("Content-Type", "application/x-amz-json-1.0")
        .header("X-Amz-Target", format!("DynamoDBStreams_20120810.{action}"))
        .header(
            "Authorization",
            format!("AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(body.to_string())
        .send()
        .await
        .expect("streams request");
    assert!(response.status().is_success(), "{action}: {}", response.status());
    response.json().await.expect("streams JSON")
}

/// Every record of the table's stream so far, as Lambda would pass them to the
/// function (the stream records plus `eventSourceARN`).
pub async fn stream_event(store: &DynamoStore) -> Event {
    let table = store.client().describe_table().table_name(store.table()).send().await.expect("describe");
    let arn = table.table().and_then(|t| t.latest_stream_arn()).expect("a stream").to_owned();
    let stream = streams("DescribeStream", json!({ "StreamArn": arn })).await;
    let mut records = Vec::new();
    for shard in stream["StreamDescription"]["Shards"].as_array().expect("shards") {
        let iterator = streams(
            "GetShardIterator",
            json!({ "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON" }),
        )
        .await;
        let page = streams("GetRecords", json!({ "ShardIterator": iterator["ShardIterator"] })).await;
        for mut record in page["Records"].as_array().expect("records").iter().cloned() {
            record["eventSourceARN"] = json!(arn);
            records.push(record);
        }
    }
    serde_json::from_value(json!({ "Records": records })).expect("a Lambda DynamoDB event")
}

/// A message SES accepted, as moto recorded it.
#[derive(Debug, Clone)]
pub struct Sent {
    /// SES's message id, as `SendEmail` answered it.
    pub id: String,
    pub source: String,
    pub destinations: Vec<String>,
    pub raw: String,
}

/// Every message SES accepted from `source`, oldest first.
pub async fn sent_from(source: &str) -> Vec<Sent> {
    let url = format!("{}/moto-api/data.json", endpoint());
    // moto serialises each attribute of its models twice, and a write on
    // another thread between the two (a stream record appended) makes it
    // answer 500 now and then: ask again.
    let mut data = None;
    for _ in 0..5 {
        let answer = reqwest::get(&url).await.expect("moto data");
        if let Ok(value) = answer.json::<Value>().await {
            data = Some(value);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let data = data.expect("moto's data.json answers JSON within five tries");
    let messages = data["ses"]["RawMessage"].as_array().cloned().unwrap_or_default();
    messages
        .into_iter()
        .filter(|message| message["source"] == source)
        .map(|message| {
            let mut destinations: Vec<String> = message["destinations"]
                .as_array()
                .expect("destinations")
                .iter()
                .map(|d| d.as_str().unwrap().to_owned())
                .collect();
            // moto lists the envelope and the To header both.
            destinations.sort();
            destinations.dedup();
            Sent {
                id: message["id"].as_str().expect("a message id").to_owned(),
                source: source.to_owned(),
                destinations,
                raw: message["raw_data"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}
