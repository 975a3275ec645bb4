//! The CSV export on AWS: an object in the documents bucket under
//! [`crate::domain::EXPORTS_PREFIX`] (a lifecycle rule expires it after a
//! day), written as the pages are read and handed over as a short-lived
//! link. Locally the export streams instead, and needs no port.

#[cfg(feature = "s3")]
pub mod s3;

pub use crate::documents::DownloadLink;
use crate::store::Unavailable;
use async_trait::async_trait;

/// How long an export's download link works (contract: 5 minutes).
pub const EXPORT_LINK_SECS: u64 = 5 * 60;
/// The export's multipart parts: S3's least (5 MiB; the last part may be
/// smaller), so that memory holds as little as S3 allows. 10,000 parts make
/// 50 GiB, some 170 million rows.
pub const EXPORT_PART_BYTES: usize = 5 * 1024 * 1024;

/// Where the CSV export is written on AWS ([`s3::S3Exports`]): an object
/// under [`crate::domain::EXPORTS_PREFIX`], written as it is read (a multipart
/// upload in parts of [`EXPORT_PART_BYTES`]), then handed over as a
/// download link. Locally the export streams instead (no port: the local
/// server reads `admin::Handler::export_stream`).
#[async_trait]
pub trait Exports: Send + Sync {
    /// A new export object that downloads as `content_type` with `disposition`.
    async fn begin(
        &self,
        content_type: &'static str,
        disposition: &'static str,
    ) -> Result<Box<dyn ExportWriter>, Unavailable>;

    /// A link to the finished object under `key`, valid for
    /// [`EXPORT_LINK_SECS`] from now.
    async fn link(&self, key: &ExportKey) -> Result<DownloadLink, Unavailable>;
}

/// A finished export object's key (`exports/<ulid>.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportKey {
    pub key: String,
    pub content_type: &'static str,
    pub disposition: &'static str,
}

/// One export being written: memory holds at most one part and the bytes
/// being added.
#[async_trait]
pub trait ExportWriter: Send {
    /// Appends `bytes`; uploads a part once a part's worth is held.
    async fn write(&mut self, bytes: Vec<u8>) -> Result<(), Unavailable>;

    /// Uploads the rest and completes the object. On failure nothing is left
    /// but what the lifecycle rule removes.
    async fn finish(self: Box<Self>) -> Result<ExportKey, Unavailable>;

    /// Abandons the object (the reading failed).
    async fn abort(self: Box<Self>);
}
