//! The rules of each use case that writes, once. Each function here takes
//! what a store read and returns either the answer (nothing to write) or a
//! plan: the state to write and the conditions it needs. The DynamoDB store
//! carries a plan out as one TransactWriteItems, the SQLite store as one
//! IMMEDIATE transaction; neither decides anything a plan already says, so
//! the two cannot drift apart. No I/O, no SDK type: the contract suite
//! (`shared/tests/it/store_contract.rs`, `review_contract.rs`) runs both
//! stores against the same answers, and the unit tests below check the rules.

use super::deliveries::{DeliveryUpdate, SentMail};
use super::desk::{AssignOutcome, Assignment, NoteOutcome, NoteWrite};
use super::documents::{
    DocumentsSubmission, OpenRequest, Refusal, RequestState, SubmitDocumentsOutcome, UploadRefusal,
};
use super::{
    ConfirmOutcome, CorrectOutcome, CorrectionWrite, DecideOutcome, DecisionWrite, EraseOutcome,
    ErasedApplication, Erasure, Submission, SubmitOutcome, TokenState,
};
use crate::domain::{
    ApplicationId, AuditEntry, DeliveryReport, Document, DocumentId, DocumentLimits, DocumentRequest,
    DocumentType, FileName, HistoryAction, HistoryEntry, HistoryReason, MailEvent, MailKind, MailSubject,
    Note, NoticeId, PartnerCode, RequestHash, Status, StoredApplication, Timestamp, Transition, Version,
};
use crate::keyed::EmailKey;
use crate::store::layout;

/// What an idempotent request left behind, the same on both stores: which
/// application it made or decided, what it asked and what it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub application_id: ApplicationId,
    pub request_hash: RequestHash,
    /// The HTTP status acknowledged.
    pub response_status: u16,
    /// The exact body acknowledged, where a replay answers it verbatim (a
    /// submission); a decision's replay reads the application again instead.
    pub response_body: Option<String>,
    /// The notice a submission made instead of an application (an address
    /// already verified): its replay hands the same event to delivery, and
    /// the notice's id cannot be rebuilt from the rest. `None` for one that
    /// made an application, and for every decision.
    pub notice_id: Option<NoticeId>,
    pub expires_at: Timestamp,
}

impl IdempotencyRecord {
    /// The record of a change answered by reading the application again (a
    /// decision, a correction, a submission of documents): 200, no body kept.
    pub fn of_change(application_id: ApplicationId, request_hash: &RequestHash, at: Timestamp) -> Self {
        IdempotencyRecord {
            application_id,
            request_hash: request_hash.clone(),
            response_status: 200,
            response_body: None,
            notice_id: None,
            expires_at: at.plus_secs(layout::IDEMPOTENCY_TTL_SECS),
        }
    }

    /// The event of the submission that left this record: what its replay
    /// hands to delivery, because the first attempt may have committed and
    /// then lost its answer (a timed-out write the SDK retried) before its
    /// event reached delivery. Deliveries are exactly-once by their markers,
    /// so delivering an event again sends nothing twice.
    pub fn submission_event(&self) -> MailEvent {
        submission_event(self.application_id, self.notice_id)
    }
}

/// A submission's event: its notice's mail if it made one, else its new
/// application's link.
fn submission_event(application_id: ApplicationId, notice_id: Option<NoticeId>) -> MailEvent {
    notice_id.map_or(MailEvent::Submitted(application_id), MailEvent::AlreadyReceived)
}

/// Where an idempotency record is kept: one namespace per use case, so a key
/// a client used for a submission never answers a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKey<'a> {
    Submission(&'a crate::domain::IdempotencyKey),
    Decision(&'a crate::domain::IdempotencyKey),
    /// An applicant's submission of documents.
    Documents(&'a crate::domain::IdempotencyKey),
    /// An operator's correction.
    Correction(&'a crate::domain::IdempotencyKey),
}

impl RecordKey<'_> {
    /// The record's key as both stores write it (DynamoDB prefixes it with
    /// [`layout::IDEMPOTENCY_PREFIX`]).
    pub fn text(&self) -> String {
        match self {
            RecordKey::Submission(key) => key.as_str().to_owned(),
            RecordKey::Decision(key) => format!("DECISION#{}", key.as_str()),
            RecordKey::Documents(key) => format!("DOCUMENTS#{}", key.as_str()),
            RecordKey::Correction(key) => format!("CORRECTION#{}", key.as_str()),
        }
    }
}

// ---------------------------------------------------------------------------
// Counts

/// Whether a status has a counter item. The verified statuses do: every
/// change of them is a plan's, so the counters move in the same transaction.
/// `awaiting_verification` does not: its applications leave by TTL (or the
/// local sweep), unseen, within a day, so its count is still counted from its
/// few live items (`byStatus` on DynamoDB, an index range on SQLite).
pub const fn counted(status: Status) -> bool {
    status.is_verified()
}

/// One change of one status's counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountChange {
    pub status: Status,
    pub delta: i64,
}

/// The counter changes of a write that removes the `left` statuses' items
/// and adds the `entered`'s: uncounted statuses dropped, opposite changes of
/// one status cancelled, in [`Status::ALL`]'s order (so both stores touch the
/// counters in one order).
pub fn count_changes(left: &[Status], entered: &[Status]) -> Vec<CountChange> {
    Status::ALL
        .into_iter()
        .filter(|status| counted(*status))
        .map(|status| {
            let delta = |statuses: &[Status]| statuses.iter().filter(|s| **s == status).count() as i64;
            CountChange { status, delta: delta(entered) - delta(left) }
        })
        .filter(|change| change.delta != 0)
        .collect()
}

/// When a counted application leaves by its retention (a rejected one's
/// `expiresAt`), and in which status: it stays in its counter until the
/// deletion that a plan makes, so the counts subtract it from its retention
/// on. DynamoDB keeps one small "due" item per such application
/// ([`layout::due_sk`]) for that; SQLite reads its index on status and expiry.
pub fn due(stored: &StoredApplication) -> Option<(Timestamp, Status)> {
    stored.expires_at.filter(|_| counted(stored.status)).map(|at| (at, stored.status))
}

/// The counter changes of an import: one more per imported application's status.
pub fn imported_counts(applications: &[super::Imported]) -> Vec<CountChange> {
    let statuses: Vec<Status> = applications.iter().map(|imported| imported.stored.status).collect();
    count_changes(&[], &statuses)
}

// ---------------------------------------------------------------------------
// Submission

/// The address's reservation as a submission reads it (live only: an
/// expired one is absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// An unverified application holds the address, with its link's token.
    Unverified { application_id: ApplicationId, token: Option<crate::keyed::TokenHash> },
    /// A verified application holds it for good.
    Verified { application_id: ApplicationId },
}

