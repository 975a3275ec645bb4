//! The mails of the contract's mail table ([`MailEvent`] → [`MailKind`]s), how
//! they are rendered (plain text + HTML, one MIME message built by
//! `mail-builder`) and the [`Mailer`]s that deliver them: SES v2 on AWS
//! (feature `ses`), `.eml` files locally.
//!
//! Injection safety is structural: a [`Mail`]'s headers hold only configured
//! addresses, the validated recipient address, fixed subject text and
//! identifiers this system generated (checked again here). Applicant values
//! appear only in the bodies, and every one of them is HTML-escaped in the HTML
//! part.

mod config;
mod delivery;
mod hook;
mod mime;
mod outbox;
#[cfg(feature = "ses")]
mod ses;
pub mod ses_event;
mod templates;

pub use crate::domain::{ApplicationId, MailId};
pub use crate::domain::{MailEvent, MailKind, MailSubject};
pub use config::{
    ConfigError, ENV_CONFIGURATION_SET, ENV_FROM, ENV_FROM_NAME, ENV_OPERATOR, ENV_OPERATOR_CONTACT,
    ENV_PUBLIC_BASE_URL, ENV_REPLY_TO, MailConfig, pairs,
};
pub use delivery::{DeliverError, MailFailure, Postman, deliver};
pub use hook::{AfterEvent, EventHook};
pub use outbox::OutboxMailer;
#[cfg(feature = "ses")]
pub use ses::SesMailer;
pub use templates::{Source, Unrenderable, render};

use async_trait::async_trait;

/// One rendered mail, ready to send: every header value is safe by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub kind: MailKind,
    /// The record this mail is about, for file names and Message-ID.
    pub about: MailSubject,
    pub from: String,
    pub from_name: Option<String>,
    pub reply_to: String,
    /// The validated applicant address, or the configured operator address.
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The record it is tracked under, if any (a mail about a verified
    /// application): sent as SES message tags ([`TAG_APPLICATION`],
    /// [`TAG_MAIL`]), so a delivery event finds its record without a scan.
    pub tracking: Option<Tracking>,
}

/// Which mail record a mail's delivery events update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracking {
    pub application_id: ApplicationId,
    pub mail_id: MailId,
}

/// The SES message tag naming the application a mail is about.
pub const TAG_APPLICATION: &str = "application";
/// The SES message tag naming the mail ([`MailId`]).
pub const TAG_MAIL: &str = "mail";

/// Why a mail was not sent. It carries no personal data: only what failed and
/// a provider error code, so it can be logged as is.
#[derive(Debug, thiserror::Error)]
#[error("mail not sent ({kind}): {reason}")]
pub struct SendError {
    pub kind: &'static str,
    pub reason: String,
}

impl SendError {
    pub fn new(kind: MailKind, reason: impl Into<String>) -> Self {
        SendError { kind: kind.slug(), reason: reason.into() }
    }
}

/// Delivers a rendered mail. Returns only once the provider accepted it,
/// with the provider's id of the message (SES's `MessageId`; the outbox's
/// `Message-ID`).
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<String, SendError>;
}
