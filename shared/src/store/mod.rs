//! Durable storage of applications behind one small trait, with two backends:
//! DynamoDB (feature `dynamodb`) for AWS and SQLite (feature `sqlite`) for local
//! runs. One contract test suite (`shared/tests/it/store_contract.rs`) runs against both.
//! The item design is in [`layout`] and `docs/storage.md`.
//!
//! Expired records are absent: an unverified application past its expiry, its
//! token, an idempotency record or a counter past its window is treated by
//! every read and every condition as if it were gone, because DynamoDB's TTL
//! deletes late (up to days).

pub mod deliveries;
pub mod desk;
pub mod documents;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod layout;
pub mod plan;
pub mod retention;
pub mod review;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use review::{
    AuditPage, CorrectOutcome, CorrectionWrite, Cursor, DecideOutcome, DecisionWrite, EraseOutcome,
    ErasedApplication, Erasure, ListQuery, Page, Record, Related, RelatedApplication, Search, StatusCounts,
};

pub use crate::domain::StoredApplication;
use crate::domain::{
    Application, ApplicationId, AuditEntry, AuditId, HistoryEntry, IdempotencyKey, MailEvent, MailKind,
    MailSubject, NoticeId, Receipt, RequestHash, Status, Timestamp, Version,
};
use crate::keyed::{EmailKey, TokenHash};
use async_trait::async_trait;
pub use deliveries::{Deliveries, DeliveryOutcome, DeliveryUpdate, SentMail};

/// What a submission asks the store to keep, all or nothing. What is kept
/// depends on the address's past, which only the store knows:
/// - no application (or only an expired one): the application, awaiting verification;
/// - an unverified one: it and its token are replaced by this one;
/// - a verified one: nothing of this application, only a notice that mails
///   the address (the answer is the same in every case).
#[derive(Debug, Clone)]
pub struct Submission {
    pub idempotency_key: IdempotencyKey,
    /// The digest of the normalised application: a replay must carry the same.
    pub request_hash: RequestHash,
    pub receipt: Receipt,
    pub application: Application,
    /// The keyed hash that reserves the address.
    pub email_key: EmailKey,
    /// The hash of this application's verification token.
    pub token_hash: TokenHash,
    /// When the link stops working and the application is deleted.
    pub expires_at: Timestamp,
    /// The notice's id, used only if the address already has a verified application.
    pub notice_id: NoticeId,
    /// The exact response body acknowledged to the client, replayed verbatim.
    pub response_body: String,
}

/// How a submission ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Stored now; acknowledge with this body, and mail what `event` says.
    Created { response_body: String, event: MailEvent },
    /// The same key and body were stored before; replay this body, and hand
    /// `event` to delivery again (the first attempt may have committed and
    /// lost its answer; the markers keep each mail to one).
    Replayed { response_body: String, event: MailEvent },
    /// The key was used before with another body.
    KeyReused,
    /// The receipt's reception number is taken (improbable): nothing was
    /// stored; issue a new number and submit again.
    ReceptionNumberTaken,
}

/// How a confirmation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// Confirmed now: the application is `received` (mail [`MailEvent::Confirmed`]).
    Confirmed(StoredApplication),
    /// This token confirmed it before: the same answer, no new event.
    AlreadyConfirmed(StoredApplication),
    /// The token's link expired.
    Expired,
    /// Unknown, superseded, or its application is gone.
    NotFound,
}

/// What a verification token stands for now (the preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenState {
    /// Waiting for confirmation until `expires_at`.
    Pending(StoredApplication),
    /// Already used to confirm.
    Confirmed(StoredApplication),
    Expired,
    NotFound,
}

/// A verified application a tool writes in bulk ([`Tooling::import`]).
#[derive(Debug, Clone)]
pub struct Imported {
    pub stored: StoredApplication,
    /// The keyed hash that reserves its address.
    pub email_key: EmailKey,
}

/// A submission for an address that already has a verified application: it
/// keeps nothing of what was typed, only which application to remind of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub notice_id: NoticeId,
    pub application_id: ApplicationId,
}

/// One fixed-window counter of a rate limit: `key` names the limit, the
/// (keyed) client and the window; it is gone after `window_ends`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub key: String,
    pub limit: u32,
    pub window_ends: Timestamp,
}

/// Storage could not answer: the client should retry later (503).
#[derive(Debug, thiserror::Error)]
#[error("storage unavailable: {0}")]
pub struct Unavailable(pub String);