/// What a submission writes.
#[allow(clippy::large_enum_variant)] // one per request, never in a collection
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmissionPlan {
    /// The address has a verified application: keep nothing typed, only a
    /// notice that mails the address (if the reservation is still that one's).
    Notice { application_id: ApplicationId, notice_id: NoticeId, expires_at: Timestamp },
    /// A new application awaiting verification, with its reservation, its
    /// reception number and its token; replacing `supersedes` (and its token)
    /// if the address had an unverified one.
    Application {
        stored: StoredApplication,
        supersedes: Option<Reservation>,
        email_key: EmailKey,
        token: crate::keyed::TokenHash,
    },
}

/// The answer to a submission whose key was used before.
pub fn replay_submission(submission: &Submission, previous: &IdempotencyRecord) -> SubmitOutcome {
    match &previous.response_body {
        Some(body) if previous.request_hash == submission.request_hash => {
            SubmitOutcome::Replayed { response_body: body.clone(), event: previous.submission_event() }
        }
        _ => SubmitOutcome::KeyReused,
    }
}

/// The plan of a new submission, given the address's live reservation.
pub fn submit(submission: &Submission, reservation: Option<Reservation>, now: Timestamp) -> SubmissionPlan {
    match reservation {
        Some(Reservation::Verified { application_id }) => SubmissionPlan::Notice {
            application_id,
            notice_id: submission.notice_id,
            expires_at: now.plus_secs(layout::NOTICE_TTL_SECS),
        },
        unverified => {
            let supersedes = match &unverified {
                Some(Reservation::Unverified { application_id, .. }) => Some(*application_id),
                _ => None,
            };
            SubmissionPlan::Application {
                stored: awaiting(submission, supersedes),
                supersedes: unverified,
                email_key: submission.email_key.clone(),
                token: submission.token_hash.clone(),
            }
        }
    }
}

/// A new application as a submission stores it: awaiting verification
/// until its link expires.
pub fn awaiting(submission: &Submission, supersedes: Option<ApplicationId>) -> StoredApplication {
    StoredApplication {
        receipt: submission.receipt,
        application: submission.application.clone(),
        status: Status::AwaitingVerification,
        version: Version::FIRST,
        verified_at: None,
        expires_at: Some(submission.expires_at),
        supersedes,
        partner_code: None,
        assignee: None,
        mail_problem: false,
    }
}

impl SubmissionPlan {
    /// Its counter changes: a new unverified application and the one it
    /// supersedes (uncounted today, so none; declared so that a store that
    /// applies them needs no change if that status is ever counted).
    pub fn count_changes(&self) -> Vec<CountChange> {
        match self {
            SubmissionPlan::Notice { .. } => Vec::new(),
            SubmissionPlan::Application { stored, supersedes, .. } => {
                let superseded: &[Status] = match supersedes {
                    Some(Reservation::Unverified { .. }) => &[Status::AwaitingVerification],
                    _ => &[],
                };
                count_changes(superseded, &[stored.status])
            }
        }
    }

    /// The idempotency record written with the plan.
    pub fn record(&self, submission: &Submission, now: Timestamp) -> IdempotencyRecord {
        IdempotencyRecord {
            application_id: submission.receipt.application_id,
            request_hash: submission.request_hash.clone(),
            response_status: 202,
            response_body: Some(submission.response_body.clone()),
            notice_id: self.notice_id(),
            expires_at: now.plus_secs(layout::IDEMPOTENCY_TTL_SECS),
        }
    }

    fn notice_id(&self) -> Option<NoticeId> {
        match self {
            SubmissionPlan::Notice { notice_id, .. } => Some(*notice_id),
            SubmissionPlan::Application { .. } => None,
        }
    }

    /// What the client is told once the plan is stored: the event is the
    /// record's, so a replay of this submission hands on the same one.
    pub fn outcome(&self, submission: &Submission) -> SubmitOutcome {
        let event = submission_event(submission.receipt.application_id, self.notice_id());
        SubmitOutcome::Created { response_body: submission.response_body.clone(), event }
    }
}

// ---------------------------------------------------------------------------
// Confirmation

/// What a confirmation writes: the application moved by
/// [`Transition::Confirm`] (if it is still `before`), its reservations made
/// permanent, and its token marked used until `token_expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPlan {
    pub before: StoredApplication,
    pub after: StoredApplication,
    pub at: Timestamp,
    pub token_expires_at: Timestamp,
}

/// The plan of a confirmation, given what the token stands for now.
#[allow(clippy::result_large_err)] // one per request: the answer is the outcome itself
pub fn confirm(state: TokenState, now: Timestamp) -> Result<ConfirmPlan, ConfirmOutcome> {
    let before = match state {
        TokenState::NotFound => return Err(ConfirmOutcome::NotFound),
        TokenState::Expired => return Err(ConfirmOutcome::Expired),
        TokenState::Confirmed(stored) => return Err(ConfirmOutcome::AlreadyConfirmed(stored)),
        TokenState::Pending(stored) => stored,
    };
    let Ok(to) = Transition::Confirm.apply(before.status) else {
        return Err(ConfirmOutcome::NotFound);
    };
    let after = StoredApplication {
        status: to,
        version: before.version.next(),
        verified_at: Some(now),
        // A verified application is kept until a decision sets its retention.
        expires_at: None,
        ..before.clone()
    };
    Ok(ConfirmPlan {
        before,
        after,
        at: now,
        token_expires_at: now.plus_secs(layout::CONFIRMED_TOKEN_TTL_SECS),
    })
}

impl ConfirmPlan {
    pub fn from(&self) -> &'static [Status] {
        Transition::Confirm.from()
    }

    /// Its counter changes: out of `before`'s status, into `after`'s.
    pub fn count_changes(&self) -> Vec<CountChange> {
        count_changes(&[self.before.status], &[self.after.status])
    }
}

// ---------------------------------------------------------------------------
// Decision

/// What a decision reads: this key's live record and the live application.
#[derive(Debug, Clone, Default)]
pub struct DecisionRead {
    pub previous: Option<IdempotencyRecord>,
    pub application: Option<StoredApplication>,
}

