//! The documents bucket (feature `s3`): presigned PUTs for uploads, a ranged
//! GET of the first bytes, a server-side copy from `incoming/` to
//! `documents/`, presigned GETs for downloads and GuardDuty's tag. (The CSV
//! exports share the bucket: [`crate::exports::s3`].)
//!
//! Why PUT and not POST: the SDK presigns a PUT itself, signing the key, the
//! `content-type` and the `content-length` headers (`X-Amz-SignedHeaders`), so
//! S3 refuses another key, type or length with 403 `SignatureDoesNotMatch`.
//! A POST policy (`content-length-range`) would have to be written and
//! signed by hand here; the exact length the PUT pins is the stricter rule.

use super::{Arrived, DownloadLink, Kept, UploadTarget, Uploads, content_disposition, settings};
use crate::domain::{
    ApplicationId, Document, DocumentType, SCAN_TAG, STORED_PREFIX, ScanState, Timestamp, incoming_prefix,
    stored_prefix,
};
use crate::store::Unavailable;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use std::collections::BTreeMap;
use std::time::Duration;

/// The bucket and whether GuardDuty scans it.
#[derive(Debug, Clone)]
pub struct S3Files {
    client: Client,
    bucket: String,
    scanning: bool,
}

impl S3Files {
    pub fn new(client: Client, bucket: impl Into<String>, scanning: bool) -> Self {
        S3Files { client, bucket: bucket.into(), scanning }
    }

    /// The client for `sdk`: path-style addressing when an endpoint is set
    /// (moto, a local emulator), S3's virtual-hosted style otherwise.
    pub fn client(sdk: &aws_config::SdkConfig) -> Client {
        let custom_endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|name| std::env::var(name).is_ok_and(|v| !v.is_empty()));
        // Checksums only where S3 requires them: a presigned PUT must not
        // ask the browser for an `x-amz-checksum-*` header (CORS allows
        // `content-type` only, and the browser cannot compute it).
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(custom_endpoint)
            .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
            .build();
        Client::from_conf(config)
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates `bucket` in the client's region (the template does on AWS;
    /// local runs and tests against moto call this).
    pub async fn create_bucket(client: &Client, bucket: &str) -> Result<(), Unavailable> {
        use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
        let region = client.config().region().map(|r| r.as_ref().to_owned()).unwrap_or_default();
        let mut create = client.create_bucket().bucket(bucket);
        // us-east-1 is the one region that takes no constraint.
        if !region.is_empty() && region != "us-east-1" {
            let constraint = BucketLocationConstraint::from(region.as_str());
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder().location_constraint(constraint).build(),
            );
        }
        create.send().await.map_err(unavailable("create bucket"))?;
        Ok(())
    }
}

/// S3 could not answer: the code only (an error never names a key's owner:
/// keys are ids, but messages may echo them).
pub(crate) fn unavailable<E: ProvideErrorMetadata>(operation: &str) -> impl FnOnce(E) -> Unavailable + '_ {
    move |error| Unavailable(format!("s3 {operation}: {}", error.code().unwrap_or("unreachable")))
}

pub(crate) fn presigning(secs: u64) -> Result<PresigningConfig, Unavailable> {
    PresigningConfig::expires_in(Duration::from_secs(secs))
        .map_err(|e| Unavailable(format!("presigning: {e}")))
}

/// The total size in a `Content-Range: bytes 0-7/12345` header.
fn total_of(content_range: &str) -> Option<u64> {
    content_range.rsplit_once('/')?.1.parse().ok()
}

#[async_trait]
impl Uploads for S3Files {
    async fn upload_target(&self, document: &Document) -> Result<UploadTarget, Unavailable> {
        let size = i64::try_from(document.size).map_err(|_| Unavailable("size out of range".into()))?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(document.incoming_key())
            .content_type(document.content_type.mime())
            .content_length(size)
            .presigned(presigning(settings::UPLOAD_LINK_SECS)?)
            .await
            .map_err(unavailable("presign put"))?;
        // The browser sends the length itself (a forbidden header for
        // scripts), and the host is the URL's.
        let headers = presigned
            .headers()
            .filter(|(name, _)| {
                !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("host")
            })
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect::<BTreeMap<_, _>>();
        Ok(UploadTarget { method: "PUT", url: presigned.uri().to_owned(), headers })
    }

    async fn arrived(&self, document: &Document) -> Result<Option<Arrived>, Unavailable> {
        // Kept already by an attempt of this submission that lost its answer?
        match self.first_bytes(&document.incoming_key()).await? {
            Some(arrived) => Ok(Some(arrived)),
            None => self.first_bytes(&document.stored_key()).await,
        }
    }

    async fn keep(&self, document: &Document) -> Result<(), Unavailable> {
        let copied = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(format!("{}/{}", self.bucket, document.incoming_key()))
            .key(document.stored_key())
            .send()
            .await;
        match copied {
            Ok(_) => {}
            Err(error) if matches!(error.code(), Some("NoSuchKey" | "AccessDenied")) => {
                // Moved by an earlier attempt of this submission?
                let kept = self
                    .client
                    .head_object()
                    .bucket(&self.bucket)
                    .key(document.stored_key())
                    .send()
                    .await
                    .is_ok();
                if kept {
                    return Ok(());
                }
                return Err(unavailable("copy")(error));
            }
            Err(error) => return Err(unavailable("copy")(error)),
        }
        self.discard(document).await
    }

