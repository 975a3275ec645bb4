//! One contract for every `Store`: each test below runs against SQLite (in a
//! temporary directory) and against DynamoDB (moto server, a table per test).

use serde::Deserialize;
use shared::domain::{
    Application, ApplicationId, IdempotencyKey, NoticeId, RawApplication, Status, Timestamp, Version,
};
use shared::keyed::{IdentifierKey, TokenHash};
use shared::mail::{MailEvent, MailKind, MailSubject};
use shared::store::sqlite::SqliteStore;
use shared::store::{
    ConfirmOutcome, Counter, Store, StoredApplication, Submission, SubmitOutcome, TokenState,
};
use shared::store::{Intake, MailLedger};
use std::sync::Arc;

/// A store and whatever must live as long as it.
pub(crate) struct Fixture {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) _dir: Option<tempfile::TempDir>,
}

pub(crate) async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    Fixture { store: Arc::new(store), _dir: Some(dir) }
}

pub(crate) async fn dynamodb() -> Fixture {
    Fixture { store: Arc::new(test_support::moto::fresh_store().await), _dir: None }
}

pub(crate) fn application(email: &str) -> Application {
    application_with(email, serde_json::json!({}))
}

/// The same with some fields changed (`changes`: field key → raw value,
/// `null` to leave the field out).
pub(crate) fn application_with(email: &str, changes: serde_json::Value) -> Application {
    let mut value = serde_json::json!({
        "email": email, "emailConfirmation": email,
        "contractType": "corporation",
        "corporateName": "エックスサーバー株式会社", "corporateNameKana": "エックスサーバーカブシキガイシャ",
        "lastName": "𠮷田", "firstName": "太郎", "lastNameKana": "ヨシダ", "firstNameKana": "タロウ",
        "postalCode": "530-0011", "addressRegion": "大阪府大阪市北区", "addressStreet": "大深町4-20",
        "addressBuilding": "グランフロント大阪 タワーA 32F", "phone": "06-6292-8811",
        "invoiceNumber": "T7000012050002", "employeeCount": 30, "annualReferralCount": 0,
        "agreedToTerms": true
    });
    for (name, change) in changes.as_object().unwrap() {
        if change.is_null() {
            value.as_object_mut().unwrap().remove(name);
        } else {
            value[name] = change.clone();
        }
    }
    let raw = RawApplication::deserialize(&value).unwrap();
    Application::parse(&raw).unwrap().application
}

pub(crate) fn key() -> IdentifierKey {
    IdentifierKey::for_tests()
}

/// A submission as the handler makes it, under this idempotency key,
/// expiring `ttl` seconds from now.
pub(crate) fn submission_expiring(key: &str, application: Application, ttl: i64) -> Submission {
    let mut submission = test_support::submission(&self::key(), application, ttl);
    submission.idempotency_key = IdempotencyKey::parse(key).expect("a well-formed key");
    submission
}

pub(crate) fn submission(key: &str, application: Application) -> Submission {
    submission_expiring(key, application, 24 * 3600)
}

fn token_of(id: ApplicationId) -> TokenHash {
    key().verification_token(id).hash()
}

fn created(submission: &Submission) -> SubmitOutcome {
    SubmitOutcome::Created {
        response_body: submission.response_body.clone(),
        event: MailEvent::Submitted(submission.receipt.application_id),
    }
}

async fn count(store: &dyn Store, status: Status) -> usize {
    store.list_by_status(status, 1000).await.unwrap().len()
}

/// The application a confirmation made. An `AlreadyConfirmed` counts: when
/// the SDK resent a transaction that had in fact committed (a timeout under
/// load), the store finds the token used and answers so.
pub(crate) async fn confirmed(store: &dyn Store, submission: &Submission) -> StoredApplication {
    match store.confirm(&submission.token_hash).await.unwrap() {
        ConfirmOutcome::Confirmed(stored) | ConfirmOutcome::AlreadyConfirmed(stored) => stored,
        other => panic!("{other:?}"),
    }
}

const UNKNOWN: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