/// What a decision writes, all or nothing: the application moved from
/// `before` (its version, and a status in `from`) to `after`; the history
/// entry of the new version (which must not exist); the partner code's claim
/// (which must be free); with a retention, the address's reservation and
/// every history entry set to expire with the application; the idempotency
/// record and the audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionPlan {
    pub before: StoredApplication,
    pub after: StoredApplication,
    pub from: &'static [Status],
    pub at: Timestamp,
    pub entry: HistoryEntry,
    pub partner_code: Option<PartnerCode>,
    pub retain_until: Option<Timestamp>,
    /// A request for documents: its link's record, named by the new version.
    pub document_request: Option<(crate::keyed::TokenHash, DocumentRequest)>,
    pub record: IdempotencyRecord,
    pub audit: AuditEntry,
}

/// The rules of a decision: replay, not found, version, transition; then the plan.
#[allow(clippy::result_large_err)] // one per request: the answer is the outcome itself
pub fn decide(request: &DecisionWrite, read: DecisionRead) -> Result<DecisionPlan, DecideOutcome> {
    let id = request.application_id;
    if let Some(previous) = read.previous {
        if previous.request_hash != request.request_hash || previous.application_id != id {
            return Err(DecideOutcome::KeyReused);
        }
        return Err(read.application.map_or(DecideOutcome::NotFound, DecideOutcome::Replayed));
    }
    let Some(before) = read.application else { return Err(DecideOutcome::NotFound) };
    if before.version != request.expected_version {
        return Err(DecideOutcome::VersionConflict(before));
    }
    let transition = request.decision.transition();
    let Ok(to) = transition.apply(before.status) else {
        return Err(DecideOutcome::InvalidTransition(before));
    };
    let after = StoredApplication {
        status: to,
        version: before.version.next(),
        partner_code: request.partner_code.or(before.partner_code),
        expires_at: request.retain_until.or(before.expires_at),
        ..before.clone()
    };
    let entry = HistoryEntry {
        version: after.version,
        at: request.at,
        actor: request.actor.clone(),
        action: HistoryAction::from(request.decision),
        from_status: Some(before.status),
        to_status: Some(to),
        message: request.message.clone(),
        reason: None,
        files: None,
        fields: None,
    };
    let document_request = request.document_request.as_ref().map(|write| {
        let request =
            DocumentRequest { application_id: id, version: after.version, expires_at: write.expires_at };
        (write.token.clone(), request)
    });
    let record = IdempotencyRecord::of_change(id, &request.request_hash, request.at);
    Ok(DecisionPlan {
        before,
        after,
        from: transition.from(),
        at: request.at,
        entry,
        partner_code: request.partner_code,
        retain_until: request.retain_until,
        document_request,
        record,
        audit: request.audit.clone(),
    })
}

impl DecisionPlan {
    pub fn outcome(&self) -> DecideOutcome {
        DecideOutcome::Decided(self.after.clone())
    }

    /// Its counter changes: out of `before`'s status, into `after`'s.
    pub fn count_changes(&self) -> Vec<CountChange> {
        count_changes(&[self.before.status], &[self.after.status])
    }
}

// ---------------------------------------------------------------------------
// Correction

/// What a correction reads: this key's live record, the live application,
/// and whether a tombstone stands in its place.
#[derive(Debug, Clone, Default)]
pub struct CorrectionRead {
    pub previous: Option<IdempotencyRecord>,
    pub application: Option<StoredApplication>,
    pub erased: bool,
}

/// What a correction writes, all or nothing: the application's fields (and
/// what follows from them: the search text, the phone's index key) from
/// `after`, if it is still at `before`'s version and status; the history
/// entry of the new version, naming the changed keys (expiring with the
/// application, if it has a retention); the idempotency record and the audit
/// entry. No status, so no counter, moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionPlan {
    pub before: StoredApplication,
    pub after: StoredApplication,
    pub at: Timestamp,
    pub entry: HistoryEntry,
    pub record: IdempotencyRecord,
    pub audit: AuditEntry,
}

/// The rules of a correction: replay, not found, erased, not verified,
/// version, the form's rules, a real change; then the plan.
#[allow(clippy::result_large_err)] // one per request: the answer is the outcome itself
pub fn correct(request: &CorrectionWrite, read: CorrectionRead) -> Result<CorrectionPlan, CorrectOutcome> {
    let id = request.application_id;
    if let Some(previous) = read.previous {
        if previous.request_hash != request.request_hash || previous.application_id != id {
            return Err(CorrectOutcome::KeyReused);
        }
        return Err(read.application.map_or(CorrectOutcome::NotFound, CorrectOutcome::Replayed));
    }
    if read.erased {
        return Err(CorrectOutcome::Erased);
    }
    let Some(before) = read.application else { return Err(CorrectOutcome::NotFound) };
    if !before.status.is_verified() {
        return Err(CorrectOutcome::NotVerified);
    }
    if before.version != request.expected_version {
        return Err(CorrectOutcome::VersionConflict(before));
    }
    let (validated, fields) = request.changes.apply(&before.application).map_err(CorrectOutcome::Invalid)?;
    if fields.is_empty() {
        return Err(CorrectOutcome::Unchanged);
    }
    let after = StoredApplication {
        application: validated.application,
        version: before.version.next(),
        ..before.clone()
    };
    let entry = HistoryEntry {
        version: after.version,
        at: request.at,
        actor: request.actor.clone(),
        action: HistoryAction::Correct,
        from_status: None,
        to_status: None,
        message: None,
        reason: Some(HistoryReason::Correction(request.reason)),
        files: None,
        fields: Some(fields),
    };
    let record = IdempotencyRecord::of_change(id, &request.request_hash, request.at);
    Ok(CorrectionPlan { before, after, at: request.at, entry, record, audit: request.audit.clone() })
}

impl CorrectionPlan {
    pub fn outcome(&self) -> CorrectOutcome {
        CorrectOutcome::Corrected(self.after.clone())
    }

    /// The only status it may find (and leaves): the one it read.
    pub fn from(&self) -> &[Status] {
        std::slice::from_ref(&self.before.status)
    }
}

// ---------------------------------------------------------------------------
// Erasure

/// What an erasure reads of the application.
#[derive(Debug, Clone, Default)]
pub struct ErasureRead {
    pub application: Option<StoredApplication>,
    pub tombstone: Option<ErasedApplication>,
    /// The versions of its live history entries.
    pub history: Vec<Version>,
    /// The notices made for its address (submissions after it was verified).
    pub notices: Vec<NoticeId>,
    /// Its documents (every upload target issued, submitted or not).
    pub documents: Vec<DocumentId>,
    /// Its notes.
    pub notes: Vec<crate::domain::NoteId>,
    /// Its mail records.
    pub mails: Vec<crate::domain::MailId>,
}

