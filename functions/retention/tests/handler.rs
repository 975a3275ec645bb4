//! The retention function on moto (DynamoDB and S3): a rejected application
//! past its retention is deleted with its records and its files, its
//! counter moved (the counts equal a recount after), an application kept
//! is untouched, and a second run deletes nothing. The schedule's event is
//! EventBridge Scheduler's (its payload is not read).

use lambda_runtime::{Context, LambdaEvent};
use retention::{Deps, handle};
use shared::documents::s3::S3Files;
use shared::domain::{Decision, Status, StoredApplication, Timestamp};
use shared::keyed::IdentifierKey;
use shared::store::retention::{Policy, Swept};
use shared::store::{Review, Store, Tooling};
use test_support::unique;

/// A confirmed application, rejected and kept until `retain_until`.
async fn rejected(store: &dyn Store, retain_until: Timestamp) -> StoredApplication {
    test_support::decided(store, Decision::Reject, Some("今回は見送ります。"), Some(retain_until)).await
}

async fn objects(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let listed = client.list_objects_v2().bucket(bucket).send().await.unwrap();
    listed.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect()
}

/// EventBridge Scheduler's event for a Lambda target (its default payload).
fn scheduled() -> serde_json::Value {
    serde_json::json!({
        "version": "0", "id": "d4e8b7a5-0000-4000-8000-000000000000", "detail-type": "Scheduled Event",
        "source": "aws.scheduler", "account": "123456789012", "time": "2026-12-07T03:00:00Z",
        "region": "ap-northeast-1", "resources": ["arn:aws:scheduler:ap-northeast-1:123456789012:schedule/default/retention"],
        "detail": "{}"
    })
}

#[tokio::test]
async fn a_run_deletes_what_is_past_its_retention_with_its_files_and_counter_once() {
    let store = test_support::moto::fresh_store_on(test_support::moto_endpoint(), "retention-").await;
    let client = test_support::moto::s3_client().await;
    let bucket = unique("retention-docs").to_lowercase();
    S3Files::create_bucket(&client, &bucket).await.unwrap();

    let past = rejected(&store, Timestamp::now().plus_secs(-60)).await;
    let kept = rejected(&store, Timestamp::now().plus_secs(30 * 86_400)).await;
    for stored in [&past, &kept] {
        let key = format!("documents/{}/{}", stored.id(), unique("file"));
        client.put_object().bucket(&bucket).key(key).body(b"%PDF-1.7".to_vec().into()).send().await.unwrap();
    }
    let deps = Deps {
        store: Box::new(store.clone()),
        kept: Box::new(S3Files::new(client.clone(), &bucket, false)),
        key: IdentifierKey::for_tests(),
        policy: Policy::default(),
    };
    let swept = handle(&deps, LambdaEvent::new(scheduled(), Context::default())).await.unwrap();
    assert_eq!(swept, Swept { retired: 1, documents_forgotten: 0, undecided_erased: 0 });
    assert!(store.record(past.id()).await.unwrap().is_none(), "deleted whole");
    assert!(store.record(kept.id()).await.unwrap().is_some(), "kept");
    let left = objects(&client, &bucket).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with(&format!("documents/{}/", kept.id())), "{left:?}");
    assert_eq!(store.count_by_status().await.unwrap().get(Status::Rejected), 1);
    let recounted = store.recount().await.unwrap();
    assert_eq!(recounted.before, recounted.after, "the counter moved with the deletion");
    let again = handle(&deps, LambdaEvent::new(scheduled(), Context::default())).await.unwrap();
    assert_eq!(again, Swept::default());
    // An application that TTL deleted first: its entry is retired alone, and the counter follows.
    let gone = rejected(&store, Timestamp::now().plus_secs(-60)).await;
    store
        .client()
        .delete_item()
        .table_name(store.table())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("APP#{}", gone.id())))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("APPLICATION".into()))
        .send()
        .await
        .unwrap();
    let swept = handle(&deps, LambdaEvent::new(scheduled(), Context::default())).await.unwrap();
    assert_eq!(swept.retired, 1);
    let recounted = store.recount().await.unwrap();
    assert_eq!(recounted.before, recounted.after, "the orphan's counter moved too");
}