/// What the form's functions ask: submissions, verification links and rate limits.
#[async_trait]
pub trait Intake: Send + Sync {
    /// Stores what [`Submission`] describes, atomically with its idempotency
    /// record. Returns only after it is durable.
    async fn submit(&self, submission: &Submission) -> Result<SubmitOutcome, Unavailable>;

    /// What the token stands for, without changing anything.
    async fn token(&self, token: &TokenHash) -> Result<TokenState, Unavailable>;

    /// Confirms the application of `token` ([`crate::domain::Transition::Confirm`]):
    /// one conditional write of the application, its address, its reception
    /// number and the token. Idempotent.
    async fn confirm(&self, token: &TokenHash) -> Result<ConfirmOutcome, Unavailable>;

    /// Counts one request against `counter`; false (and nothing counted) when
    /// the window's limit is reached.
    async fn admit(&self, counter: &Counter) -> Result<bool, Unavailable>;
}

/// What delivery reads and marks: each mail's subject and whether it went out (exactly once per event).
#[async_trait]
pub trait MailLedger: Send + Sync {
    /// The application stored under this id, if any and not expired (strongly consistent).
    async fn get(&self, application_id: ApplicationId) -> Result<Option<StoredApplication>, Unavailable>;

    /// The notice stored under this id, if any.
    async fn notice(&self, notice_id: NoticeId) -> Result<Option<Notice>, Unavailable>;

    /// The stored history entry that made `version` (a decision's result mail reads it).
    async fn history_entry(
        &self,
        application_id: ApplicationId,
        version: Version,
    ) -> Result<Option<HistoryEntry>, Unavailable>;

    /// True when this mail was already sent for this subject.
    async fn mail_sent(&self, subject: MailSubject, kind: MailKind) -> Result<bool, Unavailable>;

    /// Records, conditionally, that this mail was sent, and writes its
    /// record ([`plan::sent_mail`]) in the same write. Returns false if it was
    /// already recorded (or the subject is gone).
    async fn mark_mail_sent(
        &self,
        subject: MailSubject,
        kind: MailKind,
        sent: Option<&deliveries::SentMail>,
    ) -> Result<bool, Unavailable>;
}

/// What the operators' side asks: decisions, the detail, the list, the counts, the reviewer's check, erasure and the audit.
#[async_trait]
pub trait Review: Send + Sync {
    /// Makes an operator's decision ([`DecisionWrite`]): one conditional write.
    async fn decide(&self, decision: &DecisionWrite) -> Result<DecideOutcome, Unavailable>;

    /// Corrects an application's fields ([`CorrectionWrite`]): one conditional write.
    async fn correct(&self, correction: &CorrectionWrite) -> Result<CorrectOutcome, Unavailable>;

    /// The application (or its tombstone) with its stored history, oldest
    /// first: the operators' decisions and the erasure (strongly consistent).
    async fn record(
        &self,
        application_id: ApplicationId,
    ) -> Result<Option<(Record, Vec<HistoryEntry>)>, Unavailable>;

    /// One page of applications, newest first ([`ListQuery`]).
    async fn list(&self, query: &ListQuery) -> Result<Page, Unavailable>;

    /// How many applications each status has: what [`Store::list`] shows of
    /// each (expired and erased ones are not counted). DynamoDB: a counting
    /// Query per status on the status index, eventually consistent.
    async fn count_by_status(&self) -> Result<StatusCounts, Unavailable>;

    /// The applications the reviewer's check finds ([`Related::finds`]),
    /// newest first, at most `query.limit`, as it shows them. SQLite: indexes
    /// on the phone, the invoice number and the spaceless corporate name.
    /// DynamoDB: a Query each of `byPhone`, `byInvoiceNumber` and
    /// `byCorporateName`, which hold only the applications that share the key.
    async fn related(&self, query: &Related) -> Result<Vec<RelatedApplication>, Unavailable>;

    /// Erases an application's personal data ([`Erasure`]).
    async fn erase(&self, erasure: &Erasure) -> Result<EraseOutcome, Unavailable>;

    /// Appends an audit entry. Nothing updates or deletes one.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), Unavailable>;

    /// The audit, newest first, older than `before`.
    async fn audit_log(&self, before: Option<AuditId>, limit: usize) -> Result<AuditPage, Unavailable>;
}

