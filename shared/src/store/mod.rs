//! Durable storage of applications behind one small trait, with two backends:
//! DynamoDB (feature `dynamodb`) for AWS and SQLite (feature `sqlite`) for local
//! runs. One contract test suite (`shared/tests/it/store_contract.rs`) runs against both.
//! The item design is in [`layout`] and `docs/storage.md`.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod layout;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use crate::domain::{Application, ApplicationId, IdempotencyKey, Receipt, Status};
use crate::mail::MailKind;
use async_trait::async_trait;

/// What a submission asks the store to keep, all or nothing.
#[derive(Debug, Clone)]
pub struct Submission {
    pub idempotency_key: IdempotencyKey,
    /// SHA-256 (hex) of the normalised application: a replay must carry the same.
    pub request_hash: String,
    pub receipt: Receipt,
    pub application: Application,
    /// The exact response body acknowledged to the client, replayed verbatim.
    pub response_body: String,
}

/// How a submission ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Stored now; acknowledge with this body.
    Created { response_body: String },
    /// The same key and body were stored before; replay this body.
    Replayed { response_body: String },
    /// The key was used before with another body.
    KeyReused,
    /// An application for this email was received before.
    DuplicateEmail,
    /// The receipt's reception number is taken (improbable): nothing was
    /// stored; issue a new number and submit again.
    ReceptionNumberTaken,
}

/// A stored application, as the notification reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApplication {
    pub receipt: Receipt,
    pub application: Application,
}

/// Storage could not answer: the client should retry later (503).
#[derive(Debug, thiserror::Error)]
#[error("storage unavailable: {0}")]
pub struct Unavailable(pub String);

#[async_trait]
pub trait Store: Send + Sync {
    /// Stores application, email-uniqueness and idempotency records atomically.
    /// Returns only after they are durable.
    async fn submit(&self, submission: &Submission) -> Result<SubmitOutcome, Unavailable>;

    /// True when this mail was already sent for this application.
    async fn mail_sent(&self, application_id: ApplicationId, kind: MailKind) -> Result<bool, Unavailable>;

    /// Records, conditionally, that this mail was sent. Returns false if it was
    /// already recorded.
    async fn mark_mail_sent(
        &self,
        application_id: ApplicationId,
        kind: MailKind,
    ) -> Result<bool, Unavailable>;

    /// The application stored under this id, if any (strongly consistent).
    async fn get(&self, application_id: ApplicationId) -> Result<Option<StoredApplication>, Unavailable>;

    /// Applications with this status, newest first: what operators list
    /// (DynamoDB: the status index, eventually consistent).
    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
    ) -> Result<Vec<StoredApplication>, Unavailable>;
}
