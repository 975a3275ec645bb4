//! Mail records and their delivery status on both stores (contract v3, *Mail
//! delivery status*): a record written with the mail's marker, moved only
//! forward and only for the message it names, the application flagged for
//! an applicant's failed mail, and everything erased with the application.
//! Run against SQLite and DynamoDB on moto.

use crate::review_contract::{decision, erasure_of, message, received};
use crate::store_contract::{Fixture, dynamodb, sqlite};
use shared::domain::{
    Decision, DeliveryReason, DeliveryReport, DeliveryStatus, ErasureReason, MailId, StoredApplication,
    Timestamp,
};
use shared::mail::{MailKind, MailSubject};
use shared::store::{DecideOutcome, DeliveryOutcome, EraseOutcome, ListQuery, Record, plan};

/// Marks `kind` sent about `subject` as the delivery policy does, with its
/// record when the rule tracks it; the record's message id is returned.
async fn sent(
    f: &Fixture,
    stored: &StoredApplication,
    subject: MailSubject,
    kind: MailKind,
) -> Option<String> {
    let tracking = plan::tracking(subject, kind, stored);
    let message_id = format!("0106-{}-{}", stored.id(), kind.slug());
    let record = tracking.as_ref().map(|t| plan::sent_mail(t, kind, stored, message_id.clone()));
    assert!(f.store.mark_mail_sent(subject, kind, record.as_ref()).await.unwrap());
    tracking.map(|_| message_id)
}

fn report(
    stored: &StoredApplication,
    mail: &str,
    message_id: &str,
    status: DeliveryStatus,
) -> DeliveryReport {
    let reason = match status {
        DeliveryStatus::Bounced => Some(DeliveryReason::NoSuchAddress),
        DeliveryStatus::Delayed => Some(DeliveryReason::MailboxFull),
        _ => None,
    };
    DeliveryReport {
        application_id: stored.id(),
        mail_id: MailId::parse(mail).unwrap(),
        message_id: message_id.to_owned(),
        status,
        reason,
        at: Timestamp::now(),
    }
}

async fn ack_status(f: &Fixture, stored: &StoredApplication) -> (DeliveryStatus, Option<DeliveryReason>) {
    let mails = f.store.mails_of(stored.id()).await.unwrap();
    let ack = mails.into_iter().find(|m| m.kind == MailKind::Acknowledgement).unwrap();
    (ack.status, ack.reason)
}

async fn record(f: &Fixture, report: DeliveryReport) -> DeliveryOutcome {
    f.store.record_delivery(&plan::delivery(&report)).await.unwrap()
}

async fn problem(f: &Fixture, stored: &StoredApplication) -> bool {
    match f.store.record(stored.id()).await.unwrap() {
        Some((Record::Live(live), _)) => live.mail_problem,
        other => panic!("{other:?}"),
    }
}

async fn every_mail_about_a_verified_application_is_recorded_with_its_marker(f: Fixture) {
    let stored = received(&f, "mails.recorded@example.com", 0).await;
    let about = MailSubject::Application(stored.id());
    let ack = sent(&f, &stored, about, MailKind::Acknowledgement).await.expect("tracked");
    sent(&f, &stored, about, MailKind::OperatorNotice).await.expect("tracked");
    // A second delivery of the same mail writes nothing (the marker is set).
    let tracking = plan::tracking(about, MailKind::Acknowledgement, &stored).unwrap();
    let again = plan::sent_mail(&tracking, MailKind::Acknowledgement, &stored, "another".into());
    assert!(!f.store.mark_mail_sent(about, MailKind::Acknowledgement, Some(&again)).await.unwrap());
    let mails = f.store.mails_of(stored.id()).await.unwrap();
    let listed: Vec<(&str, MailKind, DeliveryStatus, &str)> =
        mails.iter().map(|m| (m.mail_id.as_str(), m.kind, m.status, m.message_id.as_str())).collect();
    assert_eq!(
        listed,
        [
            ("acknowledgement", MailKind::Acknowledgement, DeliveryStatus::Sent, ack.as_str()),
            (
                "operator-notice",
                MailKind::OperatorNotice,
                DeliveryStatus::Sent,
                format!("0106-{}-operator-notice", stored.id()).as_str()
            ),
        ]
    );
    // A decision's result mail: a record of its own, named by the version.
    let DecideOutcome::Decided(decided) =
        f.store.decide(&decision(&stored, Decision::Approve, message("ようこそ"))).await.unwrap()
    else {
        panic!("decided")
    };
    sent(&f, &decided, MailSubject::History(decided.id(), decided.version), MailKind::Approved)
        .await
        .unwrap();
    let ids: Vec<String> =
        f.store.mails_of(stored.id()).await.unwrap().iter().map(|m| m.mail_id.to_string()).collect();
    assert_eq!(ids.last().map(String::as_str), Some(format!("v{}-approved", decided.version).as_str()));
    assert_eq!(ids.len(), 3);
}

