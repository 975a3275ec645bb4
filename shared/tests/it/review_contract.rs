//! The operators' side of the store contract (decisions, history, partner
//! codes, the list and its search, erasure, retention and the audit), run
//! against SQLite and DynamoDB on moto like the rest of the contract.

use crate::store_contract::{
    Fixture, application, application_with, confirmed, dynamodb, key, sqlite, submission, submission_expiring,
};
use shared::domain::{
    Actor, ApplicationId, AuditAction, AuditEntry, Decision, ErasureReason, Field, HistoryAction,
    HistoryReason, IdempotencyKey, OperatorMessage, PartnerCode, ReceptionNumber, Status, Timestamp, Version,
};
use shared::mail::{MailEvent, MailKind, MailSubject};
use shared::store::plan;
use shared::store::sqlite::SqliteStore;
use shared::store::{
    Cursor, DecideOutcome, DecisionWrite, EraseOutcome, Erasure, ListQuery, Record, Related,
    RelatedApplication, Search, StatusCounts, Store, StoredApplication, Submission, SubmitOutcome,
};
use shared::store::{Intake, Review, Tooling};

fn operator() -> Actor {
    Actor::parse("reviewer@example.com").unwrap()
}

pub(crate) fn message(text: &str) -> Option<OperatorMessage> {
    Some(OperatorMessage::parse(text).unwrap())
}

/// A decision as the handler makes it, under a fresh idempotency key.
pub(crate) fn decision(
    stored: &StoredApplication,
    decision: Decision,
    message: Option<OperatorMessage>,
) -> DecisionWrite {
    let id = stored.receipt.application_id;
    DecisionWrite {
        application_id: id,
        decision,
        expected_version: stored.version,
        // As the handler does: a hash, never the request's text.
        request_hash: key()
            .request_hash(format!("{}:{}:{}:{message:?}", id, decision.as_str(), stored.version).as_bytes()),
        message,
        actor: operator(),
        at: Timestamp::now(),
        idempotency_key: IdempotencyKey::parse(&test_support::unique("decision-key-0001")).unwrap(),
        partner_code: (decision == Decision::Approve).then(PartnerCode::random),
        retain_until: None,
        document_request: None,
        audit: AuditEntry::now(operator(), decision.into(), Some(id)),
    }
}

/// A submission received `minutes_ago`, so that lists have a fixed order.
fn submission_at(email: &str, minutes_ago: i64) -> Submission {
    let mut submission = submission(&test_support::unique("key-000000000000"), application(email));
    let at = Timestamp::now().plus_secs(-60 * minutes_ago);
    submission.receipt.received_at = at;
    submission.receipt.application_id = ApplicationId::new(at.time());
    submission.token_hash = key().verification_token(submission.receipt.application_id).hash();
    submission
}

pub(crate) async fn received(f: &Fixture, email: &str, minutes_ago: i64) -> StoredApplication {
    let submission = submission_at(email, minutes_ago);
    submitted(f, &submission).await;
    confirmed(&*f.store, &submission).await
}

/// Submits a new application. A replay counts, as for decisions: under load
/// the SDK may resend a transaction that had in fact committed.
pub(crate) async fn submitted(f: &Fixture, submission: &Submission) {
    match f.store.submit(submission).await.unwrap() {
        SubmitOutcome::Created { .. } | SubmitOutcome::Replayed { .. } => {}
        other => panic!("{other:?}"),
    }
}

/// The application a decision made. A replay counts: when the SDK resent a
/// transaction that had in fact committed (a timeout under load), the store
/// finds its own idempotency record and answers with a replay.
fn decided(outcome: DecideOutcome) -> StoredApplication {
    match outcome {
        DecideOutcome::Decided(stored) | DecideOutcome::Replayed(stored) => stored,
        other => panic!("{other:?}"),
    }
}

async fn decisions_follow_the_lifecycle_with_history(f: Fixture) {
    let stored = received(&f, "a@example.com", 0).await;
    assert_eq!(stored.version, Version::FIRST.next());
    let ask = decision(&stored, Decision::RequestDocuments, message("登記事項証明書をお送りください。"));
    let asked = decided(f.store.decide(&ask).await.unwrap());
    assert_eq!((asked.status, asked.version.get()), (Status::DocumentsRequested, 3));
    let entry = f.store.history_entry(asked.receipt.application_id, asked.version).await.unwrap().unwrap();
    assert_eq!(
        (entry.action, entry.actor.as_str()),
        (HistoryAction::RequestDocuments, "reviewer@example.com")
    );
    assert_eq!(
        (entry.from_status, entry.to_status),
        (Some(Status::Received), Some(Status::DocumentsRequested))
    );
    assert_eq!(entry.message.unwrap().as_str(), "登記事項証明書をお送りください。");

    // A stale version loses, whatever it asks.
    assert!(
        matches!(f.store.decide(&decision(&stored, Decision::Approve, None)).await.unwrap(), DecideOutcome::VersionConflict(now) if now == asked)
    );
    let approve = decision(&asked, Decision::Approve, None);
    let approved = decided(f.store.decide(&approve).await.unwrap());
    assert_eq!((approved.status, approved.version.get()), (Status::Approved, 4));
    assert_eq!(approved.partner_code, approve.partner_code);
    // Approved is terminal.
    assert!(matches!(
        f.store.decide(&decision(&approved, Decision::Reject, None)).await.unwrap(),
        DecideOutcome::InvalidTransition(now) if now == approved
    ));
    let (record, history) = f.store.record(approved.receipt.application_id).await.unwrap().unwrap();
    assert_eq!(record, Record::Live(approved.clone()));
    let actions: Vec<_> = history.iter().map(|e| (e.version.get(), e.action)).collect();
    assert_eq!(actions, [(3, HistoryAction::RequestDocuments), (4, HistoryAction::Approve)]);
    assert_eq!(f.store.get(approved.receipt.application_id).await.unwrap(), Some(approved));
    let unknown = ApplicationId::new(Timestamp::now().time());
    let mut missing = decision(&asked, Decision::Reject, None);
    missing.application_id = unknown;
    assert_eq!(f.store.decide(&missing).await.unwrap(), DecideOutcome::NotFound);
    assert_eq!(f.store.record(unknown).await.unwrap(), None);
}

async fn a_decision_replays_and_refuses_a_reused_key(f: Fixture) {
    let stored = received(&f, "b@example.com", 0).await;
    let reject = decision(&stored, Decision::Reject, None);
    let rejected = decided(f.store.decide(&reject).await.unwrap());
    assert_eq!(f.store.decide(&reject).await.unwrap(), DecideOutcome::Replayed(rejected.clone()));
    let other = DecisionWrite { request_hash: key().request_hash(b"another request"), ..reject.clone() };
    assert_eq!(f.store.decide(&other).await.unwrap(), DecideOutcome::KeyReused);
    let (_, history) = f.store.record(rejected.receipt.application_id).await.unwrap().unwrap();
    assert_eq!(history.len(), 1, "decided once");
}