async fn create_and_read_back(f: Fixture) {
    let first = submission("key-0000000000000001", application("Taro.Yamada@example.com"));
    assert_eq!(f.store.submit(&first).await.unwrap(), created(&first));
    let stored = f.store.get(first.receipt.application_id).await.unwrap().expect("stored");
    assert_eq!(stored, shared::store::plan::awaiting(&first, None));
    assert_eq!((stored.status, stored.version), (Status::AwaitingVerification, Version::FIRST));
    assert_eq!(f.store.get(ApplicationId::parse(UNKNOWN).unwrap()).await.unwrap(), None);
    // Unverified applications appear only when asked for.
    assert_eq!(
        f.store.list_by_status(Status::AwaitingVerification, 10).await.unwrap(),
        std::slice::from_ref(&stored)
    );
    assert_eq!(count(&*f.store, Status::Received).await, 0);
    assert_eq!(f.store.token(&first.token_hash).await.unwrap(), TokenState::Pending(stored));
    assert_eq!(
        f.store.token(&token_of(ApplicationId::parse(UNKNOWN).unwrap())).await.unwrap(),
        TokenState::NotFound
    );
}

async fn replay_returns_the_first_body(f: Fixture) {
    let first = submission("key-0000000000000002", application("a@example.com"));
    assert_eq!(f.store.submit(&first).await.unwrap(), created(&first));
    // A retry carries fresh identifiers; the stored acknowledgement wins.
    let retry = submission_expiring("key-0000000000000002", application("a@example.com"), 3600);
    assert_ne!(retry.response_body, first.response_body);
    // The first attempt's event too: it may have committed and lost its
    // answer before its mail was handed on (issue 25, 13).
    assert_eq!(
        f.store.submit(&retry).await.unwrap(),
        SubmitOutcome::Replayed {
            response_body: first.response_body.clone(),
            event: MailEvent::Submitted(first.receipt.application_id)
        }
    );
    assert_eq!(count(&*f.store, Status::AwaitingVerification).await, 1);
    assert!(
        f.store.get(first.receipt.application_id).await.unwrap().is_some(),
        "not superseded by its replay"
    );
}

async fn same_key_other_body_is_rejected(f: Fixture) {
    let first = submission("key-0000000000000003", application("a@example.com"));
    f.store.submit(&first).await.unwrap();
    let other = submission("key-0000000000000003", application("b@example.com"));
    assert_eq!(f.store.submit(&other).await.unwrap(), SubmitOutcome::KeyReused);
    assert_eq!(count(&*f.store, Status::AwaitingVerification).await, 1);
    assert_eq!(f.store.get(other.receipt.application_id).await.unwrap(), None);
}

async fn an_unverified_address_is_superseded(f: Fixture) {
    let first = submission("key-0000000000000004", application("Taro@example.com"));
    f.store.submit(&first).await.unwrap();
    // Another attempt (new key) for the same mailbox, differently cased.
    let again = submission("key-0000000000000005", application("TARO@EXAMPLE.COM"));
    assert_eq!(f.store.submit(&again).await.unwrap(), created(&again));
    assert_eq!(f.store.get(first.receipt.application_id).await.unwrap(), None, "replaced");
    assert_eq!(f.store.token(&first.token_hash).await.unwrap(), TokenState::NotFound, "its link too");
    assert_eq!(f.store.confirm(&first.token_hash).await.unwrap(), ConfirmOutcome::NotFound);
    let stored = f.store.get(again.receipt.application_id).await.unwrap().unwrap();
    assert_eq!(stored.supersedes, Some(first.receipt.application_id));
    assert_eq!(count(&*f.store, Status::AwaitingVerification).await, 1);
    assert!(matches!(f.store.token(&again.token_hash).await.unwrap(), TokenState::Pending(_)));
}