async fn events_move_a_mail_forward_only_and_only_for_its_message(f: Fixture) {
    let stored = received(&f, "mails.events@example.com", 0).await;
    let about = MailSubject::Application(stored.id());
    let ack = sent(&f, &stored, about, MailKind::Acknowledgement).await.unwrap();
    assert_eq!(
        record(&f, report(&stored, "acknowledgement", &ack, DeliveryStatus::Delayed)).await,
        DeliveryOutcome::Recorded
    );
    assert_eq!(ack_status(&f, &stored).await, (DeliveryStatus::Delayed, Some(DeliveryReason::MailboxFull)));
    assert_eq!(
        record(&f, report(&stored, "acknowledgement", &ack, DeliveryStatus::Delivered)).await,
        DeliveryOutcome::Recorded
    );
    assert_eq!(ack_status(&f, &stored).await, (DeliveryStatus::Delivered, None), "the delay's reason goes");
    // A late delay, a repeated delivery, another message, another mail: nothing.
    for late in [
        report(&stored, "acknowledgement", &ack, DeliveryStatus::Delayed),
        report(&stored, "acknowledgement", &ack, DeliveryStatus::Delivered),
        report(&stored, "acknowledgement", "a-resent-message", DeliveryStatus::Bounced),
        report(&stored, "v9-approved", &ack, DeliveryStatus::Bounced),
    ] {
        assert_eq!(record(&f, late.clone()).await, DeliveryOutcome::Ignored, "{late:?}");
    }
    assert_eq!(ack_status(&f, &stored).await, (DeliveryStatus::Delivered, None));
    assert!(!problem(&f, &stored).await);
    // A complaint after the delivery: final, and a problem with the address.
    let complaint = DeliveryReport {
        reason: Some(DeliveryReason::Complaint),
        ..report(&stored, "acknowledgement", &ack, DeliveryStatus::Complained)
    };
    assert_eq!(record(&f, complaint).await, DeliveryOutcome::Recorded);
    assert_eq!(ack_status(&f, &stored).await, (DeliveryStatus::Complained, Some(DeliveryReason::Complaint)));
    assert!(problem(&f, &stored).await, "the application is flagged");
    assert_eq!(
        record(&f, report(&stored, "acknowledgement", &ack, DeliveryStatus::Bounced)).await,
        DeliveryOutcome::Ignored,
        "the first final status stays"
    );
    // The list carries the flag, and a lifecycle write keeps it.
    let page = f
        .store
        .list(&ListQuery {
            status: Some(stored.status),
            search: None,
            from: None,
            to: None,
            limit: 50,
            cursor: None,
            assignee: None,
        })
        .await
        .unwrap();
    assert!(page.items.iter().find(|item| item.id() == stored.id()).unwrap().mail_problem);
    let DecideOutcome::Decided(decided) = f
        .store
        .decide(&decision(&stored, Decision::RequestDocuments, message("登記簿をお送りください。")))
        .await
        .unwrap()
    else {
        panic!("decided")
    };
    assert!(problem(&f, &decided).await, "the decision leaves the flag");
}

async fn an_operators_mail_that_fails_flags_nothing(f: Fixture) {
    let stored = received(&f, "mails.operators@example.com", 0).await;
    let about = MailSubject::Application(stored.id());
    let notice = sent(&f, &stored, about, MailKind::OperatorNotice).await.unwrap();
    let bounced = report(&stored, "operator-notice", &notice, DeliveryStatus::Bounced);
    assert!(!plan::delivery(&bounced).flags_problem);
    assert_eq!(f.store.record_delivery(&plan::delivery(&bounced)).await.unwrap(), DeliveryOutcome::Recorded);
    assert!(!problem(&f, &stored).await, "the applicant's address is not in doubt");
}

async fn erasure_deletes_the_mail_records(f: Fixture) {
    let stored = received(&f, "mails.erased@example.com", 0).await;
    let about = MailSubject::Application(stored.id());
    let ack = sent(&f, &stored, about, MailKind::Acknowledgement).await.unwrap();
    assert_eq!(f.store.mails_of(stored.id()).await.unwrap().len(), 1);
    let erasure = erasure_of(stored.id(), ErasureReason::ApplicantRequest);
    assert!(matches!(f.store.erase(&erasure).await.unwrap(), EraseOutcome::Erased(_)));
    assert!(f.store.mails_of(stored.id()).await.unwrap().is_empty(), "the records go with the application");
    // A late bounce of the erased application's mail changes nothing and creates nothing.
    let late = plan::delivery(&report(&stored, "acknowledgement", &ack, DeliveryStatus::Bounced));
    assert_eq!(f.store.record_delivery(&late).await.unwrap(), DeliveryOutcome::Ignored);
    assert!(f.store.mails_of(stored.id()).await.unwrap().is_empty());
    assert!(matches!(f.store.record(stored.id()).await.unwrap(), Some((Record::Erased(_), _))));
}

contract!(
    every_mail_about_a_verified_application_is_recorded_with_its_marker,
    events_move_a_mail_forward_only_and_only_for_its_message,
    an_operators_mail_that_fails_flags_nothing,
    erasure_deletes_the_mail_records,
);