/// Two operators decide the same version at once: one wins, the other is told.
async fn concurrent_decisions_have_one_winner(f: Fixture) {
    for round in 0..3 {
        let stored = received(&f, &format!("race{round}@example.com"), 0).await;
        let approve = decision(&stored, Decision::Approve, None);
        let reject = decision(&stored, Decision::Reject, message("要件を満たしていません。"));
        let (a, b) = tokio::join!(f.store.decide(&approve), f.store.decide(&reject));
        let outcomes = [a.unwrap(), b.unwrap()];
        let winners = outcomes.iter().filter(|o| matches!(o, DecideOutcome::Decided(_))).count();
        let losers = outcomes
            .iter()
            .filter(|o| matches!(o, DecideOutcome::VersionConflict(_) | DecideOutcome::InvalidTransition(_)))
            .count();
        assert_eq!((winners, losers), (1, 1), "{outcomes:?}");
        let (_, history) = f.store.record(stored.receipt.application_id).await.unwrap().unwrap();
        assert_eq!(history.len(), 1, "one history entry");
    }
}

async fn partner_codes_are_never_issued_twice(f: Fixture) {
    let first = received(&f, "c@example.com", 2).await;
    let second = received(&f, "d@example.com", 1).await;
    let approve = decision(&first, Decision::Approve, None);
    let code = approve.partner_code.unwrap();
    decided(f.store.decide(&approve).await.unwrap());
    let mut same = decision(&second, Decision::Approve, None);
    same.partner_code = Some(code);
    assert_eq!(f.store.decide(&same).await.unwrap(), DecideOutcome::PartnerCodeTaken);
    assert_eq!(f.store.get(second.receipt.application_id).await.unwrap().unwrap().status, Status::Received);
    // Not even once its application is erased.
    let erasure = erasure_of(first.receipt.application_id, ErasureReason::ApplicantRequest);
    assert!(matches!(f.store.erase(&erasure).await.unwrap(), EraseOutcome::Erased(_)));
    same.idempotency_key = IdempotencyKey::parse(&test_support::unique("decision-key-0002")).unwrap();
    assert_eq!(f.store.decide(&same).await.unwrap(), DecideOutcome::PartnerCodeTaken);
}

pub(crate) fn erasure_of(id: ApplicationId, reason: ErasureReason) -> Erasure {
    Erasure {
        application_id: id,
        actor: operator(),
        reason,
        at: Timestamp::now(),
        token_hash: key().verification_token(id).hash(),
        audit: AuditEntry::now(operator(), AuditAction::Erase, Some(id)),
    }
}

async fn erasure_keeps_only_that_it_happened(f: Fixture) {
    let stored = received(&f, "erase.me@example.com", 0).await;
    let id = stored.receipt.application_id;
    let asked = decided(
        f.store
            .decide(&decision(
                &stored,
                Decision::RequestDocuments,
                message("𠮷田様、登記簿をお送りください。"),
            ))
            .await
            .unwrap(),
    );
    let outcome = f.store.erase(&erasure_of(id, ErasureReason::Duplicate)).await.unwrap();
    let EraseOutcome::Erased(erased) = outcome else { panic!("{outcome:?}") };
    assert_eq!((erased.status, erased.version), (Status::DocumentsRequested, asked.version.next()));
    assert_eq!(f.store.get(id).await.unwrap(), None);
    let (record, history) = f.store.record(id).await.unwrap().unwrap();
    assert_eq!(record, Record::Erased(erased.clone()));
    // The request's message goes; the erasure keeps its reason, a code (no text).
    let kept: Vec<_> = history
        .iter()
        .map(|e| (e.action, e.message.as_ref().map(|m| m.as_str().to_owned()), e.reason))
        .collect();
    assert_eq!(
        kept,
        [
            (HistoryAction::RequestDocuments, None, None),
            (HistoryAction::Erase, None, Some(HistoryReason::Erasure(ErasureReason::Duplicate)))
        ]
    );
    assert_eq!(
        f.store.erase(&erasure_of(id, ErasureReason::ApplicantRequest)).await.unwrap(),
        EraseOutcome::AlreadyErased(erased)
    );
    assert_eq!(f.store.list(&list(None, None)).await.unwrap().items, []);
    assert_eq!(
        f.store.token(&key().verification_token(id).hash()).await.unwrap(),
        shared::store::TokenState::NotFound
    );
    // The address may apply again: a new application, not a notice.
    let again = submission_at("erase.me@example.com", 0);
    assert_eq!(
        f.store.submit(&again).await.unwrap(),
        SubmitOutcome::Created {
            response_body: again.response_body.clone(),
            event: MailEvent::Submitted(again.receipt.application_id)
        }
    );
}

/// An application asked for documents more times than one DynamoDB
/// transaction holds (100 items) is still erased, whole: its messages went in
/// transactions of their own first (it once failed for good past 90).
async fn an_erasure_of_a_long_history_completes(f: Fixture) {
    let mut stored = received(&f, "long.history@example.com", 0).await;
    for round in 0..95 {
        let ask =
            decision(&stored, Decision::RequestDocuments, message(&format!("資料{round}をお送りください。")));
        stored = decided(f.store.decide(&ask).await.unwrap());
    }
    let id = stored.receipt.application_id;
    let outcome = f.store.erase(&erasure_of(id, ErasureReason::ApplicantRequest)).await.unwrap();
    // A retry of a transaction that had committed (a timeout under load)
    // finds its own tombstone: that is this erasure too.
    assert!(matches!(outcome, EraseOutcome::Erased(_) | EraseOutcome::AlreadyErased(_)), "{outcome:?}");
    let (record, history) = f.store.record(id).await.unwrap().unwrap();
    assert!(matches!(record, Record::Erased(_)));
    assert_eq!(history.len(), 96);
    assert!(history.iter().all(|entry| entry.message.is_none()), "every message went");
    assert!(matches!(
        f.store.erase(&erasure_of(id, ErasureReason::ApplicantRequest)).await.unwrap(),
        EraseOutcome::AlreadyErased(_)
    ));
}

