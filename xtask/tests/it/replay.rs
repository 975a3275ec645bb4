//! `replay-erasures` on moto: a "restored" table holds applications that were
//! erased on the live one after the restore point; the live audit (which a
//! restore leaves alone) names them; the replay erases them again, leaves the
//! rest, and a second run changes nothing.

use serde::Deserialize;
use shared::domain::{
    Actor, Application, ApplicationId, AuditAction, AuditEntry, HistoryAction, RawApplication, Status,
    Timestamp,
};
use shared::keyed::IdentifierKey;
use shared::store::dynamodb::DynamoStore;
use shared::store::{
    ConfirmOutcome, EraseOutcome, Erasure, Intake, MailLedger, Record, Review, Submission, TokenState,
};
use test_support::moto::{dynamodb_client, fresh_store_on};
use test_support::{moto_endpoint, seed_application_with_email, submission, unique};
use xtask::replay::{Replayed, erased_since, replay};

fn application(email: &str) -> Application {
    let value = seed_application_with_email(email);
    let raw = RawApplication::deserialize(&value).unwrap();
    Application::parse(&raw).unwrap().application
}

/// A verified application, as submitted and confirmed, in each of `stores`.
async fn received(key: &IdentifierKey, email: &str, stores: &[&DynamoStore]) -> Submission {
    let submission = submission(key, application(email), 3600);
    for store in stores {
        store.submit(&submission).await.unwrap();
        let confirmed = store.confirm(&submission.token_hash).await.unwrap();
        assert!(matches!(confirmed, ConfirmOutcome::Confirmed(_)), "{confirmed:?}");
    }
    submission
}

/// An operator's erasure, as the admin function makes it.
async fn erase(store: &DynamoStore, key: &IdentifierKey, id: ApplicationId) {
    let actor = Actor::parse("op@example.com").unwrap();
    let erasure = Erasure {
        application_id: id,
        actor: actor.clone(),
        reason: shared::domain::ErasureReason::ApplicantRequest,
        at: Timestamp::now(),
        token_hash: key.verification_token(id).hash(),
        audit: AuditEntry::now(actor, AuditAction::Erase, Some(id)),
    };
    assert!(matches!(store.erase(&erasure).await.unwrap(), EraseOutcome::Erased(_)));
}

/// Every attribute value of every item of `table`, as text.
async fn table_text(table: &str) -> String {
    let client = dynamodb_client(moto_endpoint()).await;
    let scan = client.scan().table_name(table).send().await.unwrap();
    format!("{:?}", scan.items())
}

fn sorted(mut ids: Vec<ApplicationId>) -> Vec<ApplicationId> {
    ids.sort();
    ids
}

fn sorted_replayed(replayed: Replayed) -> Replayed {
    Replayed {
        erased: sorted(replayed.erased),
        already_erased: sorted(replayed.already_erased),
        not_found: sorted(replayed.not_found),
    }
}

#[tokio::test]
async fn erasures_since_the_restore_point_are_replayed_once() {
    let key = IdentifierKey::for_tests();
    let live = fresh_store_on(moto_endpoint(), "replay-live-").await;
    // The restored copy: a table of its own, the live audit.
    let restored =
        fresh_store_on(moto_endpoint(), "replay-restored-").await.with_audit_table(live.audit_table());
    let email = |name: &str| format!("{}@example.com", unique(name));
    let (a_mail, b_mail, c_mail, d_mail) = (email("a"), email("b"), email("c"), email("d"));
    let a = received(&key, &a_mail, &[&live, &restored]).await;
    let b = received(&key, &b_mail, &[&live, &restored]).await;
    let c = received(&key, &c_mail, &[&live, &restored]).await;
    let id = |s: &Submission| s.receipt.application_id;

    // C was erased before the restore point: not the replay's business.
    erase(&live, &key, id(&c)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let since = Timestamp::now();
    // After it: A and B, and D, which the restored copy never had.
    erase(&live, &key, id(&a)).await;
    erase(&live, &key, id(&b)).await;
    let d = received(&key, &d_mail, &[&live]).await;
    erase(&live, &key, id(&d)).await;
    // Other actions on the way are not erasures.
    let operator = Actor::parse("replayer@example.com").unwrap();
    live.append_audit(&AuditEntry::now(operator.clone(), AuditAction::View, Some(id(&c)))).await.unwrap();

    // The audit keeps whole seconds: erasures within one second come in id order.
    let erased: Vec<ApplicationId> =
        erased_since(&restored, since).await.unwrap().into_iter().map(|(id, _)| id).collect();
    assert_eq!(sorted(erased), sorted(vec![id(&a), id(&b), id(&d)]));

    let first = sorted_replayed(replay(&restored, &restored, &key, &operator, since).await.unwrap());
    assert_eq!(
        first,
        sorted_replayed(Replayed {
            erased: vec![id(&a), id(&b)],
            already_erased: vec![],
            not_found: vec![id(&d)]
        })
    );
    for s in [&a, &b] {
        assert!(restored.get(id(s)).await.unwrap().is_none());
        assert_eq!(restored.token(&s.token_hash).await.unwrap(), TokenState::NotFound);
        let (record, history) = restored.record(id(s)).await.unwrap().expect("a tombstone");
        assert!(matches!(record, Record::Erased(_)), "{record:?}");
        let last = history.last().unwrap();
        assert_eq!((last.action, &last.actor), (HistoryAction::Erase, &operator));
    }
    // C, erased before the restore point, is left as the restore has it.
    assert_eq!(restored.get(id(&c)).await.unwrap().unwrap().status, Status::Received);
    let text = table_text(restored.table()).await;
    assert!(!text.contains(&a_mail) && !text.contains(&b_mail), "erased addresses remain");
    assert!(text.contains(&c_mail));

    // Again: nothing more to do, and nothing written (not even to the audit).
    let audit_before = live.audit_log(None, 1000).await.unwrap().entries.len();
    let second = sorted_replayed(replay(&restored, &restored, &key, &operator, since).await.unwrap());
    assert_eq!(
        second,
        sorted_replayed(Replayed {
            erased: vec![],
            already_erased: vec![id(&a), id(&b)],
            not_found: vec![id(&d)]
        })
    );
    assert_eq!(live.audit_log(None, 1000).await.unwrap().entries.len(), audit_before);
}
