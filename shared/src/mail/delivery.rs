//! The delivery policy, over the [`MailLedger`] and [`Mailer`] ports: for each mail
//! of an event, skip it if its marker is set, otherwise send it and then set
//! the marker (conditionally). On AWS the notify function runs it for the
//! stream's records; the local server runs it right after the store answered,
//! and on start for whatever [`crate::store::Tooling::pending_mail`] lists.
//!
//! Each event reads its record back (strongly consistent) rather than trusting
//! the stream image: a superseded or expired application, or an erased one,
//! gets no mail, and a verification mail is not sent for an application that
//! is already confirmed. A decision's result mail reads both the application
//! and the history entry of the decision's version: an application erased or
//! deleted at the end of its retention gets none, and a history item that is
//! not that decision sends nothing.
//!
//! The one unavoidable gap: if a send succeeds and setting its marker fails,
//! the retry sends that mail again. The reverse (marker first) could lose it.

use super::{MailConfig, MailEvent, MailKind, MailSubject, Mailer, SendError, Source, Unrenderable, render};
use crate::domain::{HistoryEntry, Status};
use crate::keyed::IdentifierKey;
use crate::store::{MailLedger, StoredApplication, Unavailable, plan};

/// Why one mail was not delivered. Its message names no personal data.
#[derive(Debug, thiserror::Error)]
pub enum MailFailure {
    #[error("mail marker: {0}")]
    Store(#[from] Unavailable),
    #[error(transparent)]
    Send(#[from] SendError),
    /// The record lacks what the mail must say: nothing is sent or marked,
    /// so a retry sends it once the record is whole.
    #[error(transparent)]
    Render(#[from] Unrenderable),
}

/// The mails of one event that were not delivered (the others were).
#[derive(Debug, thiserror::Error)]
#[error("{}", summarize(.failures))]
pub struct DeliverError {
    pub failures: Vec<(MailKind, MailFailure)>,
}

fn summarize(failures: &[(MailKind, MailFailure)]) -> String {
    let parts: Vec<String> =
        failures.iter().map(|(kind, failure)| format!("{}: {failure}", kind.slug())).collect();
    parts.join("; ")
}

/// What a delivery needs besides the event: built once.
pub struct Postman<'a> {
    pub store: &'a dyn MailLedger,
    pub mailer: &'a dyn Mailer,
    pub config: &'a MailConfig,
    pub key: &'a IdentifierKey,
}

/// Sends each mail of `event` that has not been sent yet. Every kind is tried,
/// so an applicant address that bounces does not hold back the operators' notice.
pub async fn deliver(postman: &Postman<'_>, event: MailEvent) -> Result<(), DeliverError> {
    let store_failure =
        |error: Unavailable| DeliverError { failures: vec![(event.kinds()[0], MailFailure::Store(error))] };
    let Some(record) = read_back(postman.store, event).await.map_err(store_failure)? else {
        tracing::info!(subject = %event.subject(), "nothing to mail: the record is gone or has moved on");
        return Ok(());
    };
    let mut failures = Vec::new();
    for &kind in event.kinds() {
        if let Err(failure) = deliver_one(postman, event.subject(), record.source(), kind).await {
            failures.push((kind, failure));
        }
    }
    if failures.is_empty() { Ok(()) } else { Err(DeliverError { failures }) }
}

/// What an event's mails are rendered from, as the store holds it now.
enum ReadBack {
    Application(StoredApplication),
    Decision(StoredApplication, HistoryEntry),
}

impl ReadBack {
    fn source(&self) -> Source<'_> {
        match self {
            ReadBack::Application(stored) => Source::Application(stored),
            ReadBack::Decision(stored, entry) => Source::Decision(stored, entry),
        }
    }
}

/// The records an event's mails are about, if they are still due.
async fn read_back(store: &dyn MailLedger, event: MailEvent) -> Result<Option<ReadBack>, Unavailable> {
    let application = match event {
        MailEvent::Submitted(id) => {
            store.get(id).await?.filter(|stored| stored.status == Status::AwaitingVerification)
        }
        MailEvent::Confirmed(id) => store.get(id).await?.filter(|stored| stored.status.is_verified()),
        MailEvent::AlreadyReceived(notice_id) => match store.notice(notice_id).await? {
            Some(notice) => store.get(notice.application_id).await?.filter(|s| s.status.is_verified()),
            None => None,
        },
        MailEvent::Recorded(id, version, action) => {
            // The application first: once it is erased or past its retention,
            // its history entry alone must not mail anyone.
            let Some(stored) = store.get(id).await?.filter(|stored| stored.status.is_verified()) else {
                return Ok(None);
            };
            let entry = store.history_entry(id, version).await?;
            return Ok(entry
                .filter(|entry| entry.action == action)
                .map(|entry| ReadBack::Decision(stored, entry)));
        }
    };
    Ok(application.map(ReadBack::Application))
}

async fn deliver_one(
    postman: &Postman<'_>,
    subject: MailSubject,
    source: Source<'_>,
    kind: MailKind,
) -> Result<(), MailFailure> {
    let store = postman.store;
    if store.mail_sent(subject, kind).await? {
        tracing::info!(%subject, mail = kind.slug(), "already sent, skipped");
        return Ok(());
    }
    let application = source.stored();
    let tracking = plan::tracking(subject, kind, application);
    let mail = super::Mail { about: subject, tracking, ..render(kind, postman.config, postman.key, source)? };
    let message_id = postman.mailer.send(&mail).await?;
    let sent =
        mail.tracking.as_ref().map(|tracking| plan::sent_mail(tracking, kind, application, message_id));
    if store.mark_mail_sent(subject, kind, sent.as_ref()).await? {
        tracing::info!(%subject, mail = kind.slug(), "sent");
    } else {
        // A concurrent delivery of the same record sent it as well.
        tracing::warn!(%subject, mail = kind.slug(), "sent, but another delivery had sent it too");
    }
    Ok(())
}