/// With `UNDECIDED_RETENTION_DAYS`, what nobody decided in time is erased by
/// the sweep, as an erasure (reason `retention`, by the retention sweep);
/// what was decided, or changed within the period, stays. Off by default.
async fn undecided_applications_are_erased_after_their_retention(f: Fixture) {
    use shared::store::retention::{UndecidedRetention, erase_undecided};
    let waiting = received(&f, "waiting@example.com", 0).await;
    let asked = received(&f, "asked@example.com", 0).await;
    let asked = decided(
        f.store
            .decide(&decision(&asked, Decision::RequestDocuments, message("資料をお送りください。")))
            .await
            .unwrap(),
    );
    let approved = received(&f, "approved.stays@example.com", 0).await;
    let approved = decided(f.store.decide(&decision(&approved, Decision::Approve, None)).await.unwrap());
    let days = UndecidedRetention::parse("30").unwrap();
    let later = |days: i64| Timestamp::now().plus_secs(days * 86_400);
    let dir = tempfile::tempdir().unwrap();
    let files = shared::documents::local::LocalFiles::open(dir.path()).unwrap();
    assert_eq!(
        erase_undecided(&*f.store, &files, &key(), UndecidedRetention::default(), later(400)).await.unwrap(),
        0,
        "off"
    );
    assert_eq!(
        erase_undecided(&*f.store, &files, &key(), days, later(29)).await.unwrap(),
        0,
        "within the period"
    );
    assert_eq!(erase_undecided(&*f.store, &files, &key(), days, later(31)).await.unwrap(), 2);
    for gone in [&waiting, &asked] {
        let id = gone.receipt.application_id;
        assert_eq!(f.store.get(id).await.unwrap(), None);
        let (record, history) = f.store.record(id).await.unwrap().unwrap();
        assert!(matches!(record, Record::Erased(_)));
        let last = history.last().unwrap();
        assert_eq!(
            (last.action, last.actor.as_str(), last.reason),
            (HistoryAction::Erase, "retention", Some(HistoryReason::Erasure(ErasureReason::Retention)))
        );
    }
    assert_eq!(f.store.get(approved.receipt.application_id).await.unwrap(), Some(approved));
    assert_eq!(erase_undecided(&*f.store, &files, &key(), days, later(31)).await.unwrap(), 0, "once");
}

/// A submission for an address already verified leaves a notice (no
/// typed data, only which application to remind of); erasing that
/// application erases its address's notices too, on both stores (DynamoDB's
/// erasure once left them).
async fn erasure_deletes_the_addresss_notices(f: Fixture) {
    let stored = received(&f, "noticed@example.com", 0).await;
    let again = submission_at("noticed@example.com", 0);
    let SubmitOutcome::Created { event: MailEvent::AlreadyReceived(notice_id), .. } =
        f.store.submit(&again).await.unwrap()
    else {
        panic!("a notice");
    };
    assert!(f.store.notice(notice_id).await.unwrap().is_some());
    let id = stored.receipt.application_id;
    assert!(matches!(
        f.store.erase(&erasure_of(id, ErasureReason::ApplicantRequest)).await.unwrap(),
        EraseOutcome::Erased(_)
    ));
    assert_eq!(f.store.notice(notice_id).await.unwrap(), None);
    assert!(!f.store.pending_mail().await.unwrap().contains(&MailEvent::AlreadyReceived(notice_id)));
}

/// A decision leaves the same idempotency record on both stores: the
/// application it decided, the request's hash, 200 and no body, for a day.
async fn a_decision_leaves_the_same_record_on_both_stores(f: Fixture) {
    let stored = received(&f, "record@example.com", 0).await;
    let approve = decision(&stored, Decision::Approve, None);
    decided(f.store.decide(&approve).await.unwrap());
    let key = plan::RecordKey::Decision(&approve.idempotency_key);
    let record = f.store.idempotency_record(&key).await.unwrap().expect("kept");
    assert_eq!(
        record,
        plan::IdempotencyRecord {
            application_id: stored.receipt.application_id,
            request_hash: approve.request_hash.clone(),
            response_status: 200,
            response_body: None,
            notice_id: None,
            expires_at: approve.at.plus_secs(shared::store::layout::IDEMPOTENCY_TTL_SECS),
        }
    );
    // A submission's record under the same key is another record.
    assert_eq!(
        f.store.idempotency_record(&plan::RecordKey::Submission(&approve.idempotency_key)).await.unwrap(),
        None
    );
}

/// What a tool imports reads back as a confirmation would have left it:
/// listed, its address held (a new submission is a notice), its mails owed
/// to no one, its partner code claimed.
async fn imported_applications_are_verified_and_owe_no_mail(f: Fixture) {
    let mut approved = received(&f, "template@example.com", 0).await;
    let email = "imported@example.com";
    let template = submission_at(email, 5);
    approved.receipt = template.receipt;
    approved.application = template.application.clone();
    approved.status = Status::Approved;
    approved.version = Version::FIRST.next().next();
    approved.verified_at = Some(template.receipt.received_at.plus_secs(60));
    approved.partner_code = Some(PartnerCode::random());
    let imported =
        shared::store::Imported { stored: approved.clone(), email_key: template.email_key.clone() };
    f.store.import(std::slice::from_ref(&imported)).await.unwrap();
    assert_eq!(f.store.get(approved.receipt.application_id).await.unwrap(), Some(approved.clone()));
    let listed = f.store.list(&list(Some(Status::Approved), None)).await.unwrap().items;
    assert!(listed.contains(&approved));
    let owed = f.store.pending_mail().await.unwrap();
    assert!(
        !owed
            .iter()
            .any(|event| event.subject() == MailSubject::Application(approved.receipt.application_id))
    );
    let again = submission_at(email, 0);
    assert!(matches!(
        f.store.submit(&again).await.unwrap(),
        SubmitOutcome::Created { event: MailEvent::AlreadyReceived(_), .. }
    ));
}

/// A rejected application past its retention is absent, and its address free.
async fn rejected_applications_expire_after_their_retention(f: Fixture) {
    let stored = received(&f, "old.reject@example.com", 0).await;
    let mut reject = decision(&stored, Decision::Reject, message("今回は見送らせていただきます。"));
    reject.retain_until = Some(Timestamp::now().plus_secs(-1));
    let rejected = decided(f.store.decide(&reject).await.unwrap());
    assert_eq!(f.store.get(stored.receipt.application_id).await.unwrap(), None);
    // Its history (and the operator's message in it) goes with it.
    assert_eq!(f.store.history_entry(stored.receipt.application_id, rejected.version).await.unwrap(), None);
    assert_eq!(f.store.record(stored.receipt.application_id).await.unwrap(), None);
    assert_eq!(f.store.list(&list(Some(Status::Rejected), None)).await.unwrap().items, []);
    let again = submission_at("old.reject@example.com", 0);
    assert!(matches!(
        f.store.submit(&again).await.unwrap(),
        SubmitOutcome::Created { event: MailEvent::Submitted(_), .. }
    ));
    // One kept for a year stays.
    let kept = received(&f, "new.reject@example.com", 0).await;
    let mut reject = decision(&kept, Decision::Reject, None);
    reject.retain_until = Some(Timestamp::now().plus_secs(365 * 86_400));
    let rejected = decided(f.store.decide(&reject).await.unwrap());
    assert_eq!(rejected.expires_at, reject.retain_until);
    assert_eq!(f.store.list(&list(Some(Status::Rejected), None)).await.unwrap().items, [rejected]);
}

