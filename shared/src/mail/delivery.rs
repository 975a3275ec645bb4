//! The delivery policy, over the [`Store`] and [`Mailer`] ports: for each kind
//! of mail, skip it if its marker is set, otherwise send it and then set the
//! marker (conditionally). On AWS the notify function runs it for the stream's
//! INSERT records; the local server runs it right after storing.
//!
//! The one unavoidable gap: if a send succeeds and setting its marker fails,
//! the retry sends that mail again. The reverse (marker first) could lose it.

use super::{MailConfig, MailKind, Mailer, SendError, render};
use crate::store::{Store, StoredApplication, Unavailable};

/// Why one mail was not delivered. Its message names no personal data.
#[derive(Debug, thiserror::Error)]
pub enum MailFailure {
    #[error("mail marker: {0}")]
    Store(#[from] Unavailable),
    #[error(transparent)]
    Send(#[from] SendError),
}

/// The mails of one application that were not delivered (the others were).
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

/// Sends each mail of `app` that has not been sent yet. Every kind is tried,
/// so an applicant address that bounces does not hold back the operator's notice.
pub async fn deliver(
    store: &dyn Store,
    mailer: &dyn Mailer,
    config: &MailConfig,
    app: &StoredApplication,
) -> Result<(), DeliverError> {
    let mut failures = Vec::new();
    for kind in MailKind::ALL {
        if let Err(failure) = deliver_one(store, mailer, config, app, kind).await {
            failures.push((kind, failure));
        }
    }
    if failures.is_empty() { Ok(()) } else { Err(DeliverError { failures }) }
}

async fn deliver_one(
    store: &dyn Store,
    mailer: &dyn Mailer,
    config: &MailConfig,
    app: &StoredApplication,
    kind: MailKind,
) -> Result<(), MailFailure> {
    let application_id = app.receipt.application_id;
    if store.mail_sent(application_id, kind).await? {
        tracing::info!(%application_id, mail = kind.slug(), "already sent, skipped");
        return Ok(());
    }
    let mail = render(kind, config, app);
    mailer.send(&mail).await?;
    if store.mark_mail_sent(application_id, kind).await? {
        tracing::info!(%application_id, mail = kind.slug(), "sent");
    } else {
        // A concurrent delivery of the same record sent it as well.
        tracing::warn!(%application_id, mail = kind.slug(), "sent, but another delivery had sent it too");
    }
    Ok(())
}
