//! What the operators' side asks of a store: decisions, the list and its
//! search, erasure and the audit. The types here are the trait's arguments
//! and answers ([`super::Store`]); both backends implement them with one
//! conditional write per change.

use super::StoredApplication;
use crate::domain::{
    Actor, Application, ApplicationId, AuditEntry, AuditId, Changes, CorrectionReason, Decision,
    ErasureReason, Field, IdempotencyKey, Invalid, InvoiceNumber, OperatorMessage, PartnerCode, Phone,
    ReceptionNumber, RequestHash, Status, Timestamp, Version,
};
use crate::keyed::{EmailKey, TokenHash};

/// An operator's decision, as one conditional write: the application moves by
/// `decision.transition()` only if it is at `expected_version` and in a status
/// the transition starts from; a history entry numbered by the new version and
/// the idempotency record are written with it, or nothing is.
#[derive(Debug, Clone)]
pub struct DecisionWrite {
    pub application_id: ApplicationId,
    pub decision: Decision,
    pub expected_version: Version,
    pub message: Option<OperatorMessage>,
    pub actor: Actor,
    pub at: Timestamp,
    pub idempotency_key: IdempotencyKey,
    /// The digest of what the request asked: a replay must carry the same.
    pub request_hash: RequestHash,
    /// Approve only: the code to issue, if it is free ([`DecideOutcome::PartnerCodeTaken`]).
    pub partner_code: Option<PartnerCode>,
    /// Reject only: when its personal data is deleted (`REJECTED_RETENTION_DAYS`).
    pub retain_until: Option<Timestamp>,
    /// Request documents only: the new link's token hash and expiry.
    pub document_request: Option<super::documents::RequestWrite>,
    /// The audit entry, written in the same transaction.
    pub audit: AuditEntry,
}

/// How a decision ended.
#[allow(clippy::large_enum_variant)] // one per request
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecideOutcome {
    /// Made now: the application as it is after it (mail [`crate::domain::MailEvent::Recorded`]).
    Decided(StoredApplication),
    /// The same key and request decided before: nothing changed now.
    Replayed(StoredApplication),
    /// The key was used before for another request.
    KeyReused,
    NotFound,
    /// The application is at another version (another operator was faster).
    VersionConflict(StoredApplication),
    /// Its status does not allow this decision.
    InvalidTransition(StoredApplication),
    /// The partner code is issued already (improbable): draw another and decide again.
    PartnerCodeTaken,
}

/// A correction (訂正), as one conditional write: the application's fields
/// are set to `changes` (parsed again whole by the form's rules, in the plan)
/// only if it is at `expected_version` and verified; its version moves on,
/// its status stays, and a history entry naming the changed keys, the
/// idempotency record and the audit entry are written with it, or nothing is.
#[derive(Debug, Clone)]
pub struct CorrectionWrite {
    pub application_id: ApplicationId,
    pub expected_version: Version,
    pub reason: CorrectionReason,
    pub changes: Changes,
    pub actor: Actor,
    pub at: Timestamp,
    pub idempotency_key: IdempotencyKey,
    /// The digest of what the request asked: a replay must carry the same.
    pub request_hash: RequestHash,
    /// The audit entry, written in the same transaction.
    pub audit: AuditEntry,
}

/// How a correction ended.
#[allow(clippy::large_enum_variant)] // one per request
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorrectOutcome {
    /// Made now: the application as it is after it (mail [`crate::domain::MailEvent::Recorded`]).
    Corrected(StoredApplication),
    /// The same key and request corrected before: nothing changed now.
    Replayed(StoredApplication),
    /// The key was used before for another request.
    KeyReused,
    NotFound,
    /// Erased: nothing is left to correct.
    Erased,
    /// Its address is not proven yet: there is no application to correct.
    NotVerified,
    /// The application is at another version (another operator was faster).
    VersionConflict(StoredApplication),
    /// The corrected application breaks the form's rules: every error, as validation answers.
    Invalid(Invalid),
    /// Every value asked for is the one stored already (after normalisation).
    Unchanged,
}

/// An erasure: the application's personal data goes from every record that
/// holds it (the application, its address reservation, its token, the
/// messages of its history); a tombstone and the history keep that it was, by
/// whom and why.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub application_id: ApplicationId,
    pub actor: Actor,
    pub reason: ErasureReason,
    pub at: Timestamp,
    /// The hash of its verification token (derived from the id by the caller's key).
    pub token_hash: TokenHash,
    pub audit: AuditEntry,
}