/// What an erasure writes, all or nothing: the tombstone in place of the
/// application (if it is still at `before`'s version); the erasure's history
/// entry; the message of every earlier entry removed; the address's
/// reservation, the token and the address's notices deleted; the audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasurePlan {
    pub before: StoredApplication,
    pub tombstone: ErasedApplication,
    pub entry: HistoryEntry,
    pub clear_messages: Vec<Version>,
    pub token: crate::keyed::TokenHash,
    pub notices: Vec<NoticeId>,
    /// The document records deleted (the files go by the caller, from storage).
    pub documents: Vec<DocumentId>,
    /// The notes deleted (operators' words about the applicant).
    pub notes: Vec<crate::domain::NoteId>,
    /// The mail records deleted (when and how each mail reached the applicant).
    pub mails: Vec<crate::domain::MailId>,
    pub audit: AuditEntry,
}

/// The rules of an erasure.
#[allow(clippy::result_large_err)] // one per request: the answer is the outcome itself
pub fn erase(request: &Erasure, read: ErasureRead) -> Result<ErasurePlan, EraseOutcome> {
    if let Some(tombstone) = read.tombstone {
        return Err(EraseOutcome::AlreadyErased(tombstone));
    }
    let Some(before) = read.application else { return Err(EraseOutcome::NotFound) };
    let tombstone = ErasedApplication {
        application_id: request.application_id,
        reception_number: before.receipt.reception_number,
        received_at: before.receipt.received_at,
        verified_at: before.verified_at,
        status: before.status,
        version: before.version.next(),
        erased_at: request.at,
    };
    let entry = HistoryEntry {
        version: before.version.next(),
        at: request.at,
        actor: request.actor.clone(),
        action: HistoryAction::Erase,
        from_status: Some(before.status),
        to_status: None,
        message: None,
        reason: Some(HistoryReason::Erasure(request.reason)),
        files: None,
        fields: None,
    };
    let mut clear_messages = read.history;
    clear_messages.retain(|version| *version < entry.version);
    clear_messages.sort_unstable();
    Ok(ErasurePlan {
        before,
        tombstone,
        entry,
        clear_messages,
        token: request.token_hash.clone(),
        notices: read.notices,
        documents: read.documents,
        notes: read.notes,
        mails: read.mails,
        audit: request.audit.clone(),
    })
}

impl ErasurePlan {
    pub fn outcome(&self) -> EraseOutcome {
        EraseOutcome::Erased(self.tombstone.clone())
    }

    /// Its counter changes: the application leaves its status (a tombstone has none).
    pub fn count_changes(&self) -> Vec<CountChange> {
        count_changes(&[self.before.status], &[])
    }
}

// ---------------------------------------------------------------------------
// Notes and assignment (the desk)

/// The rules of a note: only on a live application (the caller read it,
/// strongly consistent); the version and the status are not read, so a
/// note never conflicts with a decision. The note is what is written.
pub fn note(write: &NoteWrite, application: Option<&StoredApplication>) -> Result<Note, NoteOutcome> {
    match application {
        Some(stored) if stored.id() == write.note.application_id => Ok(write.note.clone()),
        Some(_) | None => Err(NoteOutcome::NotFound),
    }
}

/// The rules of an assignment: only on a live application; the version is
/// not read and not written. The answer is the assignee written.
pub fn assign(
    assignment: &Assignment,
    application: Option<&StoredApplication>,
) -> Result<AssignOutcome, AssignOutcome> {
    match application {
        Some(stored) if stored.id() == assignment.application_id => {
            Ok(AssignOutcome::Assigned(assignment.assignee.clone()))
        }
        Some(_) | None => Err(AssignOutcome::NotFound),
    }
}

// ---------------------------------------------------------------------------
// Mail delivery status

/// Whether a mail about `subject` is tracked, and under which record: every
/// mail about a verified application (the operators see only those, and
/// their record lives as long as the application does). Not a verification
/// link: its application may never be verified, and expires unseen.
pub fn tracking(
    subject: MailSubject,
    kind: MailKind,
    application: &StoredApplication,
) -> Option<crate::mail::Tracking> {
    application.status.is_verified().then(|| crate::mail::Tracking {
        application_id: application.id(),
        mail_id: crate::domain::MailId::of(subject, kind),
    })
}

/// The record written beside the marker of a tracked mail just sent as
/// `message_id`: `sent`, going when its application goes.
pub fn sent_mail(
    tracking: &crate::mail::Tracking,
    kind: MailKind,
    application: &StoredApplication,
    message_id: String,
) -> SentMail {
    SentMail {
        record: crate::domain::MailRecord::sent(
            tracking.application_id,
            tracking.mail_id.clone(),
            kind,
            message_id,
        ),
        expires_at: application.expires_at,
    }
}

/// What a provider's event changes. The record is found by the tags the mail
/// carried; it moves only to a later status, and only for the message it
/// was sent as (a resent mail's record names the new message). An
/// applicant's mail that failed flags the application for the list.
pub fn delivery(report: &DeliveryReport) -> DeliveryUpdate {
    let to_applicant = report.mail_id.kind().is_some_and(|kind| !kind.to_operators());
    DeliveryUpdate {
        application_id: report.application_id,
        mail_id: report.mail_id.clone(),
        message_id: report.message_id.clone(),
        status: report.status,
        reason: report.reason,
        at: report.at,
        flags_problem: to_applicant && report.status.is_problem(),
    }
}

/// The mails an imported (verified) application has had: its link and its
/// two confirmation mails, so nothing is owed and nothing goes out.
pub fn imported_mails(stored: &StoredApplication) -> Vec<MailKind> {
    [MailEvent::Submitted(stored.id()), MailEvent::Confirmed(stored.id())]
        .iter()
        .flat_map(|event| event.kinds().iter().copied())
        .collect()
}

// ---------------------------------------------------------------------------
// Retention

/// What a retirement found under a due entry's application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetireRead {
    /// The application item (read whatever its expiry).
    Application(Box<StoredApplication>),
    /// An erased application's tombstone: the erasure moved the counters.
    Tombstone,
    /// Nothing: TTL deleted it first (AWS), which no counter saw.
    Gone,
}

/// What a retirement writes, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetirePlan {
    /// The application and every record under it deleted (if still at
    /// `before`'s version), its entry deleted, its counter moved.
    Application { before: Box<StoredApplication>, due: super::retention::Due },
    /// Its entry deleted and its counter moved: the application went by TTL.
    Orphan(super::retention::Due),
    /// Its entry deleted alone: the application is no longer what the entry
    /// says (erased, or kept on), and the counters already agree.
    Stale(super::retention::Due),
}

