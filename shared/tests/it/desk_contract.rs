//! The desk side of the store contract (contract v3, *Notes* and
//! *Assignment*): a note and an assignment change neither the version nor
//! the status, so a decision made with the version read before them still
//! succeeds; notes come newest first and go with an erasure; the list filters
//! by assignee. Run against SQLite and DynamoDB on moto like the rest.

use crate::review_contract::{decision, erasure_of, list, message, received};
use crate::store_contract::{Fixture, dynamodb, sqlite};
use shared::domain::{
    Actor, AuditAction, AuditEntry, Decision, ErasureReason, Note, NoteId, NoteText, Status,
    StoredApplication, Timestamp,
};
use shared::store::desk::{AssignOutcome, AssigneeFilter, Assignment, NoteOutcome, NoteWrite};
use shared::store::{DecideOutcome, EraseOutcome, Record};

fn operator(name: &str) -> Actor {
    Actor::parse(name).unwrap()
}

pub(crate) fn note_on(stored: &StoredApplication, text: &str) -> NoteWrite {
    let actor = operator("op@example.com");
    NoteWrite {
        note: Note {
            note_id: NoteId::new(),
            application_id: stored.id(),
            at: Timestamp::now(),
            actor: actor.clone(),
            text: NoteText::parse(text).unwrap(),
        },
        audit: AuditEntry::now(actor, AuditAction::Note, Some(stored.id())),
    }
}

fn assignment(stored: &StoredApplication, assignee: Option<&str>) -> Assignment {
    Assignment {
        application_id: stored.id(),
        assignee: assignee.map(operator),
        audit: AuditEntry::now(operator("op@example.com"), AuditAction::Assign, Some(stored.id())),
    }
}

async fn live(f: &Fixture, stored: &StoredApplication) -> StoredApplication {
    match f.store.record(stored.id()).await.unwrap() {
        Some((Record::Live(live), _)) => live,
        other => panic!("{other:?}"),
    }
}

async fn a_note_changes_no_version_and_a_decision_with_the_old_one_succeeds(f: Fixture) {
    let stored = received(&f, "noted@example.com", 0).await;
    let write = note_on(&stored, "電話で在籍を確認。\n折り返し不要");
    let added = match f.store.add_note(&write).await.unwrap() {
        NoteOutcome::Added(note) => note,
        other => panic!("{other:?}"),
    };
    assert_eq!(added, write.note);
    let after = live(&f, &stored).await;
    assert_eq!(
        (after.version, after.status),
        (stored.version, stored.status),
        "a note is no change of state"
    );
    let (_, history) = f.store.record(stored.id()).await.unwrap().unwrap();
    assert!(history.is_empty(), "a note is no history entry: {history:?}");
    // A decision with the version read before the note.
    let approve = decision(&stored, Decision::Approve, None);
    match f.store.decide(&approve).await.unwrap() {
        DecideOutcome::Decided(decided) => assert_eq!(decided.version, stored.version.next()),
        other => panic!("{other:?}"),
    }
    // A note after a decision is kept too, and the audit names the application only.
    let later = note_on(&stored, "承認後のメモ");
    assert!(matches!(f.store.add_note(&later).await.unwrap(), NoteOutcome::Added(_)));
    let audit = f.store.audit_log(None, 50).await.unwrap();
    let notes: Vec<_> = audit.entries.iter().filter(|e| e.action == AuditAction::Note).collect();
    assert!(notes.iter().any(|e| e.application_id == Some(stored.id())));
    assert!(!format!("{:?}", audit.entries).contains("承認後のメモ"), "no note text in the audit");
}

async fn notes_come_newest_first_and_only_for_a_live_application(f: Fixture) {
    let stored = received(&f, "notes.order@example.com", 0).await;
    let other = received(&f, "notes.other@example.com", 0).await;
    let mut written = Vec::new();
    for text in ["一つ目", "二つ目", "三つ目"] {
        let write = note_on(&stored, text);
        f.store.add_note(&write).await.unwrap();
        written.push(write.note);
    }
    f.store.add_note(&note_on(&other, "別の申込")).await.unwrap();
    written.reverse();
    assert_eq!(
        f.store.notes_of(stored.id()).await.unwrap(),
        written,
        "newest first, this application's only"
    );
    let unknown = shared::domain::ApplicationId::new(Timestamp::now().time());
    let stray =
        NoteWrite { note: Note { application_id: unknown, ..written[0].clone() }, ..note_on(&stored, "x") };
    assert_eq!(f.store.add_note(&stray).await.unwrap(), NoteOutcome::NotFound);
    assert!(f.store.notes_of(unknown).await.unwrap().is_empty());
}

