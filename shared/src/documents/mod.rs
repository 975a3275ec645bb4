//! Where the applicant's files are kept, behind two small ports by role: the
//! applicant's side ([`Uploads`]: an upload target, the first bytes of what
//! arrived, keeping or discarding it) and the operators' side ([`Kept`]: a
//! download link, the malware scan's state, erasure). The bytes go from the
//! browser to storage and from storage to the operator's browser; no
//! function reads more of a file than its first [`DocumentType::SIGNATURE_BYTES`].
//!
//! On AWS the store is an S3 bucket ([`s3`]); locally the local server keeps
//! the files in its data directory and is the upload target itself.

pub mod local;
#[cfg(feature = "s3")]
pub mod s3;
pub mod scan_result;
pub mod settings;

use crate::domain::{ApplicationId, Document, DocumentType, FileName, ScanState, Timestamp};
use crate::store::Unavailable;
use async_trait::async_trait;
use serde::Serialize;
use std::collections::BTreeMap;

/// Where and how the browser sends one file: the contract's `upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadTarget {
    /// `PUT`: the signature pins the key, the content type and the exact length.
    pub method: &'static str,
    pub url: String,
    /// What the browser must send with the bytes (`content-type`).
    pub headers: BTreeMap<String, String>,
}

/// What arrived under a key: its size and its first bytes (at most
/// [`DocumentType::SIGNATURE_BYTES`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrived {
    pub size: u64,
    pub first: Vec<u8>,
}

/// Why an uploaded file is not submitted: the contract's 422s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// Nothing arrived (`document_missing`).
    Missing,
    /// Not the declared size, or not beginning with its type's signature
    /// (`document_content_mismatch`): the object is deleted.
    Content,
}

impl Arrived {
    /// Whether this is the file the document declared: its exact size (the
    /// signature pinned it; a local target checks it too) and its type's
    /// signature at the start.
    pub fn check(&self, document: &Document) -> Result<(), Mismatch> {
        if self.size == document.size && document.content_type.begins(&self.first) {
            Ok(())
        } else {
            Err(Mismatch::Content)
        }
    }
}

/// A download link for an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadLink {
    pub url: String,
    pub expires_at: Timestamp,
}

/// The applicant's side of the file store.
#[async_trait]
pub trait Uploads: Send + Sync {
    /// A target that accepts exactly this document's bytes under its
    /// incoming key, for [`settings::UPLOAD_LINK_SECS`].
    async fn upload_target(&self, document: &Document) -> Result<UploadTarget, Unavailable>;

    /// What arrived under the document's incoming key (`None`: nothing),
    /// reading only its first bytes.
    async fn arrived(&self, document: &Document) -> Result<Option<Arrived>, Unavailable>;

    /// Moves a checked upload to where submitted files are kept. Idempotent:
    /// a file already moved is left as it is.
    async fn keep(&self, document: &Document) -> Result<(), Unavailable>;

    /// Deletes an upload that is not what it claimed.
    async fn discard(&self, document: &Document) -> Result<(), Unavailable>;
}

/// The operators' side of the file store.
#[async_trait]
pub trait Kept: Send + Sync {
    /// A link that downloads the submitted file as an attachment named as
    /// the applicant's file was, valid for [`settings::DOWNLOAD_LINK_SECS`].
    async fn download_link(&self, document: &Document) -> Result<DownloadLink, Unavailable>;

    /// What the malware scan says of the submitted file.
    async fn scan(&self, document: &Document) -> Result<ScanState, Unavailable>;

    /// Deletes every file of the application, submitted or not (erasure, retention).
    async fn delete_application(&self, application_id: ApplicationId) -> Result<(), Unavailable>;

    /// The applications that have submitted files: the documents' retention
    /// work list (S3: one listing of `documents/` by application prefix).
    async fn applications_with_files(&self) -> Result<Vec<ApplicationId>, Unavailable>;
}

/// The `Content-Disposition` of a download: an attachment (never shown
/// inline, so a PDF's scripts do not run in the console's origin), named as
/// the applicant's file in RFC 6266's `filename*`, with an ASCII fallback.
pub fn content_disposition(name: &FileName, content_type: DocumentType) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // RFC 5987's attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~" pass unencoded.
    const ATTR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    format!(
        "attachment; filename=\"document.{}\"; filename*=UTF-8''{}",
        content_type.extensions()[0],
        utf8_percent_encode(name.as_str(), ATTR)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DocumentId, Version};

    fn document(kind: DocumentType, size: u64) -> Document {
        Document {
            document_id: DocumentId::new(),
            application_id: ApplicationId::new(time::OffsetDateTime::now_utc()),
            request_version: Version::from_number(3).unwrap(),
            file_name: FileName::parse("免許証 表.pdf").unwrap(),
            content_type: kind,
            size,
            uploaded_at: Timestamp::now(),
            submitted_at: None,
        }
    }

    #[test]
    fn an_arrival_must_be_the_declared_size_and_begin_with_its_signature() {
        let pdf = document(DocumentType::Pdf, 1000);
        assert_eq!(Arrived { size: 1000, first: b"%PDF-1.7".to_vec() }.check(&pdf), Ok(()));
        assert_eq!(Arrived { size: 999, first: b"%PDF-1.7".to_vec() }.check(&pdf), Err(Mismatch::Content));
        assert_eq!(
            Arrived { size: 1000, first: b"\x7fELF\x02\x01\x01\x00".to_vec() }.check(&pdf),
            Err(Mismatch::Content)
        );
    }

    #[test]
    fn a_download_is_an_attachment_named_in_utf8() {
        let name = FileName::parse("免許証 表.pdf").unwrap();
        assert_eq!(
            content_disposition(&name, DocumentType::Pdf),
            "attachment; filename=\"document.pdf\"; filename*=UTF-8''%E5%85%8D%E8%A8%B1%E8%A8%BC%20%E8%A1%A8.pdf"
        );
        let tricky = FileName::parse("a\";b.pdf").unwrap();
        assert!(content_disposition(&tricky, DocumentType::Pdf).ends_with("a%22%3Bb.pdf"));
    }
}