async fn a_verified_address_gets_only_a_notice(f: Fixture) {
    let first = submission("key-0000000000000006", application("a@example.com"));
    f.store.submit(&first).await.unwrap();
    confirmed(&*f.store, &first).await;
    let again = submission("key-0000000000000007", application("A@example.com"));
    let outcome = f.store.submit(&again).await.unwrap();
    let SubmitOutcome::Created { response_body, event: MailEvent::AlreadyReceived(notice_id) } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(response_body, again.response_body, "the same answer as for a new address");
    assert_eq!(notice_id, again.notice_id);
    let notice = f.store.notice(notice_id).await.unwrap().unwrap();
    assert_eq!(notice.application_id, first.receipt.application_id);
    // Nothing of what was typed is kept: no application, no token.
    assert_eq!(f.store.get(again.receipt.application_id).await.unwrap(), None);
    assert_eq!(f.store.token(&again.token_hash).await.unwrap(), TokenState::NotFound);
    assert_eq!(count(&*f.store, Status::AwaitingVerification).await, 0);
    assert_eq!(count(&*f.store, Status::Received).await, 1);
    // Its replay answers the same, with the same notice's event (a fresh
    // notice id in the retry cannot stand for it).
    let replay = submission("key-0000000000000007", application("A@example.com"));
    assert_ne!(replay.notice_id, notice_id);
    assert_eq!(
        f.store.submit(&replay).await.unwrap(),
        SubmitOutcome::Replayed { response_body, event: MailEvent::AlreadyReceived(notice_id) }
    );
}

async fn confirming_is_one_transition_and_idempotent(f: Fixture) {
    let first = submission("key-0000000000000008", application("a@example.com"));
    f.store.submit(&first).await.unwrap();
    let stored = confirmed(&*f.store, &first).await;
    assert_eq!(stored.status, Status::Received);
    assert_eq!(stored.version, Version::FIRST.next());
    assert!(stored.verified_at.is_some());
    assert_eq!(stored.expires_at, None, "a verified application does not expire");
    assert_eq!(stored.receipt, first.receipt);
    assert_eq!(
        f.store.confirm(&first.token_hash).await.unwrap(),
        ConfirmOutcome::AlreadyConfirmed(stored.clone())
    );
    assert_eq!(f.store.token(&first.token_hash).await.unwrap(), TokenState::Confirmed(stored.clone()));
    assert_eq!(f.store.get(first.receipt.application_id).await.unwrap(), Some(stored.clone()));
    assert_eq!(f.store.list_by_status(Status::Received, 10).await.unwrap(), [stored]);
    assert_eq!(count(&*f.store, Status::AwaitingVerification).await, 0);
}

async fn expired_is_absent(f: Fixture) {
    let late = submission_expiring("key-0000000000000009", application("a@example.com"), -5);
    f.store.submit(&late).await.unwrap();
    assert_eq!(f.store.token(&late.token_hash).await.unwrap(), TokenState::Expired);
    assert_eq!(f.store.confirm(&late.token_hash).await.unwrap(), ConfirmOutcome::Expired);
    assert_eq!(f.store.get(late.receipt.application_id).await.unwrap(), None);
    assert_eq!(count(&*f.store, Status::AwaitingVerification).await, 0);
    assert_eq!(f.store.pending_mail().await.unwrap(), []);
    // The address is free again: a new submission is new, not a reissue.
    let again = submission("key-0000000000000010", application("a@example.com"));
    assert_eq!(f.store.submit(&again).await.unwrap(), created(&again));
    assert_eq!(f.store.get(again.receipt.application_id).await.unwrap().unwrap().supersedes, None);
    confirmed(&*f.store, &again).await;
}

async fn taken_reception_number_writes_nothing(f: Fixture) {
    let first = submission("key-0000000000000011", application("a@example.com"));
    f.store.submit(&first).await.unwrap();
    let mut clash = submission("key-0000000000000012", application("b@example.com"));
    clash.receipt.reception_number = first.receipt.reception_number;
    assert_eq!(f.store.submit(&clash).await.unwrap(), SubmitOutcome::ReceptionNumberTaken);
    assert_eq!(count(&*f.store, Status::AwaitingVerification).await, 1);
    let retry = submission("key-0000000000000012", application("b@example.com"));
    assert_eq!(f.store.submit(&retry).await.unwrap(), created(&retry));
}