/// What the documents link asks ([`documents`]): the request a token names,
/// the upload targets issued for it, the submission.
#[async_trait]
pub trait Documents: Send + Sync {
    /// What the link of `token` stands for now ([`plan::request_state`]),
    /// strongly consistent.
    async fn document_request(&self, token: &TokenHash) -> Result<documents::RequestState, Unavailable>;

    /// Keeps a document whose upload target is being issued ([`plan::upload`]).
    async fn add_upload(&self, document: &crate::domain::Document) -> Result<(), Unavailable>;

    /// Submits documents ([`documents::DocumentsSubmission`]): one conditional write.
    async fn submit_documents(
        &self,
        submission: &documents::DocumentsSubmission,
    ) -> Result<documents::SubmitDocumentsOutcome, Unavailable>;

    /// The submitted documents of an application, oldest first (the detail, the download).
    async fn documents_of(
        &self,
        application_id: ApplicationId,
    ) -> Result<Vec<crate::domain::Document>, Unavailable>;

    /// Deletes the records of every document of an application whose files
    /// are past their retention ([`plan::documents_due`]); the caller deletes
    /// the files first. Idempotent.
    async fn forget_documents(&self, application_id: ApplicationId) -> Result<usize, Unavailable>;
}

/// What the operators' desk asks beside decisions ([`desk`]): notes and the
/// assignee. Neither touches the version, so neither conflicts with a decision.
#[async_trait]
pub trait Desk: Send + Sync {
    /// Keeps a note on a live application ([`plan::note`]) with its audit
    /// entry, in one write.
    async fn add_note(&self, write: &desk::NoteWrite) -> Result<desk::NoteOutcome, Unavailable>;

    /// The notes of an application, newest first (strongly consistent).
    /// DynamoDB: one Query of the application's `NOTE#` items.
    async fn notes_of(&self, application_id: ApplicationId) -> Result<Vec<crate::domain::Note>, Unavailable>;

    /// Sets (or clears) a live application's assignee ([`plan::assign`]) with
    /// its audit entry, in one conditional write that touches nothing else.
    async fn assign(&self, assignment: &desk::Assignment) -> Result<desk::AssignOutcome, Unavailable>;
}

/// What only tools, samples, tests and the local server's restart ask: reads no request path makes.
#[async_trait]
pub trait Tooling: Send + Sync {
    /// Applications with this status, newest first: what operators list
    /// (DynamoDB: the status index, eventually consistent). Expired ones are left out.
    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
    ) -> Result<Vec<StoredApplication>, Unavailable>;

    /// The mail events whose mails may not all have gone out yet (an
    /// unverified application without its link mail, a confirmed one without
    /// its two mails, a notice without its mail): what a restarted local
    /// server delivers. On AWS the stream redelivers instead.
    async fn pending_mail(&self) -> Result<Vec<MailEvent>, Unavailable>;

    /// Writes verified applications as a confirmation would have left them,
    /// with their address and reception number reserved, their partner code
    /// (if approved) claimed and their mails marked sent: samples and
    /// benchmarks at scale, through the store's own layout. Each is new.
    async fn import(&self, applications: &[Imported]) -> Result<(), Unavailable>;

    /// Counts every counted status's applications from the table and writes
    /// its counter ([`plan::counted`]), with DynamoDB's due items: for a
    /// store that predates the counters, after a restore, or after an import
    /// that failed half way. Idempotent. A change made while it runs may be
    /// lost from the counts: run it when no one is deciding (and again if
    /// unsure; `docs/deploy.md`).
    async fn recount(&self) -> Result<Recounted, Unavailable>;

    /// The live idempotency record under `key` (the contract suite compares
    /// the two stores' records).
    async fn idempotency_record(
        &self,
        key: &plan::RecordKey<'_>,
    ) -> Result<Option<plan::IdempotencyRecord>, Unavailable>;
}

/// What a recount found: the counters as they were and as they are now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recounted {
    pub before: StatusCounts,
    pub after: StatusCounts,
}

/// Every role at once: what a store is. A caller names the role it uses
/// ([`Intake`], [`MailLedger`], [`Review`], [`Documents`], [`Desk`],
/// [`Deliveries`], [`retention::Retirement`], [`Tooling`]), so a fake stands
/// in for one role only.
pub trait Store:
    Intake + MailLedger + Review + Documents + Desk + Deliveries + retention::Retirement + Tooling
{
}

impl<T: Intake + MailLedger + Review + Documents + Desk + Deliveries + retention::Retirement + Tooling> Store
    for T
{
}
