//! What the documents link asks of a store (contract v3, *Documents*): the
//! request a token names, the upload targets issued for it, and the
//! submission that moves the application to `documents_submitted`. The
//! rules are [`super::plan`]'s (`request_state`, `upload`, `select`,
//! `submit_documents`); both stores only read and carry out.

use crate::domain::{
    ApplicationId, Document, DocumentId, DocumentLimits, DocumentRequest, IdempotencyKey, OperatorMessage,
    RequestHash, StoredApplication, Timestamp,
};
use crate::keyed::TokenHash;

/// What a documents link stands for now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one per request
pub enum RequestState {
    /// The application's latest request, its link not expired.
    Open(OpenRequest),
    /// The latest request, past its link's expiry (410).
    Expired,
    /// Unknown, superseded by a later request, or its application gone or erased (404).
    NotFound,
}

/// An open request with what it has received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    pub application: StoredApplication,
    pub request: DocumentRequest,
    /// The operator's message of the request (what to send).
    pub message: Option<OperatorMessage>,
    /// The request's documents (every upload target issued for it), oldest first.
    pub documents: Vec<Document>,
}

impl OpenRequest {
    /// The documents a submission used.
    pub fn submitted(&self) -> Vec<Document> {
        self.documents.iter().filter(|d| d.submitted_at.is_some()).cloned().collect()
    }
}

/// What a request stores when an operator asks for documents: its link's
/// token hash and expiry (the version is the decision's new one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestWrite {
    pub token: TokenHash,
    pub expires_at: Timestamp,
}

/// A submission of documents, as one conditional write: the application
/// moves `documents_requested` → `documents_submitted` only at the request's
/// version, the history entry `submit_documents` and the idempotency record
/// are written with it, and the chosen documents are marked submitted.
#[derive(Debug, Clone)]
pub struct DocumentsSubmission {
    pub token: TokenHash,
    pub idempotency_key: IdempotencyKey,
    /// The digest of the token and the chosen ids: a replay must carry the same.
    pub request_hash: RequestHash,
    pub document_ids: Vec<DocumentId>,
    pub limits: DocumentLimits,
    pub at: Timestamp,
}

/// Why a choice of documents cannot be submitted (before any file is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No ids, or more than the limit (422 `too_many_files`).
    Count,
    /// Together over the limit (422 `file_too_large`).
    TotalSize,
    /// Not an upload of this request (422 `document_missing`).
    Unknown(DocumentId),
}

/// How a submission ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one per request
pub enum SubmitDocumentsOutcome {
    /// Made now: the application after it and the documents submitted (mail
    /// [`crate::domain::MailEvent::Recorded`] with `submit_documents`).
    Submitted(StoredApplication, Vec<Document>),
    /// The same key and request submitted before.
    Replayed(StoredApplication, Vec<Document>),
    KeyReused,
    /// The request is not waiting for documents any more (409 `documents_already_submitted`).
    NotWaiting(StoredApplication),
    Refused(Refusal),
    Expired,
    NotFound,
}

/// Why an upload target is not issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadRefusal {
    NotFound,
    Expired,
    /// The documents were submitted (409 `documents_already_submitted`).
    NotWaiting,
    /// Over the file limit (422 `file_too_large`), or empty (422 `empty_file`).
    TooLarge,
    Empty,
    /// More targets than [`DocumentLimits::max_uploads`] (422 `too_many_files`).
    TooMany,
}

/// The documents of one application, for the detail and the download.
pub fn of_application(documents: Vec<Document>, application_id: ApplicationId) -> Vec<Document> {
    let mut documents: Vec<Document> = documents
        .into_iter()
        .filter(|d| d.application_id == application_id && d.submitted_at.is_some())
        .collect();
    documents.sort_by_key(|d| (d.submitted_at, d.document_id));
    documents
}