pub(crate) fn list(status: Option<Status>, search: Option<Search>) -> ListQuery {
    ListQuery { status, search, from: None, to: None, limit: 50, cursor: None, assignee: None }
}

async fn lists_filter_search_and_page(f: Fixture) {
    // Newest first: e is the newest; a is unverified and listed only when asked.
    let unverified = submission_at("a@example.com", 10);
    f.store.submit(&unverified).await.unwrap();
    let b = received(&f, "b@example.com", 4).await;
    let c = received(&f, "c@example.com", 3).await;
    let d = received(&f, "d@example.com", 2).await;
    let e = received(&f, "e@example.com", 1).await;
    let d = decided(f.store.decide(&decision(&d, Decision::Approve, None)).await.unwrap());
    let ids =
        |items: &[StoredApplication]| items.iter().map(|s| s.receipt.application_id).collect::<Vec<_>>();
    let all = f.store.list(&list(None, None)).await.unwrap();
    assert_eq!(ids(&all.items), ids(&[e.clone(), d.clone(), c.clone(), b.clone()]));
    assert_eq!(all.next, None);
    let waiting = f.store.list(&list(Some(Status::AwaitingVerification), None)).await.unwrap();
    assert_eq!(ids(&waiting.items), [unverified.receipt.application_id]);
    let approved = f.store.list(&list(Some(Status::Approved), None)).await.unwrap();
    assert_eq!(approved.items, std::slice::from_ref(&d));

    // Pages of two, by cursor, neither losing nor repeating.
    let mut query = ListQuery { limit: 2, ..list(None, None) };
    let first = f.store.list(&query).await.unwrap();
    assert_eq!(ids(&first.items), ids(&[e.clone(), d.clone()]));
    query.cursor = first.next;
    let encoded = first.next.unwrap().encode();
    assert_eq!(Cursor::decode(&encoded), first.next);
    let second = f.store.list(&query).await.unwrap();
    assert_eq!(ids(&second.items), ids(&[c.clone(), b.clone()]));
    assert_eq!(second.next, None);

    // Exact searches and a substring one.
    let found = |search: Search| {
        let store = f.store.clone();
        async move { ids(&store.list(&list(None, Some(search))).await.unwrap().items) }
    };
    assert_eq!(found(Search::ReceptionNumber(c.receipt.reception_number)).await, [c.receipt.application_id]);
    assert_eq!(found(Search::ReceptionNumber(ReceptionNumber::random())).await, []);
    assert_eq!(found(Search::Email(key().email(&b.application.email))).await, [b.receipt.application_id]);
    assert_eq!(found(Search::Phone(shared::domain::Phone::parse("06-6292-8811").unwrap())).await.len(), 4);
    assert_eq!(found(Search::Phone(shared::domain::Phone::parse("03-1234-5678").unwrap())).await, []);
    let text = |t: &str, r: &str| Search::Text { text: t.into(), reading: r.into() };
    assert_eq!(found(text("田太", "田太")).await.len(), 4, "across 姓 and 名");
    assert_eq!(found(text("よしだ", "ヨシダ")).await.len(), 4, "a reading, typed in hiragana");
    assert_eq!(found(text("エックスサーバー", "エックスサーバー")).await.len(), 4);
    assert_eq!(found(text("山田", "山田")).await, []);
    // A search pages like a list.
    let page = f.store.list(&ListQuery { limit: 3, ..list(None, Some(text("太郎", "太郎"))) }).await.unwrap();
    assert_eq!((page.items.len(), page.next.is_some()), (3, true));
    assert_eq!(ids(&page.items), ids(&[e.clone(), d.clone(), c.clone()]), "newest first");
    let rest = ListQuery { cursor: page.next, ..list(None, Some(text("太郎", "太郎"))) };
    assert_eq!(ids(&f.store.list(&rest).await.unwrap().items), ids(std::slice::from_ref(&b)));
    // Within a status; an unverified application is searched in its own.
    let approved = list(Some(Status::Approved), Some(text("太郎", "太郎")));
    assert_eq!(ids(&f.store.list(&approved).await.unwrap().items), ids(std::slice::from_ref(&d)));
    let waiting = list(Some(Status::AwaitingVerification), Some(text("太郎", "太郎")));
    assert_eq!(ids(&f.store.list(&waiting).await.unwrap().items), [unverified.receipt.application_id]);
    // A date range (received at or after `from`, before `to`).
    let range =
        ListQuery { from: Some(c.receipt.received_at), to: Some(e.receipt.received_at), ..list(None, None) };
    assert_eq!(ids(&f.store.list(&range).await.unwrap().items), ids(&[d, c]));
}

/// The counts are what the lists show: no expired, no erased application.
async fn counts_are_what_the_lists_show(f: Fixture) {
    assert_eq!(f.store.count_by_status().await.unwrap(), StatusCounts::default());
    f.store.submit(&submission_at("waiting@example.com", 9)).await.unwrap();
    let lapsed = submission_expiring(
        &test_support::unique("key-000000000000"),
        application("lapsed@example.com"),
        -60,
    );
    f.store.submit(&lapsed).await.unwrap();
    received(&f, "a@example.com", 8).await;
    received(&f, "b@example.com", 7).await;
    let asked = received(&f, "c@example.com", 6).await;
    decided(
        f.store
            .decide(&decision(&asked, Decision::RequestDocuments, message("資料をお送りください。")))
            .await
            .unwrap(),
    );
    let approved = received(&f, "d@example.com", 5).await;
    decided(f.store.decide(&decision(&approved, Decision::Approve, None)).await.unwrap());
    let kept = received(&f, "e@example.com", 4).await;
    let mut reject = decision(&kept, Decision::Reject, None);
    reject.retain_until = Some(Timestamp::now().plus_secs(86_400));
    decided(f.store.decide(&reject).await.unwrap());
    let past = received(&f, "f@example.com", 3).await;
    let mut reject = decision(&past, Decision::Reject, None);
    reject.retain_until = Some(Timestamp::now().plus_secs(-1));
    decided(f.store.decide(&reject).await.unwrap());
    let erased = received(&f, "g@example.com", 2).await;
    f.store.erase(&erasure_of(erased.receipt.application_id, ErasureReason::ApplicantRequest)).await.unwrap();

    let counts = f.store.count_by_status().await.unwrap();
    let expected = [
        (Status::AwaitingVerification, 1),
        (Status::Received, 2),
        (Status::DocumentsRequested, 1),
        (Status::DocumentsSubmitted, 0),
        (Status::Approved, 1),
        (Status::Rejected, 1),
    ];
    assert_eq!(counts.iter().collect::<Vec<_>>(), expected);
    for (status, count) in expected {
        let listed = f.store.list(&ListQuery { limit: 500, ..list(Some(status), None) }).await.unwrap();
        assert_eq!(listed.items.len() as u64, count, "{status:?}: what the list shows");
    }
}