async fn concurrent_same_key_stores_once(f: Fixture) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let store = Arc::clone(&f.store);
        tasks.spawn(async move {
            let attempt = submission("key-0000000000000013", application("a@example.com"));
            store.submit(&attempt).await.unwrap()
        });
    }
    let outcomes = tasks.join_all().await;
    let created: Vec<&String> = outcomes
        .iter()
        .filter_map(|o| match o {
            SubmitOutcome::Created { response_body, .. } => Some(response_body),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    for outcome in &outcomes {
        match outcome {
            SubmitOutcome::Created { response_body, .. } | SubmitOutcome::Replayed { response_body, .. } => {
                assert_eq!(response_body, created[0])
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(count(&*f.store, Status::AwaitingVerification).await, 1);
}

/// Eight submissions for one address at once: each is stored (and mailed) in
/// turn, superseding the one before, and exactly one application with one live
/// link is left. (Each round of optimistic writes lets one writer through, so
/// many more at once would, rightly, see some 503s after the retries.)
async fn concurrent_same_email_leaves_one_live_link(f: Fixture) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let store = Arc::clone(&f.store);
        tasks.spawn(async move {
            let attempt = submission(&format!("key-concurrent-email-{i:02}"), application("a@example.com"));
            (store.submit(&attempt).await.unwrap(), attempt)
        });
    }
    let outcomes = tasks.join_all().await;
    assert!(outcomes.iter().all(|(o, _)| matches!(o, SubmitOutcome::Created { .. })), "{outcomes:?}");
    let listed = f.store.list_by_status(Status::AwaitingVerification, 100).await.unwrap();
    assert_eq!(listed.len(), 1, "one application per address");
    let mut live = 0;
    for (_, attempt) in &outcomes {
        if matches!(f.store.token(&attempt.token_hash).await.unwrap(), TokenState::Pending(_)) {
            live += 1;
            assert_eq!(attempt.receipt.application_id, listed[0].receipt.application_id);
        }
    }
    assert_eq!(live, 1, "one live link per address");
}

async fn concurrent_confirmations_confirm_once(f: Fixture) {
    let first = submission("key-0000000000000014", application("a@example.com"));
    f.store.submit(&first).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (store, token) = (Arc::clone(&f.store), first.token_hash.clone());
        tasks.spawn(async move { store.confirm(&token).await.unwrap() });
    }
    let outcomes = tasks.join_all().await;
    let now = outcomes.iter().filter(|o| matches!(o, ConfirmOutcome::Confirmed(_))).count();
    let again = outcomes.iter().filter(|o| matches!(o, ConfirmOutcome::AlreadyConfirmed(_))).count();
    assert_eq!((now, again), (1, 9), "{outcomes:?}");
    let stored = f.store.get(first.receipt.application_id).await.unwrap().unwrap();
    assert_eq!(stored.version, Version::FIRST.next(), "one transition, one increment");
}

async fn each_mail_is_marked_once(f: Fixture) {
    let first = submission("key-0000000000000015", application("a@example.com"));
    f.store.submit(&first).await.unwrap();
    let id = MailSubject::Application(first.receipt.application_id);
    for kind in MailKind::ALL {
        assert!(!f.store.mail_sent(id, kind).await.unwrap());
    }
    assert!(f.store.mark_mail_sent(id, MailKind::Acknowledgement, None).await.unwrap());
    assert!(f.store.mail_sent(id, MailKind::Acknowledgement).await.unwrap());
    assert!(!f.store.mail_sent(id, MailKind::OperatorNotice).await.unwrap());
    assert!(!f.store.mark_mail_sent(id, MailKind::Acknowledgement, None).await.unwrap());
    assert!(f.store.mark_mail_sent(id, MailKind::OperatorNotice, None).await.unwrap());
    // An unknown record has nothing sent and cannot be marked.
    for unknown in [
        MailSubject::Application(ApplicationId::parse(UNKNOWN).unwrap()),
        MailSubject::Notice(NoticeId::parse(UNKNOWN).unwrap()),
    ] {
        assert!(!f.store.mail_sent(unknown, MailKind::Verification).await.unwrap());
        assert!(!f.store.mark_mail_sent(unknown, MailKind::Verification, None).await.unwrap());
    }
    // Marking keeps the application readable.
    assert!(f.store.get(first.receipt.application_id).await.unwrap().is_some());
}

async fn pending_mail_lists_what_is_unsent(f: Fixture) {
    let first = submission("key-0000000000000016", application("a@example.com"));
    f.store.submit(&first).await.unwrap();
    let id = first.receipt.application_id;
    let subject = MailSubject::Application(id);
    assert_eq!(f.store.pending_mail().await.unwrap(), [MailEvent::Submitted(id)]);
    f.store.mark_mail_sent(subject, MailKind::Verification, None).await.unwrap();
    assert_eq!(f.store.pending_mail().await.unwrap(), []);
    confirmed(&*f.store, &first).await;
    assert_eq!(f.store.pending_mail().await.unwrap(), [MailEvent::Confirmed(id)]);
    f.store.mark_mail_sent(subject, MailKind::Acknowledgement, None).await.unwrap();
    assert_eq!(f.store.pending_mail().await.unwrap(), [MailEvent::Confirmed(id)], "one of two sent");
    f.store.mark_mail_sent(subject, MailKind::OperatorNotice, None).await.unwrap();
    assert_eq!(f.store.pending_mail().await.unwrap(), []);
    let again = submission("key-0000000000000017", application("a@example.com"));
    f.store.submit(&again).await.unwrap();
    assert_eq!(f.store.pending_mail().await.unwrap(), [MailEvent::AlreadyReceived(again.notice_id)]);
    f.store
        .mark_mail_sent(MailSubject::Notice(again.notice_id), MailKind::AlreadyReceived, None)
        .await
        .unwrap();
    assert_eq!(f.store.pending_mail().await.unwrap(), []);
}

async fn counters_admit_up_to_their_limit(f: Fixture) {
    let window_ends = Timestamp::now().plus_secs(3600);
    let counter = |name: &str, limit| Counter { key: test_support::unique(name), limit, window_ends };
    let three = counter("three-", 3);
    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(f.store.admit(&three).await.unwrap());
    }
    assert_eq!(answers, [true, true, true, false]);
    assert!(f.store.admit(&counter("other-", 3)).await.unwrap(), "counters are independent");
    let five = counter("five-", 5);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (store, five) = (Arc::clone(&f.store), five.clone());
        tasks.spawn(async move { store.admit(&five).await.unwrap() });
    }
    let admitted = tasks.join_all().await.into_iter().filter(|a| *a).count();
    assert_eq!(admitted, 5, "atomic under concurrency");
}

