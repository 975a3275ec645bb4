//! Retention on both stores by the same plans (issue 24, item 2): a rejected
//! application past its retention is on the work list, and retiring it
//! deletes it with every record under it and moves its counter in the same
//! transaction (the counts equal a recount after it); a second sweep finds
//! nothing; documents past their retention go, files first; the whole sweep
//! reports what it did. Run against SQLite and DynamoDB on moto.

use crate::review_contract::{assert_counts_are_right, decision, message, received};
use crate::store_contract::{Fixture, dynamodb, sqlite};
use shared::documents::local::LocalFiles;
use shared::domain::{Decision, Status, Timestamp};
use shared::mail::{MailKind, MailSubject};
use shared::store::retention::{self, Policy, RetireOutcome, Swept};
use shared::store::{DecideOutcome, StoredApplication, plan};

/// A rejection kept for `days` (as the admin handler sets REJECTED_RETENTION_DAYS).
async fn rejected(f: &Fixture, email: &str, days: i64) -> StoredApplication {
    let stored = received(f, email, 0).await;
    let write = shared::store::DecisionWrite {
        retain_until: Some(Timestamp::now().plus_secs(days * 86_400)),
        ..decision(&stored, Decision::Reject, message("今回は見送ります。"))
    };
    match f.store.decide(&write).await.unwrap() {
        DecideOutcome::Decided(decided) => decided,
        other => panic!("{other:?}"),
    }
}

fn later(days: i64) -> Timestamp {
    Timestamp::now().plus_secs(days * 86_400)
}

async fn a_rejection_past_its_retention_is_retired_with_its_records_and_its_counter(f: Fixture) {
    let kept = rejected(&f, "retired@example.com", 30).await;
    let stays = rejected(&f, "stays@example.com", 90).await;
    // Records under it: a note and its result mail's record.
    let subject = MailSubject::History(kept.id(), kept.version);
    let tracking = plan::tracking(subject, MailKind::Rejected, &kept).unwrap();
    let sent = plan::sent_mail(&tracking, MailKind::Rejected, &kept, "0106-rejected".into());
    assert!(f.store.mark_mail_sent(subject, MailKind::Rejected, Some(&sent)).await.unwrap());
    assert_counts_are_right(&f, "two rejections").await;

    assert!(f.store.due(later(29), 100).await.unwrap().is_empty(), "not yet");
    let due = f.store.due(later(31), 100).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].application_id, due[0].status), (kept.id(), Status::Rejected));
    assert_eq!(
        f.store.retire(&due[0], later(29)).await.unwrap(),
        RetireOutcome::NotDue,
        "the plan checks the time"
    );
    let before = f.store.count_by_status().await.unwrap().get(Status::Rejected);
    assert_eq!(f.store.retire(&due[0], later(31)).await.unwrap(), RetireOutcome::Retired);
    assert_eq!(f.store.retire(&due[0], later(31)).await.unwrap(), RetireOutcome::NotDue, "once");
    // Gone whole: no application, no tombstone, no history, no mail record.
    assert!(f.store.record(kept.id()).await.unwrap().is_none());
    assert!(f.store.mails_of(kept.id()).await.unwrap().is_empty());
    assert!(f.store.due(later(31), 100).await.unwrap().is_empty());
    assert_eq!(
        f.store.count_by_status().await.unwrap().get(Status::Rejected),
        before.saturating_sub(1).max(1)
    );
    assert!(f.store.record(stays.id()).await.unwrap().is_some(), "the other is kept");
    assert_counts_are_right(&f, "a retirement").await;
}

async fn a_sweep_runs_every_retention_once(f: Fixture) {
    let dir = tempfile::tempdir().unwrap();
    let files = LocalFiles::open(dir.path()).unwrap();
    let key = crate::store_contract::key();
    rejected(&f, "swept@example.com", 10).await;
    let policy = Policy { undecided: retention::UndecidedRetention::parse("30").unwrap(), documents_days: 0 };
    let waiting = received(&f, "undecided@example.com", 0).await;
    let swept = retention::sweep(&*f.store, &files, &key, policy, later(40)).await.unwrap();
    assert_eq!(swept, Swept { retired: 1, documents_forgotten: 0, undecided_erased: 1 });
    assert!(matches!(
        f.store.record(waiting.id()).await.unwrap(),
        Some((shared::store::Record::Erased(_), _))
    ));
    let again = retention::sweep(&*f.store, &files, &key, policy, later(40)).await.unwrap();
    assert_eq!(again, Swept::default(), "nothing twice");
    assert_counts_are_right(&f, "a sweep").await;
}

/// However long its history, a rejection is one transaction (its items'
/// ends are set after it, in batches), and its retirement deletes it whole.
/// DynamoDB's transactions take 100 items: a rejection once refused (503) an
/// application with 90 records under it.
async fn a_long_kept_application_is_rejected_and_retired_whole(f: Fixture) {
    let stored = received(&f, "long.kept@example.com", 0).await;
    for n in 0..100 {
        // Another try after a timeout under load (a note more or less changes nothing here).
        let note = crate::desk_contract::note_on(&stored, &format!("確認 {n}"));
        let mut tries = 0;
        while let Err(error) = f.store.add_note(&note).await {
            tries += 1;
            assert!(tries < 3, "{error}");
        }
    }
    let write = shared::store::DecisionWrite {
        retain_until: Some(Timestamp::now().plus_secs(86_400)),
        ..decision(&stored, Decision::Reject, message("今回は見送ります。"))
    };
    assert!(matches!(
        f.store.decide(&write).await.unwrap(),
        DecideOutcome::Decided(_) | DecideOutcome::Replayed(_)
    ));
    let due = f.store.due(later(2), 100).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(f.store.retire(&due[0], later(2)).await.unwrap(), RetireOutcome::Retired);
    assert!(f.store.record(stored.id()).await.unwrap().is_none());
    assert!(f.store.notes_of(stored.id()).await.unwrap().is_empty(), "the notes went with it");
    assert_counts_are_right(&f, "a long one retired").await;
}

contract!(
    a_long_kept_application_is_rejected_and_retired_whole,
    a_rejection_past_its_retention_is_retired_with_its_records_and_its_counter,
    a_sweep_runs_every_retention_once,
);