async fn erasure_deletes_the_notes(f: Fixture) {
    let stored = received(&f, "notes.erased@example.com", 0).await;
    f.store.add_note(&note_on(&stored, "𠮷田様より電話あり")).await.unwrap();
    f.store.add_note(&note_on(&stored, "二件目")).await.unwrap();
    let erasure = erasure_of(stored.id(), ErasureReason::ApplicantRequest);
    assert!(matches!(f.store.erase(&erasure).await.unwrap(), EraseOutcome::Erased(_)));
    assert!(f.store.notes_of(stored.id()).await.unwrap().is_empty(), "the notes go with the application");
    assert_eq!(f.store.add_note(&note_on(&stored, "消去後")).await.unwrap(), NoteOutcome::NotFound);
    assert_eq!(
        f.store.assign(&assignment(&stored, Some("op@example.com"))).await.unwrap(),
        AssignOutcome::NotFound
    );
}

async fn assignment_changes_no_version_and_the_list_filters_by_it(f: Fixture) {
    let mine = received(&f, "assigned.mine@example.com", 3).await;
    let theirs = received(&f, "assigned.theirs@example.com", 2).await;
    let nobodys = received(&f, "assigned.none@example.com", 1).await;
    let me = "me@example.com";
    assert_eq!(
        f.store.assign(&assignment(&mine, Some(me))).await.unwrap(),
        AssignOutcome::Assigned(Some(operator(me)))
    );
    f.store.assign(&assignment(&theirs, Some("other@example.com"))).await.unwrap();
    let after = live(&f, &mine).await;
    assert_eq!(after.assignee, Some(operator(me)));
    assert_eq!((after.version, after.status), (mine.version, mine.status), "no change of state");
    // A decision with the version read before the assignment keeps the assignee.
    match f
        .store
        .decide(&decision(&mine, Decision::RequestDocuments, message("登記簿をお送りください。")))
        .await
        .unwrap()
    {
        DecideOutcome::Decided(decided) => assert_eq!(decided.assignee, Some(operator(me))),
        other => panic!("{other:?}"),
    }
    assert_eq!(live(&f, &mine).await.assignee, Some(operator(me)), "the lifecycle write leaves the assignee");

    let ids = |filter: Option<AssigneeFilter>, status: Option<Status>| {
        let query = shared::store::ListQuery { assignee: filter, ..list(status, None) };
        let store = f.store.clone();
        async move { store.list(&query).await.unwrap().items.iter().map(|s| s.id()).collect::<Vec<_>>() }
    };
    let ours = [mine.id(), theirs.id(), nobodys.id()];
    let only = |found: Vec<_>| found.into_iter().filter(|id| ours.contains(id)).collect::<Vec<_>>();
    assert_eq!(only(ids(Some(AssigneeFilter::Operator(operator(me))), None).await), [mine.id()]);
    assert_eq!(only(ids(Some(AssigneeFilter::Unassigned), None).await), [nobodys.id()]);
    assert_eq!(only(ids(None, None).await), [nobodys.id(), theirs.id(), mine.id()]);
    let status = Some(Status::DocumentsRequested);
    assert_eq!(only(ids(Some(AssigneeFilter::Operator(operator(me))), status).await), [mine.id()]);
    assert!(only(ids(Some(AssigneeFilter::Operator(operator(me))), Some(Status::Received)).await).is_empty());
    // Unassigned again.
    assert_eq!(f.store.assign(&assignment(&mine, None)).await.unwrap(), AssignOutcome::Assigned(None));
    assert_eq!(live(&f, &mine).await.assignee, None);
    assert_eq!(only(ids(Some(AssigneeFilter::Unassigned), None).await), [nobodys.id(), mine.id()]);
    let audit = f.store.audit_log(None, 100).await.unwrap();
    assert!(
        audit.entries.iter().any(|e| e.action == AuditAction::Assign && e.application_id == Some(mine.id()))
    );
}

contract!(
    a_note_changes_no_version_and_a_decision_with_the_old_one_succeeds,
    notes_come_newest_first_and_only_for_a_live_application,
    erasure_deletes_the_notes,
    assignment_changes_no_version_and_the_list_filters_by_it,
);
