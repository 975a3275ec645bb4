//! One contract for every `Store`: each test below runs against SQLite (in a
//! temporary directory) and against DynamoDB (moto server, a table per test).

use serde::Deserialize;
use shared::domain::{
    Application, ApplicationId, IdempotencyKey, RawApplication, Receipt, ReceivedAt, Status,
};
use shared::mail::MailKind;
use shared::store::layout;
use shared::store::sqlite::SqliteStore;
use shared::store::{Store, StoredApplication, Submission, SubmitOutcome};
use std::sync::Arc;

/// A store and whatever must live as long as it.
struct Fixture {
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    Fixture { store: Arc::new(store), _dir: Some(dir) }
}

async fn dynamodb() -> Fixture {
    Fixture { store: Arc::new(test_support::moto::fresh_store().await), _dir: None }
}

fn application(email: &str) -> Application {
    let value = serde_json::json!({
        "email": email, "emailConfirmation": email,
        "contractType": "corporation",
        "corporateName": "エックスサーバー株式会社", "corporateNameKana": "エックスサーバーカブシキガイシャ",
        "lastName": "𠮷田", "firstName": "太郎", "lastNameKana": "ヨシダ", "firstNameKana": "タロウ",
        "postalCode": "530-0011", "addressRegion": "大阪府大阪市北区", "addressStreet": "大深町4-20",
        "addressBuilding": "グランフロント大阪 タワーA 32F", "phone": "06-6292-8811",
        "invoiceNumber": "T7000012050002", "employeeCount": 30, "annualReferralCount": 0,
        "agreedToTerms": true
    });
    let raw = RawApplication::deserialize(&value).unwrap();
    Application::parse(&raw).unwrap().application
}

pub(crate) fn submission(key: &str, application: Application) -> Submission {
    let receipt = Receipt::issue_now();
    let hash = layout::sha256_hex(&serde_json::to_vec(&application).unwrap());
    Submission {
        idempotency_key: IdempotencyKey::parse(key).expect("a well-formed key"),
        request_hash: hash,
        response_body: serde_json::to_string(&receipt).unwrap(),
        receipt,
        application,
    }
}

fn created(submission: &Submission) -> SubmitOutcome {
    SubmitOutcome::Created { response_body: submission.response_body.clone() }
}

async fn count(store: &dyn Store) -> usize {
    store.list_by_status(Status::Received, 1000).await.unwrap().len()
}

async fn create_and_read_back(f: Fixture) {
    let first = submission("key-0000000000000001", application("Taro.Yamada@example.com"));
    assert_eq!(f.store.submit(&first).await.unwrap(), created(&first));
    let stored = f.store.get(first.receipt.application_id).await.unwrap().expect("stored");
    assert_eq!(stored, StoredApplication { receipt: first.receipt, application: first.application.clone() });
    assert_eq!(f.store.get(ApplicationId::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap()).await.unwrap(), None);
    assert_eq!(f.store.list_by_status(Status::Received, 10).await.unwrap(), [stored]);
}

async fn replay_returns_the_first_body(f: Fixture) {
    let first = submission("key-0000000000000002", application("a@example.com"));
    assert_eq!(f.store.submit(&first).await.unwrap(), created(&first));
    // A retry carries fresh identifiers; the stored acknowledgement wins.
    let retry = submission("key-0000000000000002", application("a@example.com"));
    assert_ne!(retry.response_body, first.response_body);
    assert_eq!(
        f.store.submit(&retry).await.unwrap(),
        SubmitOutcome::Replayed { response_body: first.response_body.clone() }
    );
    assert_eq!(count(&*f.store).await, 1);
}

async fn same_key_other_body_is_rejected(f: Fixture) {
    let first = submission("key-0000000000000003", application("a@example.com"));
    f.store.submit(&first).await.unwrap();
    let other = submission("key-0000000000000003", application("b@example.com"));
    assert_eq!(f.store.submit(&other).await.unwrap(), SubmitOutcome::KeyReused);
    assert_eq!(count(&*f.store).await, 1);
    assert_eq!(f.store.get(other.receipt.application_id).await.unwrap(), None);
}

async fn duplicate_email_writes_nothing(f: Fixture) {
    let first = submission("key-0000000000000004", application("Taro@example.com"));
    f.store.submit(&first).await.unwrap();
    // Another attempt (new key) for the same mailbox, differently cased.
    let again = submission("key-0000000000000005", application("TARO@EXAMPLE.COM"));
    assert_eq!(f.store.submit(&again).await.unwrap(), SubmitOutcome::DuplicateEmail);
    assert_eq!(count(&*f.store).await, 1);
    // Nothing of it was kept, not even its key: that key is still free.
    let other = submission("key-0000000000000005", application("hanako@example.com"));
    assert_eq!(f.store.submit(&other).await.unwrap(), created(&other));
}

async fn taken_reception_number_writes_nothing(f: Fixture) {
    let first = submission("key-0000000000000006", application("a@example.com"));
    f.store.submit(&first).await.unwrap();
    let mut clash = submission("key-0000000000000007", application("b@example.com"));
    clash.receipt.reception_number = first.receipt.reception_number;
    assert_eq!(f.store.submit(&clash).await.unwrap(), SubmitOutcome::ReceptionNumberTaken);
    assert_eq!(count(&*f.store).await, 1);
    let retry = submission("key-0000000000000007", application("b@example.com"));
    assert_eq!(f.store.submit(&retry).await.unwrap(), created(&retry));
}