/// The counts, each status's list (every page) and a recount agree, and the
/// recount found the counters right (so changed nothing).
pub(crate) async fn assert_counts_are_right(f: &Fixture, after: &str) {
    let counts = f.store.count_by_status().await.unwrap();
    for (status, count) in counts.iter() {
        let mut listed = 0;
        let mut cursor = None;
        loop {
            let query = ListQuery { limit: 500, cursor, ..list(Some(status), None) };
            let page = f.store.list(&query).await.unwrap();
            listed += page.items.len() as u64;
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(count, listed, "after {after}: {status:?} counted as the list shows");
    }
    let recounted = f.store.recount().await.unwrap();
    assert_eq!(recounted.before, recounted.after, "after {after}: the counters were what a recount finds");
}

/// Every kind of change moves the counts with it: submission (and its
/// superseding), confirmation, each decision, a retention set and passed,
/// erasure (of a kept rejection too) and import.
async fn counts_follow_every_change(f: Fixture) {
    assert_counts_are_right(&f, "nothing").await;
    let first = submission_at("a@example.com", 20);
    f.store.submit(&first).await.unwrap();
    f.store.submit(&submission_at("a@example.com", 19)).await.unwrap();
    assert_counts_are_right(&f, "a submission superseded").await;
    let a = received(&f, "b@example.com", 18).await;
    let b = received(&f, "c@example.com", 17).await;
    let c = received(&f, "d@example.com", 16).await;
    let d = received(&f, "e@example.com", 15).await;
    assert_counts_are_right(&f, "confirmations").await;
    let asked = decided(
        f.store
            .decide(&decision(&a, Decision::RequestDocuments, message("資料をお送りください。")))
            .await
            .unwrap(),
    );
    assert_counts_are_right(&f, "a request for documents").await;
    decided(f.store.decide(&decision(&asked, Decision::Approve, None)).await.unwrap());
    assert_counts_are_right(&f, "an approval").await;
    let mut kept = decision(&b, Decision::Reject, None);
    kept.retain_until = Some(Timestamp::now().plus_secs(86_400));
    let kept = decided(f.store.decide(&kept).await.unwrap());
    assert_counts_are_right(&f, "a rejection kept a day").await;
    let mut past = decision(&c, Decision::Reject, None);
    past.retain_until = Some(Timestamp::now().plus_secs(-1));
    decided(f.store.decide(&past).await.unwrap());
    assert_counts_are_right(&f, "a rejection past its retention").await;
    f.store.erase(&erasure_of(kept.receipt.application_id, ErasureReason::ApplicantRequest)).await.unwrap();
    assert_counts_are_right(&f, "the erasure of a kept rejection").await;
    f.store.erase(&erasure_of(d.receipt.application_id, ErasureReason::ApplicantRequest)).await.unwrap();
    assert_counts_are_right(&f, "the erasure of a received application").await;

    let imported = imports(
        &[
            (Status::Received, None),
            (Status::Approved, None),
            (Status::Rejected, Some(86_400)),
            (Status::Rejected, Some(-1)),
        ],
        "imported",
    );
    f.store.import(&imported).await.unwrap();
    assert_counts_are_right(&f, "an import").await;
    let counts: Vec<_> = f.store.count_by_status().await.unwrap().iter().collect();
    let expected = [
        (Status::AwaitingVerification, 1),
        (Status::Received, 1),
        (Status::DocumentsRequested, 0),
        (Status::DocumentsSubmitted, 0),
        (Status::Approved, 2),
        (Status::Rejected, 1),
    ];
    assert_eq!(counts, expected);
}

/// A submission of `application` received `minutes_ago`, confirmed.
async fn received_with(
    f: &Fixture,
    email: &str,
    minutes_ago: i64,
    changes: serde_json::Value,
) -> StoredApplication {
    let mut submission = submission_at(email, minutes_ago);
    submission.application = application_with(email, changes);
    submitted(f, &submission).await;
    confirmed(&*f.store, &submission).await
}

/// The reviewer's check finds the others of the same phone, T-number or
/// company (its name whatever its spacing), newest first, not itself, not
/// an unverified or erased one, not one that shares nothing.
async fn related_finds_the_same_phone_invoice_number_or_company(f: Fixture) {
    // エックスサーバー株式会社, 06-6292-8811, T7000012050002.
    let this = received(&f, "this@example.com", 10).await;
    let phone = received_with(
        &f,
        "phone@example.com",
        9,
        serde_json::json!({ "corporateName": "別会社株式会社", "invoiceNumber": "T7123456789012" }),
    )
    .await;
    let invoice = received_with(
        &f,
        "invoice@example.com",
        8,
        serde_json::json!({ "corporateName": "改名後株式会社", "phone": "03-1111-2222" }),
    )
    .await;
    let company = received_with(
        &f,
        "company@example.com",
        7,
        serde_json::json!({
            "corporateName": "エックスサーバー 株式会社", "phone": "03-3333-4444", "invoiceNumber": "T9010401012345"
        }),
    )
    .await;
    let rejected = received_with(
        &f,
        "again@example.com",
        6,
        serde_json::json!({ "corporateName": "再申込株式会社", "phone": "03-5555-6666", "invoiceNumber": null }),
    )
    .await;
    decided(f.store.decide(&decision(&rejected, Decision::Reject, None)).await.unwrap());
    // Shares nothing (a name that contains the company's is not the same).
    received_with(
        &f,
        "other@example.com",
        5,
        serde_json::json!({
            "corporateName": "エックスサーバー株式会社大阪", "phone": "03-7777-8888", "invoiceNumber": "T9010401012345"
        }),
    )
    .await;
    // Unverified and erased ones that share everything.
    f.store.submit(&submission_at("waiting@example.com", 4)).await.unwrap();
    let erased = received(&f, "erased@example.com", 3).await;
    f.store.erase(&erasure_of(erased.receipt.application_id, ErasureReason::ApplicantRequest)).await.unwrap();

    let query = Related::of(&this, 20);
    assert_eq!(query.corporate_name.as_deref(), Some("エックスサーバー株式会社"));
    let related = f.store.related(&query).await.unwrap();
    let ids = |items: &[RelatedApplication]| items.iter().map(|s| s.application_id).collect::<Vec<_>>();
    let of = |stored: &[StoredApplication]| stored.iter().map(RelatedApplication::of).collect::<Vec<_>>();
    assert_eq!(related, of(&[company.clone(), invoice.clone(), phone.clone()]), "newest first, as shown");
    let shared: Vec<Vec<Field>> = related.iter().map(|other| query.shared(other)).collect();
    assert_eq!(shared, [vec![Field::CorporateName], vec![Field::InvoiceNumber], vec![Field::Phone]]);
    let first_two = f.store.related(&Related::of(&this, 2)).await.unwrap();
    assert_eq!(ids(&first_two), ids(&of(&[company.clone(), invoice])));
    // From the other side: the rejected one is found by its phone.
    let rejected = f.store.get(rejected.receipt.application_id).await.unwrap().unwrap();
    let again = received_with(
        &f,
        "again2@example.com",
        2,
        serde_json::json!({ "corporateName": "別名義株式会社", "phone": "03-5555-6666", "invoiceNumber": null }),
    )
    .await;
    let found = f.store.related(&Related::of(&again, 20)).await.unwrap();
    assert_eq!(found, [RelatedApplication::of(&rejected)]);
    // A sole proprietor without a T-number: only the phone can match.
    let sole = received_with(
        &f,
        "sole@example.com",
        1,
        serde_json::json!({
            "contractType": "sole_proprietor", "corporateName": null, "corporateNameKana": null,
            "invoiceNumber": null, "phone": "03-3333-4444"
        }),
    )
    .await;
    let query = Related::of(&sole, 20);
    assert_eq!(
        (query.invoice_number.as_ref().map(|n| n.as_str()), query.corporate_name.as_deref()),
        (None, None)
    );
    assert_eq!(ids(&f.store.related(&query).await.unwrap()), ids(&of(&[company])));
}

async fn the_audit_is_newest_first_and_names_no_applicant(f: Fixture) {
    let stored = received(&f, "audit@example.com", 0).await;
    let id = stored.receipt.application_id;
    f.store.append_audit(&AuditEntry::now(operator(), AuditAction::SignIn, None)).await.unwrap();
    f.store.append_audit(&AuditEntry::now(operator(), AuditAction::View, Some(id))).await.unwrap();
    decided(f.store.decide(&decision(&stored, Decision::Approve, None)).await.unwrap());
    let page = f.store.audit_log(None, 2).await.unwrap();
    let actions: Vec<_> = page.entries.iter().map(|e| (e.action, e.application_id)).collect();
    assert_eq!(actions, [(AuditAction::Approve, Some(id)), (AuditAction::View, Some(id))]);
    let rest = f.store.audit_log(page.next, 2).await.unwrap();
    let actions: Vec<_> = rest.entries.iter().map(|e| (e.action, e.application_id)).collect();
    assert_eq!(actions, [(AuditAction::SignIn, None)]);
    assert_eq!(rest.next, None);
}

async fn result_mails_are_pending_until_marked(f: Fixture) {
    let stored = received(&f, "mail@example.com", 0).await;
    for kind in [MailKind::Acknowledgement, MailKind::OperatorNotice] {
        f.store
            .mark_mail_sent(MailSubject::Application(stored.receipt.application_id), kind, None)
            .await
            .unwrap();
    }
    let asked = decided(
        f.store
            .decide(&decision(&stored, Decision::RequestDocuments, message("資料をお送りください。")))
            .await
            .unwrap(),
    );
    let event =
        MailEvent::Recorded(asked.receipt.application_id, asked.version, Decision::RequestDocuments.into());
    assert!(f.store.pending_mail().await.unwrap().contains(&event));
    let subject = event.subject();
    assert!(!f.store.mail_sent(subject, MailKind::DocumentsRequested).await.unwrap());
    assert!(f.store.mark_mail_sent(subject, MailKind::DocumentsRequested, None).await.unwrap());
    assert!(f.store.mail_sent(subject, MailKind::DocumentsRequested).await.unwrap());
    assert!(!f.store.mark_mail_sent(subject, MailKind::DocumentsRequested, None).await.unwrap(), "once");
    assert!(!f.store.pending_mail().await.unwrap().contains(&event));
}

contract!(
    decisions_follow_the_lifecycle_with_history,
    a_decision_replays_and_refuses_a_reused_key,
    concurrent_decisions_have_one_winner,
    partner_codes_are_never_issued_twice,
    erasure_keeps_only_that_it_happened,
    erasure_deletes_the_addresss_notices,
    an_erasure_of_a_long_history_completes,
    undecided_applications_are_erased_after_their_retention,
    a_decision_leaves_the_same_record_on_both_stores,
    imported_applications_are_verified_and_owe_no_mail,
    rejected_applications_expire_after_their_retention,
    lists_filter_search_and_page,
    counts_are_what_the_lists_show,
    counts_follow_every_change,
    related_finds_the_same_phone_invoice_number_or_company,
    the_audit_is_newest_first_and_names_no_applicant,
    result_mails_are_pending_until_marked,
);

/// What an erasure must leave nowhere: the applicant's address, names,
/// phone, street and building, and the operator's message that named them.
const PERSONAL: [&str; 7] = [
    "forget.me@example.com",
    "𠮷田",
    "ヨシダ",
    "6292-8811",
    "大深町4-20",
    "グランフロント",
    "ヨシダ様への依頼文",
];

/// Submits, confirms, asks for documents (naming the applicant) and erases.
async fn erase_everything(store: &dyn Store) -> ApplicationId {
    let submission = submission_at("forget.me@example.com", 0);
    store.submit(&submission).await.unwrap();
    let stored = confirmed(store, &submission).await;
    let id = stored.receipt.application_id;
    let ask =
        decision(&stored, Decision::RequestDocuments, message("ヨシダ様への依頼文:登記簿をお送りください。"));
    decided(store.decide(&ask).await.unwrap());
    for kind in [MailKind::Acknowledgement, MailKind::OperatorNotice] {
        store.mark_mail_sent(MailSubject::Application(id), kind, None).await.unwrap();
    }
    assert!(matches!(
        store.erase(&erasure_of(id, ErasureReason::ApplicantRequest)).await.unwrap(),
        EraseOutcome::Erased(_)
    ));
    id
}

fn assert_forgotten(what: &str, text: &str) {
    for personal in PERSONAL {
        assert!(!text.contains(personal), "{what} still holds {personal:?}");
    }
}

/// Not a byte of the file (nor of its log) holds the person any more.
#[tokio::test]
async fn sqlite_erasure_leaves_nothing_readable_in_the_file() {
    let f = sqlite().await;
    let id = erase_everything(&*f.store).await;
    let dir = f._dir.as_ref().unwrap().path();
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(!bytes.is_empty());
    assert_forgotten("the database files", &String::from_utf8_lossy(&bytes));
    // What is kept is that it happened.
    let (record, history) = f.store.record(id).await.unwrap().unwrap();
    assert!(matches!(record, Record::Erased(_)));
    assert_eq!(history.last().unwrap().action, HistoryAction::Erase);
}

/// A reader holding the write-ahead log keeps an erasure's pages in it: the
/// erasure says so (it once went on silently, the data left in the log), and
/// asked again once the reader is gone, it empties the log.
#[tokio::test]
async fn sqlite_an_erasure_checks_that_the_log_was_emptied() {
    let f = sqlite().await;
    let stored = received(&f, "log@example.com", 0).await;
    let id = stored.receipt.application_id;
    let file = f._dir.as_ref().unwrap().path().join(shared::store::sqlite::FILE_NAME);
    let reader = rusqlite::Connection::open(&file).unwrap();
    reader.execute_batch("BEGIN; SELECT count(*) FROM applications;").unwrap();
    let busy = f.store.erase(&erasure_of(id, ErasureReason::ApplicantRequest)).await;
    assert!(busy.is_err(), "a busy log is reported, not ignored: {busy:?}");
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    assert!(matches!(
        f.store.erase(&erasure_of(id, ErasureReason::ApplicantRequest)).await.unwrap(),
        EraseOutcome::AlreadyErased(_)
    ));
    let log = file.with_extension("sqlite3-wal");
    assert_eq!(std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0), 0, "the log is empty");
}

