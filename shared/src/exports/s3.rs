//! The CSV exports in the documents bucket (feature `s3`): a multipart
//! upload written as the pages are read, and a presigned GET of the result.

use super::{DownloadLink, ExportKey, ExportWriter, Exports};
use crate::documents::s3::{S3Files, presigning, unavailable};
use crate::domain::{EXPORTS_PREFIX, Timestamp};
use crate::store::Unavailable;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use std::time::Duration;

/// The CSV exports in the documents bucket, under [`EXPORTS_PREFIX`] (a
/// lifecycle rule expires them after a day, and aborts an upload left
/// incomplete). The admin function's role may put, abort and get there only.
#[derive(Debug, Clone)]
pub struct S3Exports {
    client: Client,
    bucket: String,
}

impl S3Exports {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3Exports { client, bucket: bucket.into() }
    }

    /// [`S3Files::client`] with the time a part of 5 MiB needs: the SDK
    /// configuration's 1.5 s an attempt is for small requests. Within the
    /// admin function's 25 s.
    pub fn client(sdk: &aws_config::SdkConfig) -> Client {
        use aws_sdk_s3::config::timeout::TimeoutConfig;
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_millis(800))
            .operation_attempt_timeout(Duration::from_secs(8))
            .operation_timeout(Duration::from_secs(20))
            .build();
        let files = S3Files::client(sdk);
        Client::from_conf(files.config().to_builder().timeout_config(timeouts).build())
    }
}

#[async_trait]
impl Exports for S3Exports {
    async fn begin(
        &self,
        content_type: &'static str,
        disposition: &'static str,
    ) -> Result<Box<dyn ExportWriter>, Unavailable> {
        let key = format!("{EXPORTS_PREFIX}{}.csv", ulid::Ulid::from_datetime(std::time::SystemTime::now()));
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&key)
            .content_type(content_type)
            .content_disposition(disposition)
            .cache_control("no-store")
            .send()
            .await
            .map_err(unavailable("create multipart upload"))?;
        let upload_id =
            created.upload_id().ok_or_else(|| Unavailable("s3 create multipart upload: no id".into()))?;
        Ok(Box::new(S3ExportWriter {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: ExportKey { key, content_type, disposition },
            upload_id: upload_id.to_owned(),
            held: Vec::new(),
            parts: Vec::new(),
        }))
    }

    async fn link(&self, key: &ExportKey) -> Result<DownloadLink, Unavailable> {
        let expires_at = Timestamp::now().plus_secs(super::EXPORT_LINK_SECS as i64);
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key.key)
            .response_content_disposition(key.disposition)
            .response_content_type(key.content_type)
            .response_cache_control("no-store")
            .presigned(presigning(super::EXPORT_LINK_SECS)?)
            .await
            .map_err(unavailable("presign get"))?;
        Ok(DownloadLink { url: presigned.uri().to_owned(), expires_at })
    }
}

/// One multipart upload: the bytes not yet uploaded (less than a part), and
/// the parts' numbers and ETags.
struct S3ExportWriter {
    client: Client,
    bucket: String,
    key: ExportKey,
    upload_id: String,
    held: Vec<u8>,
    parts: Vec<aws_sdk_s3::types::CompletedPart>,
}

impl S3ExportWriter {
    /// Uploads what is held as the next part.
    async fn upload_part(&mut self) -> Result<(), Unavailable> {
        let number = i32::try_from(self.parts.len() + 1)
            .ok()
            .filter(|n| *n <= 10_000)
            .ok_or_else(|| Unavailable("s3 upload part: more than 10,000 parts".into()))?;
        let body = std::mem::take(&mut self.held);
        let uploaded = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
            .send()
            .await
            .map_err(unavailable("upload part"))?;
        self.parts.push(
            aws_sdk_s3::types::CompletedPart::builder()
                .part_number(number)
                .set_e_tag(uploaded.e_tag().map(str::to_owned))
                .build(),
        );
        Ok(())
    }

    async fn complete(&mut self) -> Result<(), Unavailable> {
        // The last part may be under S3's least; an empty one only if it is
        // the only part (an export always has its header row).
        if !self.held.is_empty() || self.parts.is_empty() {
            self.upload_part().await?;
        }
        let parts = aws_sdk_s3::types::CompletedMultipartUpload::builder()
            .set_parts(Some(std::mem::take(&mut self.parts)))
            .build();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key.key)
            .upload_id(&self.upload_id)
            .multipart_upload(parts)
            .send()
            .await
            .map_err(unavailable("complete multipart upload"))?;
        Ok(())
    }
}

#[async_trait]
impl ExportWriter for S3ExportWriter {
    async fn write(&mut self, bytes: Vec<u8>) -> Result<(), Unavailable> {
        // Parts of exactly EXPORT_PART_BYTES, held in one allocation of that
        // size (made once the previous part is uploaded and dropped).
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            if self.held.capacity() == 0 {
                self.held.reserve_exact(super::EXPORT_PART_BYTES);
            }
            let taken = rest.len().min(super::EXPORT_PART_BYTES - self.held.len());
            self.held.extend_from_slice(&rest[..taken]);
            rest = &rest[taken..];
            if self.held.len() == super::EXPORT_PART_BYTES {
                self.upload_part().await?;
            }
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<ExportKey, Unavailable> {
        match self.complete().await {
            Ok(()) => Ok(self.key),
            Err(error) => {
                self.abort().await;
                Err(error)
            }
        }
    }

    async fn abort(self: Box<Self>) {
        let aborted = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key.key)
            .upload_id(&self.upload_id)
            .send()
            .await;
        if let Err(error) = aborted {
            // The lifecycle rule aborts it within a day.
            tracing::warn!(code = error.code().unwrap_or("unreachable"), "export upload not aborted");
        }
    }
}