async fn concurrent_same_key_stores_once(f: Fixture) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let store = Arc::clone(&f.store);
        tasks.spawn(async move {
            let attempt = submission("key-0000000000000008", application("a@example.com"));
            store.submit(&attempt).await.unwrap()
        });
    }
    let outcomes = tasks.join_all().await;
    let created: Vec<&String> = outcomes
        .iter()
        .filter_map(|o| match o {
            SubmitOutcome::Created { response_body } => Some(response_body),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    for outcome in &outcomes {
        match outcome {
            SubmitOutcome::Created { response_body } | SubmitOutcome::Replayed { response_body } => {
                assert_eq!(response_body, created[0])
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(count(&*f.store).await, 1);
}

async fn concurrent_same_email_stores_once(f: Fixture) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let store = Arc::clone(&f.store);
        tasks.spawn(async move {
            let attempt = submission(&format!("key-concurrent-email-{i:02}"), application("a@example.com"));
            store.submit(&attempt).await.unwrap()
        });
    }
    let outcomes = tasks.join_all().await;
    let created = outcomes.iter().filter(|o| matches!(o, SubmitOutcome::Created { .. })).count();
    let duplicates = outcomes.iter().filter(|o| **o == SubmitOutcome::DuplicateEmail).count();
    assert_eq!((created, duplicates), (1, 19), "{outcomes:?}");
    assert_eq!(count(&*f.store).await, 1);
}

async fn each_mail_is_marked_once(f: Fixture) {
    let first = submission("key-0000000000000009", application("a@example.com"));
    f.store.submit(&first).await.unwrap();
    let id = first.receipt.application_id;
    for kind in [MailKind::Acknowledgement, MailKind::OperatorNotice] {
        assert!(!f.store.mail_sent(id, kind).await.unwrap());
    }
    assert!(f.store.mark_mail_sent(id, MailKind::Acknowledgement).await.unwrap());
    assert!(f.store.mail_sent(id, MailKind::Acknowledgement).await.unwrap());
    assert!(!f.store.mail_sent(id, MailKind::OperatorNotice).await.unwrap());
    assert!(!f.store.mark_mail_sent(id, MailKind::Acknowledgement).await.unwrap());
    assert!(f.store.mark_mail_sent(id, MailKind::OperatorNotice).await.unwrap());
    // An unknown application has nothing sent and cannot be marked.
    let unknown = ApplicationId::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap();
    assert!(!f.store.mail_sent(unknown, MailKind::Acknowledgement).await.unwrap());
    assert!(!f.store.mark_mail_sent(unknown, MailKind::Acknowledgement).await.unwrap());
    assert_eq!(f.store.get(unknown).await.unwrap(), None);
    // Marking keeps the application readable.
    assert!(f.store.get(id).await.unwrap().is_some());
}

async fn lists_newest_first(f: Fixture) {
    let mut ids = Vec::new();
    for (i, email) in ["a@example.com", "b@example.com", "c@example.com"].into_iter().enumerate() {
        let mut next = submission(&format!("key-list-newest-{i:04}"), application(email));
        // Distinct seconds, in order.
        next.receipt.received_at = ReceivedAt::parse(&format!("2026-11-28T18:30:0{i}+09:00")).unwrap();
        f.store.submit(&next).await.unwrap();
        ids.push(next.receipt.application_id);
    }
    let listed: Vec<ApplicationId> = f
        .store
        .list_by_status(Status::Received, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.receipt.application_id)
        .collect();
    ids.reverse();
    assert_eq!(listed, ids);
    assert_eq!(f.store.list_by_status(Status::Received, 2).await.unwrap().len(), 2);
}

macro_rules! contract {
    ($($test:ident),* $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(super::sqlite().await).await
                }
            )*
        }
        mod dynamodb_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(super::dynamodb().await).await
                }
            )*
        }
    };
}

contract!(
    create_and_read_back,
    replay_returns_the_first_body,
    same_key_other_body_is_rejected,
    duplicate_email_writes_nothing,
    taken_reception_number_writes_nothing,
    concurrent_same_key_stores_once,
    concurrent_same_email_stores_once,
    each_mail_is_marked_once,
    lists_newest_first,
);

/// The embedded store keeps applications across restarts, and two handles on
/// one file (two processes, say) still see each other's keys and emails.
#[tokio::test]
async fn sqlite_survives_a_restart_and_shares_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let first = submission("key-0000000000000010", application("a@example.com"));
    {
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        assert_eq!(store.submit(&first).await.unwrap(), created(&first));
    }
    let reopened = SqliteStore::open_dir(dir.path()).unwrap();
    let other_handle = SqliteStore::open_dir(dir.path()).unwrap();
    assert!(reopened.get(first.receipt.application_id).await.unwrap().is_some());
    let retry = submission("key-0000000000000010", application("a@example.com"));
    assert_eq!(
        other_handle.submit(&retry).await.unwrap(),
        SubmitOutcome::Replayed { response_body: first.response_body.clone() }
    );
    let again = submission("key-0000000000000011", application("a@example.com"));
    assert_eq!(other_handle.submit(&again).await.unwrap(), SubmitOutcome::DuplicateEmail);
}