/// The rules of a retirement: only once the entry's time has passed; the
/// application must still be the one the entry was made for (its status and
/// its end), or the entry alone goes.
pub fn retire(
    due: &super::retention::Due,
    read: RetireRead,
    now: Timestamp,
) -> Result<RetirePlan, super::retention::RetireOutcome> {
    if due.at >= now {
        return Err(super::retention::RetireOutcome::NotDue);
    }
    Ok(match read {
        RetireRead::Application(stored)
            if stored.status == due.status && stored.expires_at == Some(due.at) =>
        {
            RetirePlan::Application { before: stored, due: *due }
        }
        RetireRead::Application(_) | RetireRead::Tombstone => RetirePlan::Stale(*due),
        RetireRead::Gone => RetirePlan::Orphan(*due),
    })
}

impl RetirePlan {
    pub fn due(&self) -> &super::retention::Due {
        match self {
            RetirePlan::Application { due, .. } | RetirePlan::Orphan(due) | RetirePlan::Stale(due) => due,
        }
    }

    /// Its counter changes: the application leaves its status, unless an
    /// erasure already took it out.
    pub fn count_changes(&self) -> Vec<CountChange> {
        match self {
            RetirePlan::Application { before, .. } => count_changes(&[before.status], &[]),
            RetirePlan::Orphan(due) => count_changes(&[due.status], &[]),
            RetirePlan::Stale(_) => Vec::new(),
        }
    }
}

/// Whether an application nobody decided is past its retention: verified,
/// still waiting for a decision (a status some transition leaves), and
/// unchanged `days` after `last_change`. Never when `days` is 0.
pub fn undecided_due(stored: &StoredApplication, last_change: Timestamp, now: Timestamp, days: u32) -> bool {
    days > 0
        && stored.status.is_verified()
        && !stored.status.is_final()
        && last_change.plus_secs(i64::from(days) * 86_400) < now
}

// ---------------------------------------------------------------------------
// Documents

/// What a documents link stands for, from what a store read: the request its
/// token names, its application (live), the application's history and the
/// documents stored for it.
pub fn request_state(
    request: Option<DocumentRequest>,
    application: Option<StoredApplication>,
    history: &[HistoryEntry],
    documents: Vec<Document>,
    now: Timestamp,
) -> RequestState {
    let (Some(request), Some(application)) = (request, application) else { return RequestState::NotFound };
    let latest =
        history.iter().filter(|e| e.action == HistoryAction::RequestDocuments).max_by_key(|e| e.version);
    if application.id() != request.application_id || latest.map(|e| e.version) != Some(request.version) {
        // A later request's link replaced this one.
        return RequestState::NotFound;
    }
    if request.expires_at < now {
        return RequestState::Expired;
    }
    let mut documents: Vec<Document> =
        documents.into_iter().filter(|d| d.request_version == request.version).collect();
    documents.sort_by_key(|d| d.document_id);
    let message = latest.and_then(|e| e.message.clone());
    RequestState::Open(OpenRequest { application, request, message, documents })
}

/// The document an upload target is issued for, or why not.
pub fn upload(
    state: RequestState,
    file_name: FileName,
    content_type: DocumentType,
    size: u64,
    limits: &DocumentLimits,
    now: Timestamp,
) -> Result<Document, UploadRefusal> {
    let open = match state {
        RequestState::Open(open) => open,
        RequestState::Expired => return Err(UploadRefusal::Expired),
        RequestState::NotFound => return Err(UploadRefusal::NotFound),
    };
    if open.application.status != Status::DocumentsRequested {
        return Err(UploadRefusal::NotWaiting);
    }
    if size == 0 {
        return Err(UploadRefusal::Empty);
    }
    if size > limits.max_file_bytes {
        return Err(UploadRefusal::TooLarge);
    }
    if open.documents.len() >= limits.max_uploads() {
        return Err(UploadRefusal::TooMany);
    }
    Ok(Document {
        document_id: DocumentId::new(),
        application_id: open.application.id(),
        request_version: open.request.version,
        file_name,
        content_type,
        size,
        uploaded_at: now,
        submitted_at: None,
    })
}

/// The documents a submission chose, in its order (an id named twice counts
/// once), or why they cannot be submitted.
pub fn select(
    open: &OpenRequest,
    ids: &[DocumentId],
    limits: &DocumentLimits,
) -> Result<Vec<Document>, Refusal> {
    let mut chosen: Vec<Document> = Vec::with_capacity(ids.len());
    for id in ids {
        if chosen.iter().any(|d| d.document_id == *id) {
            continue;
        }
        let document = open.documents.iter().find(|d| d.document_id == *id).ok_or(Refusal::Unknown(*id))?;
        chosen.push(document.clone());
    }
    if chosen.is_empty() || chosen.len() > limits.max_files {
        return Err(Refusal::Count);
    }
    if chosen.iter().map(|d| d.size).sum::<u64>() > limits.max_total_bytes {
        return Err(Refusal::TotalSize);
    }
    Ok(chosen)
}

/// What a submission of documents writes, all or nothing: the application
/// moved from `before` (its version, and `documents_requested`) to `after`;
/// the history entry of the new version; the chosen documents marked
/// submitted; the idempotency record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentsPlan {
    pub before: StoredApplication,
    pub after: StoredApplication,
    pub from: &'static [Status],
    pub entry: HistoryEntry,
    pub documents: Vec<Document>,
    pub record: IdempotencyRecord,
}

/// The rules of a submission: replay, the link, the status, the choice; then the plan.
#[allow(clippy::result_large_err)] // one per request: the answer is the outcome itself
pub fn submit_documents(
    request: &DocumentsSubmission,
    previous: Option<IdempotencyRecord>,
    state: RequestState,
) -> Result<DocumentsPlan, SubmitDocumentsOutcome> {
    let open = match state {
        RequestState::Open(open) => open,
        RequestState::Expired => return Err(SubmitDocumentsOutcome::Expired),
        RequestState::NotFound => return Err(SubmitDocumentsOutcome::NotFound),
    };
    if let Some(previous) = previous {
        if previous.request_hash != request.request_hash || previous.application_id != open.application.id() {
            return Err(SubmitDocumentsOutcome::KeyReused);
        }
        let submitted = open.submitted();
        return Err(SubmitDocumentsOutcome::Replayed(open.application, submitted));
    }
    let transition = Transition::SubmitDocuments;
    let Ok(to) = transition.apply(open.application.status) else {
        return Err(SubmitDocumentsOutcome::NotWaiting(open.application));
    };
    if open.application.version != open.request.version {
        // Only the request's own version waits for its documents.
        return Err(SubmitDocumentsOutcome::NotWaiting(open.application));
    }
    let chosen =
        select(&open, &request.document_ids, &request.limits).map_err(SubmitDocumentsOutcome::Refused)?;
    let before = open.application;
    let after = StoredApplication { status: to, version: before.version.next(), ..before.clone() };
    let entry = HistoryEntry {
        version: after.version,
        at: request.at,
        actor: crate::domain::Actor::applicant(),
        action: HistoryAction::SubmitDocuments,
        from_status: Some(before.status),
        to_status: Some(to),
        message: None,
        reason: None,
        files: Some(u32::try_from(chosen.len()).unwrap_or(u32::MAX)),
        fields: None,
    };
    let documents =
        chosen.into_iter().map(|document| Document { submitted_at: Some(request.at), ..document }).collect();
    let record = IdempotencyRecord::of_change(before.id(), &request.request_hash, request.at);
    Ok(DocumentsPlan { before, after, from: transition.from(), entry, documents, record })
}

