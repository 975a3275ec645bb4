//! What the mails' delivery status asks of a store (contract v3, *Mail
//! delivery status*): a record of every mail sent about a verified
//! application, written with the mail's "sent" marker (one write, so a mail
//! marked sent always has its record), moved along by the provider's events,
//! and listed in the detail. A record is an item `MAIL#<mailId>` under its
//! application's `pk` on DynamoDB, a row of `mails` on SQLite; erased with
//! the application, and kept as long as it is (a rejected application's
//! records take its retention). The rules are [`super::plan`]'s
//! (`sent_mail`, `delivery`); both stores only carry them out.

use crate::domain::{ApplicationId, DeliveryReason, DeliveryStatus, MailId, MailRecord, Timestamp};
use async_trait::async_trait;

use super::Unavailable;

/// A record to write beside a mail's marker: the mail just sent, and when
/// the record goes (its application's end, if it has one: a rejection's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub record: MailRecord,
    pub expires_at: Option<Timestamp>,
}

/// What one delivery event changes: the record's status, only forward
/// ([`DeliveryStatus::rank`]) and only for the message it was sent as, and
/// the application's `mailProblem` flag when an applicant's mail failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryUpdate {
    pub application_id: ApplicationId,
    pub mail_id: MailId,
    pub message_id: String,
    pub status: DeliveryStatus,
    pub reason: Option<DeliveryReason>,
    pub at: Timestamp,
    /// Set the application's `mailProblem` in the same write.
    pub flags_problem: bool,
}

/// How an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Recorded,
    /// No such record for that message (unknown, erased, or sent again since),
    /// or it already has this status or a later one.
    Ignored,
}

/// The mail records of an application, and their events.
#[async_trait]
pub trait Deliveries: Send + Sync {
    /// Carries out one event's [`DeliveryUpdate`]: one conditional write.
    async fn record_delivery(&self, update: &DeliveryUpdate) -> Result<DeliveryOutcome, Unavailable>;

    /// The application's mail records, oldest first (strongly consistent).
    async fn mails_of(&self, application_id: ApplicationId) -> Result<Vec<MailRecord>, Unavailable>;
}

/// The order the detail lists mails in: by time sent, then by id.
pub fn oldest_first(mut mails: Vec<MailRecord>) -> Vec<MailRecord> {
    mails.sort_by(|a, b| (a.sent_at, &a.mail_id).cmp(&(b.sent_at, &b.mail_id)));
    mails
}