/// No item of the table or the audit table holds the person any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_erasure_leaves_nothing_readable_in_any_item() {
    let store = test_support::moto::fresh_store().await;
    let id = erase_everything(&store).await;
    let mut dump = String::new();
    for table in [store.table(), store.audit_table()] {
        let items = store.client().scan().table_name(table).send().await.unwrap();
        assert!(items.count() > 0, "{table} is not empty");
        dump.push_str(&format!("{:?}", items.items()));
    }
    assert_forgotten("the tables", &dump);
    assert!(dump.contains(&id.to_string()), "the tombstone and history remain");
}

/// The sparse indexes hold what they should and no more: verified
/// applications only (not one awaiting verification, not an erased one), a
/// related index only those with its key, each entry only what its index
/// projects (no address, no address line), as `create_table` declares it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_the_sparse_indexes_hold_verified_applications_and_their_projection() {
    use shared::store::layout;
    let store = test_support::moto::fresh_store().await;
    let f = Fixture { store: std::sync::Arc::new(store.clone()), _dir: None };
    let company = received_with(
        &f,
        "company@example.com",
        3,
        serde_json::json!({ "corporateName": "エックスサーバー 株式会社" }),
    )
    .await;
    let sole = received_with(
        &f,
        "sole@example.com",
        2,
        serde_json::json!({ "contractType": "sole_proprietor", "corporateName": null,
                            "corporateNameKana": null, "invoiceNumber": null }),
    )
    .await;
    f.store.submit(&submission_at("waiting@example.com", 1)).await.unwrap();
    let erased = received(&f, "erased@example.com", 0).await;
    f.store.erase(&erasure_of(erased.receipt.application_id, ErasureReason::ApplicantRequest)).await.unwrap();

    let related = &layout::RELATED_PROJECTION[..];
    let cases = [
        (
            layout::INVOICE_INDEX,
            [layout::INVOICE_INDEX_PARTITION_KEY, layout::INVOICE_INDEX_SORT_KEY],
            related,
        ),
        (
            layout::CORPORATE_NAME_INDEX,
            [layout::CORPORATE_NAME_INDEX_PARTITION_KEY, layout::CORPORATE_NAME_INDEX_SORT_KEY],
            related,
        ),
        (
            layout::SEARCH_INDEX,
            [layout::SEARCH_INDEX_PARTITION_KEY, layout::SEARCH_INDEX_SORT_KEY],
            &layout::SEARCH_PROJECTION[..],
        ),
    ];
    for (index, index_keys, projection) in cases {
        let expected = if index == layout::SEARCH_INDEX { vec![&company, &sole] } else { vec![&company] };
        let output = store.client().scan().table_name(store.table()).index_name(index).send().await.unwrap();
        let mut ids: Vec<String> =
            output.items().iter().map(|item| item[layout::PARTITION_KEY].as_s().unwrap().clone()).collect();
        ids.sort();
        let mut wanted: Vec<String> =
            expected.iter().map(|stored| layout::application_pk(stored.receipt.application_id)).collect();
        wanted.sort();
        assert_eq!(ids, wanted, "{index}: the verified applications with its key");
        for item in output.items() {
            for name in item.keys().map(String::as_str) {
                let allowed = [layout::PARTITION_KEY, layout::SORT_KEY].contains(&name)
                    || index_keys.contains(&name)
                    || projection.contains(&name);
                assert!(allowed, "{index} holds {name}");
            }
        }
    }
    let entry =
        store.client().scan().table_name(store.table()).index_name(layout::CORPORATE_NAME_INDEX).send();
    let entry = entry.await.unwrap().items()[0].clone();
    assert_eq!(
        entry[layout::CORPORATE_NAME_INDEX_PARTITION_KEY].as_s().unwrap(),
        "エックスサーバー株式会社",
        "the corporate name without its spaces"
    );
}