/// Whether an application's files are past `DOCUMENT_RETENTION_DAYS`: its
/// review is complete (a final status) and its last change, the final
/// decision, was more than `days` ago. Never when `days` is 0 (kept until erased).
pub fn documents_due(stored: &StoredApplication, decided_at: Timestamp, now: Timestamp, days: u32) -> bool {
    days > 0 && stored.status.is_final() && decided_at.plus_secs(i64::from(days) * 86_400) < now
}

impl DocumentsPlan {
    pub fn outcome(&self) -> SubmitDocumentsOutcome {
        SubmitDocumentsOutcome::Submitted(self.after.clone(), self.documents.clone())
    }

    /// Its counter changes: out of `documents_requested`, into `documents_submitted`.
    pub fn count_changes(&self) -> Vec<CountChange> {
        count_changes(&[self.before.status], &[self.after.status])
    }
}

// ---------------------------------------------------------------------------
// Mails still owed

/// One kept record as the owed-mail rule sees it, whichever store read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailRecord {
    Application {
        id: ApplicationId,
        status: Status,
        expired: bool,
        sent: Vec<MailKind>,
    },
    Notice {
        id: NoticeId,
        expired: bool,
        sent: bool,
    },
    /// A history entry (with its application still alive).
    History {
        id: ApplicationId,
        version: Version,
        action: HistoryAction,
        expired: bool,
        sent: bool,
    },
}