async fn lists_newest_first(f: Fixture) {
    let mut ids = Vec::new();
    for (i, email) in ["a@example.com", "b@example.com", "c@example.com"].into_iter().enumerate() {
        let mut next = submission(&format!("key-list-newest-{i:04}"), application(email));
        // Distinct seconds, in order.
        next.receipt.received_at = Timestamp::parse(&format!("2026-11-28T18:30:0{i}+09:00")).unwrap();
        f.store.submit(&next).await.unwrap();
        confirmed(&*f.store, &next).await;
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

contract!(
    create_and_read_back,
    replay_returns_the_first_body,
    same_key_other_body_is_rejected,
    an_unverified_address_is_superseded,
    a_verified_address_gets_only_a_notice,
    confirming_is_one_transition_and_idempotent,
    expired_is_absent,
    taken_reception_number_writes_nothing,
    concurrent_same_key_stores_once,
    concurrent_same_email_leaves_one_live_link,
    concurrent_confirmations_confirm_once,
    each_mail_is_marked_once,
    pending_mail_lists_what_is_unsent,
    counters_admit_up_to_their_limit,
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
        SubmitOutcome::Replayed {
            response_body: first.response_body.clone(),
            event: MailEvent::Submitted(first.receipt.application_id)
        }
    );
    let again = submission("key-0000000000000011", application("a@example.com"));
    assert_eq!(other_handle.submit(&again).await.unwrap(), created(&again), "supersedes across handles");
    assert_eq!(reopened.get(first.receipt.application_id).await.unwrap(), None);
}