    async fn discard(&self, document: &Document) -> Result<(), Unavailable> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(document.incoming_key())
            .send()
            .await
            .map_err(unavailable("delete"))?;
        Ok(())
    }
}

impl S3Files {
    /// The size and the first bytes of the object under `key`: one ranged GET.
    async fn first_bytes(&self, key: &str) -> Result<Option<Arrived>, Unavailable> {
        let range = format!("bytes=0-{}", DocumentType::SIGNATURE_BYTES - 1);
        let output = self.client.get_object().bucket(&self.bucket).key(key).range(range).send().await;
        let output = match output {
            Ok(output) => output,
            Err(error) => {
                return match error.code() {
                    // Without `s3:ListBucket` (the documents function has
                    // none), S3 answers a missing key with 403.
                    Some("NoSuchKey") | Some("NotFound") | Some("AccessDenied") => Ok(None),
                    // An empty object has no byte 0.
                    Some("InvalidRange") => Ok(Some(Arrived { size: 0, first: Vec::new() })),
                    _ => Err(unavailable("get")(error)),
                };
            }
        };
        let size = output
            .content_range()
            .and_then(total_of)
            .or_else(|| output.content_length().and_then(|n| u64::try_from(n).ok()))
            .unwrap_or(0);
        let body = output.body.collect().await.map_err(|e| Unavailable(format!("s3 get body: {e}")))?;
        let mut first = body.into_bytes().to_vec();
        first.truncate(DocumentType::SIGNATURE_BYTES);
        Ok(Some(Arrived { size, first }))
    }
}

#[async_trait]
impl Kept for S3Files {
    async fn download_link(&self, document: &Document) -> Result<DownloadLink, Unavailable> {
        let expires_at = Timestamp::now().plus_secs(settings::DOWNLOAD_LINK_SECS as i64);
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(document.stored_key())
            .response_content_disposition(content_disposition(&document.file_name, document.content_type))
            .response_content_type(document.content_type.mime())
            .presigned(presigning(settings::DOWNLOAD_LINK_SECS)?)
            .await
            .map_err(unavailable("presign get"))?;
        Ok(DownloadLink { url: presigned.uri().to_owned(), expires_at })
    }

    async fn scan(&self, document: &Document) -> Result<ScanState, Unavailable> {
        if !self.scanning {
            return Ok(ScanState::NotScanned);
        }
        let tags = self
            .client
            .get_object_tagging()
            .bucket(&self.bucket)
            .key(document.stored_key())
            .send()
            .await
            .map_err(unavailable("get tagging"))?;
        Ok(tags
            .tag_set()
            .iter()
            .find(|tag| tag.key() == SCAN_TAG)
            .map_or(ScanState::Pending, |tag| ScanState::from_tag(tag.value())))
    }

    async fn delete_application(&self, application_id: ApplicationId) -> Result<(), Unavailable> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        for prefix in [stored_prefix(application_id), incoming_prefix(application_id)] {
            let mut pages =
                self.client.list_objects_v2().bucket(&self.bucket).prefix(&prefix).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(unavailable("list"))?;
                let objects: Vec<ObjectIdentifier> = page
                    .contents()
                    .iter()
                    .filter_map(|object| {
                        ObjectIdentifier::builder().set_key(object.key().map(str::to_owned)).build().ok()
                    })
                    .collect();
                if objects.is_empty() {
                    continue;
                }
                let delete = Delete::builder()
                    .set_objects(Some(objects))
                    .quiet(true)
                    .build()
                    .map_err(|e| Unavailable(format!("s3 delete: {e}")))?;
                let output = self
                    .client
                    .delete_objects()
                    .bucket(&self.bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(unavailable("delete objects"))?;
                if !output.errors().is_empty() {
                    return Err(Unavailable(format!(
                        "s3 delete objects: {} not deleted",
                        output.errors().len()
                    )));
                }
            }
        }
        Ok(())
    }

    async fn applications_with_files(&self) -> Result<Vec<ApplicationId>, Unavailable> {
        // One key per application: `documents/<id>/` as a common prefix.
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(STORED_PREFIX)
            .delimiter("/")
            .into_paginator()
            .send();
        let mut ids = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(unavailable("list"))?;
            ids.extend(page.common_prefixes().iter().filter_map(|prefix| {
                prefix.prefix()?.strip_prefix(STORED_PREFIX)?.strip_suffix('/').and_then(ApplicationId::parse)
            }));
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_total_size_is_read_from_the_content_range() {
        assert_eq!(super::total_of("bytes 0-7/12345"), Some(12345));
        assert_eq!(super::total_of("bytes */0"), Some(0));
        assert_eq!(super::total_of("garbage"), None);
    }
}