/// The mail event whose mails a record may still owe (an unverified
/// application without its link mail, a confirmed one without its two mails,
/// a notice without its mail, a decision without its result): what a
/// restarted local server delivers. Delivery sends each mail at most once, so
/// an event owed only in part is safe to deliver again.
pub fn owed(record: &MailRecord) -> Option<MailEvent> {
    let event = match record {
        MailRecord::Application { expired: true, .. }
        | MailRecord::Notice { expired: true, .. }
        | MailRecord::History { expired: true, .. } => return None,
        MailRecord::Application { id, status: Status::AwaitingVerification, .. } => MailEvent::Submitted(*id),
        MailRecord::Application { id, .. } => MailEvent::Confirmed(*id),
        MailRecord::Notice { sent: true, .. } | MailRecord::History { sent: true, .. } => return None,
        MailRecord::Notice { id, .. } => MailEvent::AlreadyReceived(*id),
        MailRecord::History { action, .. } if action.mails().is_empty() => return None,
        MailRecord::History { id, version, action, .. } => MailEvent::Recorded(*id, *version, *action),
    };
    let unsent = match record {
        MailRecord::Application { sent, .. } => event.kinds().iter().any(|kind| !sent.contains(kind)),
        MailRecord::Notice { .. } | MailRecord::History { .. } => true,
    };
    unsent.then_some(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, AuditAction, Decision, IdempotencyKey, OperatorMessage};

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn mails_about_a_verified_application_are_tracked_and_a_link_is_not() {
        let verified = stored(Status::Received, 2);
        let about = MailSubject::Application(verified.id());
        let tracked = super::tracking(about, MailKind::Acknowledgement, &verified).expect("tracked");
        assert_eq!((tracked.application_id, tracked.mail_id.as_str()), (verified.id(), "acknowledgement"));
        let unverified = stored(Status::AwaitingVerification, 1);
        assert_eq!(super::tracking(about, MailKind::Verification, &unverified), None);
        // A failure flags the application only for the applicant's mails.
        let report = |mail: &str| crate::domain::DeliveryReport {
            application_id: verified.id(),
            mail_id: crate::domain::MailId::parse(mail).unwrap(),
            message_id: "m".into(),
            status: crate::domain::DeliveryStatus::Bounced,
            reason: None,
            at: Timestamp::now(),
        };
        assert!(delivery(&report("acknowledgement")).flags_problem);
        assert!(!delivery(&report("operator-notice")).flags_problem);
        let delivered = crate::domain::DeliveryReport {
            status: crate::domain::DeliveryStatus::Delivered,
            ..report("acknowledgement")
        };
        assert!(!delivery(&delivered).flags_problem);
    }

    fn stored(status: Status, version: u32) -> StoredApplication {
        let mut stored = test_support_stored();
        stored.status = status;
        stored.version = Version::from_number(version).unwrap();
        stored
    }

    /// A minimal valid application, built through the real parser.
    fn test_support_stored() -> StoredApplication {
        use serde::Deserialize;
        let value = test_support::seed_application();
        let raw = crate::domain::RawApplication::deserialize(&value).unwrap();
        let application = crate::domain::Application::parse(&raw).unwrap().application;
        let received = at("2026-12-01T10:00:00+09:00");
        StoredApplication {
            receipt: crate::domain::Receipt::issue(received.time()),
            application,
            status: Status::Received,
            version: Version::FIRST,
            verified_at: Some(received),
            expires_at: None,
            supersedes: None,
            partner_code: None,
            assignee: None,
            mail_problem: false,
        }
    }

    fn decision(stored: &StoredApplication, decision: Decision, expected: Version) -> DecisionWrite {
        let now = at("2026-12-02T10:00:00+09:00");
        let actor = Actor::parse("op@example.com").unwrap();
        DecisionWrite {
            application_id: stored.id(),
            decision,
            expected_version: expected,
            message: OperatorMessage::parse("ok").ok(),
            actor: actor.clone(),
            at: now,
            idempotency_key: IdempotencyKey::parse("decision-key-0001").unwrap(),
            request_hash: crate::keyed::IdentifierKey::for_tests().request_hash(b"request"),
            partner_code: None,
            retain_until: None,
            document_request: None,
            audit: AuditEntry::now(actor, AuditAction::Approve, Some(stored.id())),
        }
    }

    #[test]
    fn a_decision_is_refused_in_the_contracts_order() {
        let current = stored(Status::Received, 2);
        let request = decision(&current, Decision::Approve, Version::FIRST);
        let read = |app: Option<StoredApplication>| DecisionRead { previous: None, application: app };
        assert_eq!(decide(&request, read(None)).unwrap_err(), DecideOutcome::NotFound);
        assert_eq!(
            decide(&request, read(Some(current.clone()))).unwrap_err(),
            DecideOutcome::VersionConflict(current.clone())
        );
        let approved = stored(Status::Approved, 2);
        let request = decision(&approved, Decision::Reject, approved.version);
        assert_eq!(
            decide(&request, read(Some(approved.clone()))).unwrap_err(),
            DecideOutcome::InvalidTransition(approved)
        );
    }

    #[test]
    fn a_replay_answers_the_application_and_another_request_is_refused() {
        let current = stored(Status::Approved, 3);
        let request = decision(&current, Decision::Approve, Version::FIRST.next());
        let mut record = IdempotencyRecord {
            application_id: current.id(),
            request_hash: request.request_hash.clone(),
            response_status: 200,
            response_body: None,
            notice_id: None,
            expires_at: request.at,
        };
        let read = |record: &IdempotencyRecord| DecisionRead {
            previous: Some(record.clone()),
            application: Some(current.clone()),
        };
        assert_eq!(decide(&request, read(&record)).unwrap_err(), DecideOutcome::Replayed(current.clone()));
        record.request_hash = crate::keyed::IdentifierKey::for_tests().request_hash(b"another");
        assert_eq!(decide(&request, read(&record)).unwrap_err(), DecideOutcome::KeyReused);
    }

    #[test]
    fn a_decision_plans_the_next_version_its_entry_and_its_record() {
        let current = stored(Status::Received, 2);
        let mut request = decision(&current, Decision::Reject, current.version);
        let until = at("2027-06-01T00:00:00+09:00");
        request.retain_until = Some(until);
        let plan =
            decide(&request, DecisionRead { previous: None, application: Some(current.clone()) }).unwrap();
        assert_eq!(plan.after.status, Status::Rejected);
        assert_eq!(plan.after.version, current.version.next());
        assert_eq!(plan.after.expires_at, Some(until));
        assert_eq!(plan.entry.version, plan.after.version);
        assert_eq!(plan.entry.from_status, Some(Status::Received));
        assert_eq!(plan.record.application_id, current.id());
        assert_eq!(plan.record.response_body, None);
        assert_eq!(plan.from, Decision::Reject.transition().from());
    }

    #[test]
    fn an_erasure_clears_earlier_messages_and_deletes_the_notices() {
        let current = stored(Status::Rejected, 3);
        let actor = Actor::parse("op@example.com").unwrap();
        let request = Erasure {
            application_id: current.id(),
            actor: actor.clone(),
            reason: crate::domain::ErasureReason::ApplicantRequest,
            at: at("2026-12-03T10:00:00+09:00"),
            token_hash: crate::keyed::TokenHash::parse(&"ab".repeat(32)).unwrap(),
            audit: AuditEntry::now(actor, AuditAction::Erase, Some(current.id())),
        };
        let notice = NoticeId::default();
        let v = |n: u32| Version::from_number(n).unwrap();
        let read = ErasureRead {
            application: Some(current.clone()),
            tombstone: None,
            history: vec![v(3), v(2), v(4)],
            notices: vec![notice],
            documents: vec![DocumentId::new()],
            notes: vec![crate::domain::NoteId::new()],
            mails: vec![crate::domain::MailId::parse("acknowledgement").unwrap()],
        };
        let documents = read.documents.clone();
        let notes = read.notes.clone();
        let plan = erase(&request, read).unwrap();
        assert_eq!(plan.documents, documents, "the document records go with it");
        assert_eq!(plan.notes, notes, "and the notes");
        assert_eq!(plan.clear_messages, [v(2), v(3)], "not a racing entry of the erasure's own version");
        assert_eq!(plan.notices, [notice]);
        assert_eq!(plan.tombstone.version, v(4));
        assert_eq!(plan.entry.action, HistoryAction::Erase);
        let erased = plan.tombstone.clone();
        let again = ErasureRead { tombstone: Some(erased.clone()), ..ErasureRead::default() };
        assert_eq!(erase(&request, again).unwrap_err(), EraseOutcome::AlreadyErased(erased));
        assert_eq!(erase(&request, ErasureRead::default()).unwrap_err(), EraseOutcome::NotFound);
    }

    #[test]
    fn a_note_and_an_assignment_need_the_live_application_and_nothing_of_its_version() {
        let current = stored(Status::Received, 4);
        let actor = Actor::parse("op@example.com").unwrap();
        let note = crate::domain::Note {
            note_id: crate::domain::NoteId::new(),
            application_id: current.id(),
            at: at("2026-12-02T10:00:00+09:00"),
            actor: actor.clone(),
            text: crate::domain::NoteText::parse("確認中").unwrap(),
        };
        let write =
            NoteWrite { note: note.clone(), audit: AuditEntry::now(actor.clone(), AuditAction::Note, None) };
        assert_eq!(super::note(&write, Some(&current)), Ok(note));
        assert_eq!(super::note(&write, None), Err(NoteOutcome::NotFound));
        let other = test_support_stored();
        assert_eq!(super::note(&write, Some(&other)), Err(NoteOutcome::NotFound));
        let assignment = Assignment {
            application_id: current.id(),
            assignee: Some(actor.clone()),
            audit: AuditEntry::now(actor.clone(), AuditAction::Assign, None),
        };
        assert_eq!(assign(&assignment, Some(&current)), Ok(AssignOutcome::Assigned(Some(actor))));
        assert_eq!(assign(&assignment, None), Err(AssignOutcome::NotFound));
    }

    #[test]
    fn each_plan_declares_its_count_changes() {
        let change = |status, delta| CountChange { status, delta };
        // Confirmation: into `received` (the unverified status is not counted).
        let pending = stored(Status::AwaitingVerification, 1);
        let confirmed = confirm(TokenState::Pending(pending), at("2026-12-02T10:00:00+09:00")).unwrap();
        assert_eq!(confirmed.count_changes(), [change(Status::Received, 1)]);
        // Decision: out of one status, into another.
        let current = stored(Status::Received, 2);
        let request = decision(&current, Decision::Approve, current.version);
        let read = DecisionRead { previous: None, application: Some(current.clone()) };
        let approved = decide(&request, read).unwrap();
        assert_eq!(approved.count_changes(), [change(Status::Received, -1), change(Status::Approved, 1)]);
        // A move within one status changes nothing; an import counts each.
        assert_eq!(count_changes(&[Status::Received], &[Status::Received]), []);
        assert_eq!(count_changes(&[Status::AwaitingVerification], &[]), []);
        // Only a counted application with an expiry is due.
        let mut rejected = stored(Status::Rejected, 3);
        assert_eq!(due(&rejected), None);
        rejected.expires_at = Some(at("2027-06-01T00:00:00+09:00"));
        assert_eq!(due(&rejected), Some((at("2027-06-01T00:00:00+09:00"), Status::Rejected)));
        let mut unverified = stored(Status::AwaitingVerification, 1);
        unverified.expires_at = rejected.expires_at;
        assert_eq!(due(&unverified), None);
    }

    fn correction(stored: &StoredApplication, changes: serde_json::Value) -> CorrectionWrite {
        let actor = Actor::parse("op@example.com").unwrap();
        CorrectionWrite {
            application_id: stored.id(),
            expected_version: stored.version,
            reason: crate::domain::CorrectionReason::OperatorFix,
            changes: crate::domain::Changes::decode(&changes).unwrap(),
            actor: actor.clone(),
            at: at("2026-12-02T10:00:00+09:00"),
            idempotency_key: IdempotencyKey::parse("correction-key-0001").unwrap(),
            request_hash: crate::keyed::IdentifierKey::for_tests().request_hash(b"correction"),
            audit: AuditEntry::now(actor, AuditAction::Correct, Some(stored.id())),
        }
    }

    #[test]
    fn a_correction_is_refused_in_the_contracts_order_and_plans_the_next_version() {
        let current = stored(Status::Approved, 3);
        let street = serde_json::json!({ "addressStreet": "梅田1-2-3" });
        let read = |application: Option<StoredApplication>, erased| CorrectionRead {
            previous: None,
            application,
            erased,
        };
        let request = correction(&current, street.clone());
        assert_eq!(correct(&request, read(None, false)).unwrap_err(), CorrectOutcome::NotFound);
        assert_eq!(correct(&request, read(None, true)).unwrap_err(), CorrectOutcome::Erased);
        let waiting = stored(Status::AwaitingVerification, 3);
        assert_eq!(correct(&request, read(Some(waiting), false)).unwrap_err(), CorrectOutcome::NotVerified);
        let moved = stored(Status::Approved, 4);
        assert_eq!(
            correct(&request, read(Some(moved.clone()), false)).unwrap_err(),
            CorrectOutcome::VersionConflict(moved)
        );
        let same = correction(&current, serde_json::json!({ "phone": "0662928811" }));
        assert_eq!(
            correct(&same, read(Some(current.clone()), false)).unwrap_err(),
            CorrectOutcome::Unchanged
        );
        let bad = correction(&current, serde_json::json!({ "postalCode": "1" }));
        assert!(matches!(correct(&bad, read(Some(current.clone()), false)), Err(CorrectOutcome::Invalid(_))));

        let plan = correct(&request, read(Some(current.clone()), false)).unwrap();
        assert_eq!((plan.after.status, plan.after.version), (Status::Approved, current.version.next()));
        assert_eq!(plan.after.partner_code, current.partner_code);
        assert_eq!(plan.from(), [Status::Approved]);
        assert_eq!(plan.entry.version, plan.after.version);
        assert_eq!(plan.entry.fields, Some(vec![crate::domain::Field::AddressStreet]));
        assert_eq!((plan.entry.from_status, plan.entry.to_status), (None, None));
        assert_eq!((plan.record.response_status, plan.record.response_body.clone()), (200, None));
        let mut record = plan.record.clone();
        let replay = CorrectionRead {
            previous: Some(record.clone()),
            application: Some(current.clone()),
            erased: false,
        };
        assert_eq!(correct(&request, replay).unwrap_err(), CorrectOutcome::Replayed(current.clone()));
        record.request_hash = crate::keyed::IdentifierKey::for_tests().request_hash(b"another");
        let reused = CorrectionRead { previous: Some(record), application: Some(current), erased: false };
        assert_eq!(correct(&request, reused).unwrap_err(), CorrectOutcome::KeyReused);
    }

    #[test]
    fn documents_go_their_retention_after_the_final_decision() {
        let now = at("2026-12-06T12:00:00+09:00");
        let decided = at("2026-09-01T12:00:00+09:00"); // 96 days before
        assert!(documents_due(&stored(Status::Approved, 4), decided, now, 90));
        assert!(documents_due(&stored(Status::Rejected, 4), decided, now, 90));
        assert!(!documents_due(&stored(Status::Approved, 4), decided, now, 100), "not yet");
        assert!(!documents_due(&stored(Status::Approved, 4), decided, now, 0), "0 keeps them");
        for waiting in [Status::Received, Status::DocumentsRequested, Status::DocumentsSubmitted] {
            assert!(!documents_due(&stored(waiting, 4), decided, now, 90), "{waiting:?}: no final decision");
        }
    }

    #[test]
    fn owed_mails() {
        let id = ApplicationId::new(at("2026-12-01T10:00:00+09:00").time());
        let application = |status, expired, sent: &[MailKind]| MailRecord::Application {
            id,
            status,
            expired,
            sent: sent.to_vec(),
        };
        use MailKind::*;
        assert_eq!(
            owed(&application(Status::AwaitingVerification, false, &[])),
            Some(MailEvent::Submitted(id))
        );
        assert_eq!(owed(&application(Status::AwaitingVerification, false, &[Verification])), None);
        assert_eq!(owed(&application(Status::AwaitingVerification, true, &[])), None);
        assert_eq!(
            owed(&application(Status::Received, false, &[Acknowledgement])),
            Some(MailEvent::Confirmed(id))
        );
        assert_eq!(owed(&application(Status::Approved, false, &[Acknowledgement, OperatorNotice])), None);
        let v = Version::from_number(2).unwrap();
        let history = |action, sent| MailRecord::History { id, version: v, action, expired: false, sent };
        assert_eq!(
            owed(&history(HistoryAction::Approve, false)),
            Some(MailEvent::Recorded(id, v, HistoryAction::Approve))
        );
        assert_eq!(owed(&history(HistoryAction::Approve, true)), None);
        assert_eq!(owed(&history(HistoryAction::Erase, false)), None);
        let notice = NoticeId::default();
        assert_eq!(
            owed(&MailRecord::Notice { id: notice, expired: false, sent: false }),
            Some(MailEvent::AlreadyReceived(notice))
        );
        assert_eq!(owed(&MailRecord::Notice { id: notice, expired: false, sent: true }), None);
    }
}