/// A table from before the sparse indexes: its verified applications lack the
/// related indexes' keys and the search text, so the check and the name
/// search miss them; `relist` gives them those (not an unverified one), and a
/// second run writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_relist_gives_earlier_applications_their_index_keys() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use shared::store::layout::{self, attr};
    let store = test_support::moto::fresh_store().await;
    let f = Fixture { store: std::sync::Arc::new(store.clone()), _dir: None };
    let earlier = received(&f, "earlier@example.com", 2).await;
    let this = received_with(&f, "this@example.com", 1, serde_json::json!({ "phone": "03-9999-0000" })).await;
    f.store.submit(&submission_at("waiting@example.com", 0)).await.unwrap();
    let key = std::collections::HashMap::from([
        (
            layout::PARTITION_KEY.to_owned(),
            AttributeValue::S(layout::application_pk(earlier.receipt.application_id)),
        ),
        (layout::SORT_KEY.to_owned(), AttributeValue::S(layout::APPLICATION_SORT_KEY.to_owned())),
    ]);
    store
        .client()
        .update_item()
        .table_name(store.table())
        .set_key(Some(key))
        .update_expression("REMOVE #invoice, #company, #search")
        .expression_attribute_names("#invoice", attr::LISTED_INVOICE_NUMBER)
        .expression_attribute_names("#company", attr::LISTED_CORPORATE_NAME)
        .expression_attribute_names("#search", attr::SEARCH_TEXT)
        .send()
        .await
        .unwrap();
    let found = || async {
        let related = f.store.related(&Related::of(&this, 20)).await.unwrap();
        let name = list(None, Some(Search::Text { text: "𠮷田".into(), reading: "𠮷田".into() }));
        (related.len(), f.store.list(&name).await.unwrap().items.len())
    };
    assert_eq!(found().await, (0, 1), "the earlier application is missed");
    assert_eq!(store.relist().await.unwrap(), 1, "the earlier one alone");
    assert_eq!(found().await, (1, 2));
    assert_eq!(store.relist().await.unwrap(), 0, "idempotent");
}