/// How an erasure ended.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EraseOutcome {
    Erased(ErasedApplication),
    AlreadyErased(ErasedApplication),
    NotFound,
}

/// What remains of an erased application: no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasedApplication {
    pub application_id: ApplicationId,
    pub reception_number: ReceptionNumber,
    pub received_at: Timestamp,
    pub verified_at: Option<Timestamp>,
    /// Its status when it was erased.
    pub status: Status,
    pub version: Version,
    pub erased_at: Timestamp,
}

/// An application as the detail reads it: alive, or its tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one per request, never in a collection
pub enum Record {
    Live(StoredApplication),
    Erased(ErasedApplication),
}

/// What `q` of the list asks for, classified once by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// Exactly this reception number.
    ReceptionNumber(ReceptionNumber),
    /// Exactly this address (by its keyed hash, as the reservation).
    Email(EmailKey),
    /// Exactly this phone number.
    Phone(Phone),
    /// A substring of a name, a corporate name or a reading (NFKC, no spaces;
    /// `reading` is the same text with hiragana as katakana).
    Text { text: String, reading: String },
}

impl Search {
    /// Whether a search text ([`super::layout::search_text`]) is found by
    /// this search: a text search's substring of it. False for the exact ones.
    pub fn finds_text(&self, search_text: &str) -> bool {
        match self {
            Search::Text { text, reading } => {
                search_text.contains(text.as_str()) || search_text.contains(reading.as_str())
            }
            _ => false,
        }
    }
}

/// Where a page ends: the last application shown (newest first, so the next
/// page is what was received before it). Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub received_at: Timestamp,
    pub application_id: ApplicationId,
}

impl Cursor {
    pub fn after(stored: &StoredApplication) -> Self {
        Cursor { received_at: stored.receipt.received_at, application_id: stored.receipt.application_id }
    }

    /// `<epoch seconds>.<applicationId>`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.received_at.epoch(), self.application_id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (epoch, id) = text.split_once('.')?;
        if !epoch.bytes().all(|b| b.is_ascii_digit()) || epoch.is_empty() || epoch.len() > 12 {
            return None;
        }
        Some(Cursor {
            received_at: Timestamp::from_epoch(epoch.parse().ok()?)?,
            application_id: ApplicationId::parse(id)?,
        })
    }
}

/// A list request. Without `status`, every verified application (not those
/// awaiting verification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub status: Option<Status>,
    pub search: Option<Search>,
    /// Received at or after.
    pub from: Option<Timestamp>,
    /// Received before.
    pub to: Option<Timestamp>,
    pub limit: usize,
    pub cursor: Option<Cursor>,
    /// `?assignee=`: one operator's, or the unassigned; `None`: any.
    pub assignee: Option<super::desk::AssigneeFilter>,
}

impl ListQuery {
    pub const MAX_LIMIT: usize = 500;

    /// Whether the query lists an application received at `received_at`
    /// with this id, status and assignee: every condition of the query but
    /// its search. What an index entry that holds only these decides before
    /// the application is read (DynamoDB's name search).
    pub fn admits(
        &self,
        received_at: Timestamp,
        application_id: ApplicationId,
        status: Status,
        assignee: Option<&Actor>,
    ) -> bool {
        self.lists(status)
            && self.lists_assignee(assignee)
            && self.from.is_none_or(|from| received_at >= from)
            && self.to.is_none_or(|to| received_at < to)
            && self.cursor.is_none_or(|cursor| {
                (received_at, application_id) < (cursor.received_at, cursor.application_id)
            })
    }

    /// Whether an application's assignee is listed by this query.
    pub fn lists_assignee(&self, assignee: Option<&Actor>) -> bool {
        self.assignee.as_ref().is_none_or(|filter| filter.lists(assignee))
    }

    /// Whether a status is listed by this query.
    pub fn lists(&self, status: Status) -> bool {
        match self.status {
            Some(wanted) => wanted == status,
            None => status.is_verified(),
        }
    }
}

/// One page, newest first, and where the next begins (`None`: no more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<StoredApplication>,
    pub next: Option<Cursor>,
}

/// The reviewer's check: the other applications that share this one's
/// phone number, invoice number (T-number) or corporate name. Only what the
/// list shows (verified, live, not erased), any status: a rejected business
/// that applies again is what the reviewer should see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// The application checked, never among the answers.
    pub application_id: ApplicationId,
    pub phone: Phone,
    /// `T` and 13 digits, as stored.
    pub invoice_number: Option<InvoiceNumber>,
    /// The stored corporate name without its spaces (as `searchText` holds
    /// it): names that differ only in spacing are the same name.
    pub corporate_name: Option<String>,
    /// At most this many, newest first.
    pub limit: usize,
}