/// Imported applications of these statuses (a rejected one kept a day, or
/// past its retention), as `xtask` imports them.
fn imports(statuses: &[(Status, Option<i64>)], tag: &str) -> Vec<shared::store::Imported> {
    statuses
        .iter()
        .enumerate()
        .map(|(n, (status, retention))| {
            let template = submission_at(&format!("{tag}{n}@example.com"), 100 + n as i64);
            let mut stored = plan::awaiting(&template, None);
            stored.status = *status;
            stored.version = Version::FIRST.next();
            stored.verified_at = Some(template.receipt.received_at);
            stored.expires_at = retention.map(|secs| Timestamp::now().plus_secs(secs));
            stored.partner_code = (*status == Status::Approved).then(PartnerCode::random);
            shared::store::Imported { stored, email_key: template.email_key.clone() }
        })
        .collect()
}

/// The counts read the counter items, not the applications: the five
/// counters, the due items past their time and the unverified applications,
/// whatever the number of verified ones (moto reports `ScannedCount` as
/// DynamoDB does; a BatchGetItem reads the keys it asks for).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_counts_read_the_counters_not_the_applications() {
    let store = test_support::moto::fresh_store().await;
    let (_, empty) = store.counts_and_reads().await.unwrap();
    assert_eq!(empty, 5, "the five counters");
    let mut statuses = vec![(Status::Received, None); 40];
    statuses.extend(vec![(Status::Approved, None); 40]);
    statuses.extend(vec![(Status::Rejected, Some(86_400)); 20]);
    statuses.push((Status::Rejected, Some(-1)));
    store.import(&imports(&statuses, "many")).await.unwrap();
    store.submit(&submission_at("waiting@example.com", 0)).await.unwrap();
    let (counts, read) = store.counts_and_reads().await.unwrap();
    let counted: Vec<_> = counts.iter().map(|(_, count)| count).collect();
    assert_eq!(counted, [1, 40, 0, 0, 40, 20]);
    assert_eq!(read, 5 + 1 + 1, "the counters, one due item past its time, one unverified application");
}

/// A stack from before the counters (no counter, no due item) is repaired by
/// a recount, and a second recount changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_a_recount_repairs_a_table_without_counters() {
    let store = test_support::moto::fresh_store().await;
    let statuses = [
        (Status::Received, None),
        (Status::Received, None),
        (Status::Approved, None),
        (Status::Rejected, Some(86_400)),
        (Status::Rejected, Some(-1)),
    ];
    store.import(&imports(&statuses, "old")).await.unwrap();
    let expected = store.count_by_status().await.unwrap();
    assert_eq!(expected.get(Status::Rejected), 1);
    // What the version before the counters left: the applications alone.
    let items = store.client().scan().table_name(store.table()).send().await.unwrap();
    let mut removed = 0;
    for item in items.items() {
        let pk = item[shared::store::layout::PARTITION_KEY].as_s().unwrap();
        if pk.starts_with(shared::store::layout::STATUS_COUNT_PREFIX)
            || pk == shared::store::layout::DUE_PARTITION
        {
            let key = [shared::store::layout::PARTITION_KEY, shared::store::layout::SORT_KEY]
                .map(|name| (name.to_owned(), item[name].clone()));
            store
                .client()
                .delete_item()
                .table_name(store.table())
                .set_key(Some(key.into()))
                .send()
                .await
                .unwrap();
            removed += 1;
        }
    }
    assert_eq!(removed, 3 + 2, "three counters and two due items");
    assert_ne!(store.count_by_status().await.unwrap(), expected);
    let recounted = store.recount().await.unwrap();
    assert_eq!(recounted.before, shared::store::StatusCounts::default());
    assert_eq!(store.count_by_status().await.unwrap(), expected);
    let again = store.recount().await.unwrap();
    assert_eq!(again.before, again.after, "idempotent");
    assert_eq!(store.count_by_status().await.unwrap(), expected);
}

/// The local server's sweep deletes a rejected application past its
/// retention with its history, as DynamoDB's TTL does on AWS.
#[tokio::test]
async fn sqlite_sweep_deletes_rejected_applications_past_their_retention() {
    let f = sqlite().await;
    let store = SqliteStore::open_dir(f._dir.as_ref().unwrap().path()).unwrap();
    let old = received(&f, "swept@example.com", 0).await;
    let mut reject = decision(&old, Decision::Reject, message("今回は見送らせていただきます。"));
    reject.retain_until = Some(Timestamp::now().plus_secs(-1));
    decided(f.store.decide(&reject).await.unwrap());
    let kept = received(&f, "kept@example.com", 0).await;
    let mut reject = decision(&kept, Decision::Reject, None);
    reject.retain_until = Some(Timestamp::now().plus_secs(365 * 86_400));
    decided(f.store.decide(&reject).await.unwrap());
    // The application row and its history row.
    assert_eq!(store.purge_expired().await.unwrap(), 2);
    assert_eq!(store.purge_expired().await.unwrap(), 0);
    let (_, history) = f.store.record(kept.receipt.application_id).await.unwrap().unwrap();
    assert_eq!(history.len(), 1, "the kept one keeps its history");
    // The sweep's deletion left the count in the same transaction.
    assert_eq!(f.store.count_by_status().await.unwrap().get(Status::Rejected), 1);
    assert_counts_are_right(&f, "the sweep").await;
}