impl Related {
    pub const MAX_LIMIT: usize = 100;

    /// The check of `stored`, answering at most `limit` applications.
    pub fn of(stored: &StoredApplication, limit: usize) -> Self {
        let application = &stored.application;
        Related {
            application_id: stored.receipt.application_id,
            phone: application.phone.clone(),
            invoice_number: application.invoice_number.clone(),
            corporate_name: corporate_name_key_of(application),
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }

    /// What `other` shares with the application checked, as fields in this
    /// order: [`Field::Phone`], [`Field::InvoiceNumber`], [`Field::CorporateName`].
    pub fn shared(&self, other: &RelatedApplication) -> Vec<Field> {
        let mut shared = Vec::new();
        if other.phone == self.phone {
            shared.push(Field::Phone);
        }
        if self.invoice_number.is_some() && other.invoice_number == self.invoice_number {
            shared.push(Field::InvoiceNumber);
        }
        if self.corporate_name.is_some() && other.corporate_name == self.corporate_name {
            shared.push(Field::CorporateName);
        }
        shared
    }

    /// Whether the check answers `other`: another listed application that
    /// shares something.
    pub fn finds(&self, other: &RelatedApplication) -> bool {
        other.application_id != self.application_id
            && other.status.is_verified()
            && !self.shared(other).is_empty()
    }
}

/// Another application as the reviewer's check shows and compares it, and
/// no more: on DynamoDB, what the T-number's and the corporate name's indexes
/// project ([`super::layout::RELATED_PROJECTION`]), so the check reads a few
/// hundred bytes of each application it finds, not the whole item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedApplication {
    pub application_id: ApplicationId,
    pub reception_number: ReceptionNumber,
    pub received_at: Timestamp,
    pub status: Status,
    /// The name the list shows ([`crate::domain::display_name`]).
    pub display_name: String,
    pub phone: Phone,
    pub invoice_number: Option<InvoiceNumber>,
    /// Without its spaces ([`corporate_name_key`]), as [`Related`] compares it.
    pub corporate_name: Option<String>,
}

impl RelatedApplication {
    /// What the check reads of a whole application.
    pub fn of(stored: &StoredApplication) -> Self {
        let application = &stored.application;
        RelatedApplication {
            application_id: stored.receipt.application_id,
            reception_number: stored.receipt.reception_number,
            received_at: stored.receipt.received_at,
            status: stored.status,
            display_name: application.display_name(),
            phone: application.phone.clone(),
            invoice_number: application.invoice_number.clone(),
            corporate_name: corporate_name_key_of(application),
        }
    }
}

/// The corporate name as the check compares it: without spaces (`None` for
/// one of spaces only). The key of DynamoDB's `byCorporateName` index too.
pub fn corporate_name_key(name: &str) -> Option<String> {
    Some(name.replace(' ', "")).filter(|key| !key.is_empty())
}

fn corporate_name_key_of(application: &Application) -> Option<String> {
    application.corporate_name.as_ref().and_then(|name| corporate_name_key(name.as_str()))
}

/// How many applications each status has, as the list shows them: live ones
/// only (not past their link's expiry or their retention, not erased).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusCounts([u64; Status::ALL.len()]);

impl StatusCounts {
    fn index(status: Status) -> usize {
        Status::ALL.iter().position(|s| *s == status).expect("every status is in Status::ALL")
    }

    pub fn get(&self, status: Status) -> u64 {
        self.0[Self::index(status)]
    }

    pub fn add(&mut self, status: Status, count: u64) {
        self.0[Self::index(status)] += count;
    }

    pub fn set(&mut self, status: Status, count: u64) {
        self.0[Self::index(status)] = count;
    }

    /// Every status with its count, in the lifecycle's order.
    pub fn iter(&self) -> impl Iterator<Item = (Status, u64)> + '_ {
        Status::ALL.into_iter().map(|status| (status, self.get(status)))
    }
}

/// One page of the audit, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The last entry shown: the next page is older.
    pub next: Option<AuditId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_is_not_one() {
        let at = Timestamp::parse("2026-11-28T18:30:00+09:00").unwrap();
        let cursor = Cursor { received_at: at, application_id: ApplicationId::new(at.time()) };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for bad in ["", ".", "1.", ".01J", "-1.01JD", "x.01JD", "99999999999999.01JD"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
