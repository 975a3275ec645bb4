//! The documents kept in a directory (the local server's data directory),
//! with the same shape and checks as S3's presigned requests: an upload is a
//! `PUT` to a URL whose signature pins the key, the content type, the exact
//! length and an expiry ([`LocalFiles::upload_grant`]); a download is a `GET`
//! of a signed URL that answers the file as an attachment
//! ([`LocalFiles::download_grant`]). The local server streams the bytes;
//! this module decides what a URL allows. Files live under the same keys as
//! the bucket's (`incoming/…`, `documents/…`), 0600.
//!
//! The signatures are HMAC-SHA-256 under a secret drawn at each start: a
//! link outlives neither its 15 (upload) or 5 (download) minutes nor the
//! server, and nothing needs keeping.

use super::settings::{DOWNLOAD_LINK_SECS, UPLOAD_LINK_SECS};
use super::{Arrived, DownloadLink, Kept, UploadTarget, Uploads};
use crate::domain::{
    ApplicationId, Document, DocumentType, FileName, INCOMING_PREFIX, STORED_PREFIX, ScanState, Timestamp,
    incoming_prefix, stored_prefix,
};
use crate::http::{ApiError, ErrorCode};
use crate::store::Unavailable;
use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use std::collections::BTreeMap;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// Where the local server takes uploads and serves downloads (outside
/// `/api/`: these are storage, not the contract's API).
pub const UPLOADS: &str = "/local/uploads/";
pub const DOWNLOADS: &str = "/local/downloads/";

/// The files' directory inside the data directory.
pub const DIR: &str = "documents";

/// Uploads never submitted are deleted after this long (S3's lifecycle rule: a day).
pub const INCOMING_SECS: u64 = 24 * 60 * 60;

#[derive(Clone)]
pub struct LocalFiles {
    root: PathBuf,
    secret: [u8; 32],
}

impl std::fmt::Debug for LocalFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFiles").field("root", &self.root).finish_non_exhaustive()
    }
}

/// A storage failure: the kind only (paths hold ids, never names, but the
/// kind is all an operator needs).
fn io(error: std::io::Error) -> Unavailable {
    Unavailable(format!("local files: {}", error.kind()))
}

impl LocalFiles {
    /// The store under `data_dir/documents` (0700).
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let root = data_dir.join(DIR);
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&root)?;
        Ok(LocalFiles { root, secret: rand::random() })
    }

    /// The path of a key, if it is one this store makes: a known prefix and
    /// ULID segments only, so no request can name a path outside the store.
    fn path(&self, key: &str) -> Option<PathBuf> {
        let rest = key.strip_prefix(INCOMING_PREFIX).or_else(|| key.strip_prefix(STORED_PREFIX))?;
        let mut segments = rest.split('/');
        let (Some(application), Some(document), None) = (segments.next(), segments.next(), segments.next())
        else {
            return None;
        };
        let ulid = |s: &str| s.len() == 26 && s.bytes().all(|b| b.is_ascii_alphanumeric());
        (ulid(application) && ulid(document)).then(|| self.root.join(key))
    }

    /// The MAC of a URL's parts, each ended by a NUL so none can run into the next.
    fn mac(&self, parts: &[&str]) -> Hmac<sha2::Sha256> {
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.secret).expect("any key length");
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        mac
    }

    fn sign(&self, parts: &[&str]) -> String {
        crate::keyed::hex(&self.mac(parts).finalize().into_bytes())
    }

    /// In constant time.
    fn verify(&self, parts: &[&str], signature: &str) -> bool {
        hex_bytes(signature).is_some_and(|bytes| self.mac(parts).verify_slice(&bytes).is_ok())
    }

    /// The applications that have kept files.
    pub fn kept_applications(&self) -> Vec<ApplicationId> {
        let Ok(entries) = std::fs::read_dir(self.root.join(STORED_PREFIX)) else { return Vec::new() };
        entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str().and_then(ApplicationId::parse))
            .collect()
    }

    /// Deletes uploads older than a day that no submission kept (S3's
    /// lifecycle rule on `incoming/`), and the kept files of applications
    /// the store no longer has (erased, or deleted by their retention), as
    /// `gone` says. Returns how many files went.
    pub fn sweep(&self, gone: impl Fn(ApplicationId) -> bool) -> std::io::Result<usize> {
        let mut deleted = 0;
        let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(INCOMING_SECS);
        for (prefix, by_age) in [(INCOMING_PREFIX, true), (STORED_PREFIX, false)] {
            let Ok(applications) = std::fs::read_dir(self.root.join(prefix)) else { continue };
            for application in applications.flatten() {
                let Some(id) = application.file_name().to_str().and_then(ApplicationId::parse) else {
                    continue;
                };
                let whole = !by_age && gone(id);
                for file in std::fs::read_dir(application.path())?.flatten() {
                    let old = file.metadata().and_then(|m| m.modified()).is_ok_and(|at| at < cutoff);
                    if whole || (by_age && old) {
                        std::fs::remove_file(file.path())?;
                        // A scan's record is no file of the applicant's.
                        deleted += usize::from(file.path().extension().is_none());
                    }
                }
                let _ = std::fs::remove_dir(application.path()); // only when empty
            }
        }
        Ok(deleted)
    }

    /// Records a malware scan's result for the kept file under `key`, as
    /// GuardDuty tags the object on AWS: beside it, in `<file>.scan` (0600),
    /// which goes with the file's directory. `false`: no such kept file.
    pub fn record_scan(&self, key: &str, status: &str) -> Result<bool, Unavailable> {
        let Some(path) = self.path(key).filter(|_| key.starts_with(STORED_PREFIX)) else { return Ok(false) };
        if !path.is_file() {
            return Ok(false);
        }
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(scan_path(&path))
            .map_err(io)?;
        file.write_all(status.as_bytes()).and_then(|()| file.sync_all()).map_err(io)?;
        Ok(true)
    }

    fn remove(&self, key: &str) -> Result<(), Unavailable> {
        let Some(path) = self.path(key) else { return Ok(()) };
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(io(error)),
        }
    }
}

/// What a valid upload URL allows: exactly `size` bytes of `content_type` into `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadGrant {
    pub path: PathBuf,
    pub size: u64,
}

/// What a valid download URL serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadGrant {
    pub path: PathBuf,
    pub content_type: DocumentType,
    pub file_name: FileName,
}

impl LocalFiles {
    /// What an upload to `key` with this query may write: the signature must
    /// name this key, the request's `Content-Type` and its length (when it
    /// says one), before its expiry. The caller still counts the bytes.
    pub fn upload_grant(
        &self,
        key: &str,
        query: &str,
        content_type: Option<&str>,
        content_length: Option<u64>,
    ) -> Result<UploadGrant, ApiError> {
        const BAD: &str = "アップロード先のURLが正しくありません。";
        let params = params(query);
        let (Some(path), Some(expires), Some(declared_type), Some(size), Some(signature)) = (
            self.path(key).filter(|_| key.starts_with(INCOMING_PREFIX)),
            params.get("expires"),
            params.get("type"),
            params.get("size"),
            params.get("signature"),
        ) else {
            return Err(refused(BAD));
        };
        if !self.verify(&["put", key, declared_type, size, expires], signature) {
            return Err(refused(BAD));
        }
        if !expires.parse::<i64>().is_ok_and(|at| at >= Timestamp::now().epoch()) {
            return Err(refused("アップロードの有効期限が過ぎました。ファイルを選び直してください。"));
        }
        if content_type != Some(declared_type.as_str()) {
            return Err(refused("ファイルの種類がアップロード先と一致しません。"));
        }
        let size: u64 = size.parse().map_err(|_| refused(BAD))?;
        if content_length.is_some_and(|length| length != size) {
            return Err(refused("ファイルの大きさがアップロード先と一致しません。"));
        }
        Ok(UploadGrant { path, size })
    }

    /// What a download of `key` with this query serves, if its signature
    /// holds and its five minutes have not passed.
    pub fn download_grant(&self, key: &str, query: &str) -> Result<DownloadGrant, ApiError> {
        const BAD: &str = "ダウンロード用のURLが正しくありません。";
        let params = params(query);
        let (Some(path), Some(expires), Some(content_type), Some(name), Some(signature)) = (
            self.path(key).filter(|_| key.starts_with(STORED_PREFIX)),
            params.get("expires"),
            params.get("type"),
            params.get("name"),
            params.get("signature"),
        ) else {
            return Err(refused(BAD));
        };
        let (Some(kind), Some(file_name)) = (DocumentType::parse(content_type), FileName::parse(name)) else {
            return Err(refused(BAD));
        };
        let valid = self.verify(&["get", key, content_type, name, expires], signature)
            && expires.parse::<i64>().is_ok_and(|at| at >= Timestamp::now().epoch());
        if !valid {
            return Err(refused(
                "ダウンロード用のURLが無効か、有効期限が過ぎています。画面から開き直してください。",
            ));
        }
        Ok(DownloadGrant { path, content_type: kind, file_name })
    }
}

/// Where a kept file's scan result is recorded ([`LocalFiles::record_scan`]).
fn scan_path(file: &Path) -> PathBuf {
    file.with_extension("scan")
}

fn params(query: &str) -> BTreeMap<String, String> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    text.len().is_multiple_of(2).then_some(())?;
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// A refused upload or download: 403, as S3 answers a request outside its signature.
pub fn refused(message: &'static str) -> ApiError {
    ApiError::new(ErrorCode::Forbidden, message)
}

fn query_of(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

#[async_trait]
impl Uploads for LocalFiles {
    async fn upload_target(&self, document: &Document) -> Result<UploadTarget, Unavailable> {
        let key = document.incoming_key();
        let expires = Timestamp::now().plus_secs(UPLOAD_LINK_SECS as i64).epoch().to_string();
        let mime = document.content_type.mime();
        let size = document.size.to_string();
        let signature = self.sign(&["put", &key, mime, &size, &expires]);
        let query =
            query_of(&[("expires", &expires), ("type", mime), ("size", &size), ("signature", &signature)]);
        let headers = BTreeMap::from([("content-type".to_owned(), mime.to_owned())]);
        Ok(UploadTarget { method: "PUT", url: format!("{UPLOADS}{key}?{query}"), headers })
    }

    async fn arrived(&self, document: &Document) -> Result<Option<Arrived>, Unavailable> {
        for key in [document.incoming_key(), document.stored_key()] {
            let Some(path) = self.path(&key) else { continue };
            match std::fs::File::open(&path) {
                Ok(mut file) => {
                    use std::io::Read;
                    let size = file.metadata().map_err(io)?.len();
                    let mut first = Vec::with_capacity(DocumentType::SIGNATURE_BYTES);
                    (&mut file)
                        .take(DocumentType::SIGNATURE_BYTES as u64)
                        .read_to_end(&mut first)
                        .map_err(io)?;
                    return Ok(Some(Arrived { size, first }));
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(error) => return Err(io(error)),
            }
        }
        Ok(None)
    }

    async fn keep(&self, document: &Document) -> Result<(), Unavailable> {
        let (Some(from), Some(to)) = (self.path(&document.incoming_key()), self.path(&document.stored_key()))
        else {
            return Err(Unavailable("local files: not a document key".into()));
        };
        if !from.exists() && to.exists() {
            return Ok(()); // Kept by an earlier attempt.
        }
        let dir = to.parent().expect("a key has a directory");
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io)?;
        std::fs::rename(from, to).map_err(io)
    }

    async fn discard(&self, document: &Document) -> Result<(), Unavailable> {
        self.remove(&document.incoming_key())
    }
}

#[async_trait]
impl Kept for LocalFiles {
    async fn download_link(&self, document: &Document) -> Result<DownloadLink, Unavailable> {
        let key = document.stored_key();
        let expires_at = Timestamp::now().plus_secs(DOWNLOAD_LINK_SECS as i64);
        let expires = expires_at.epoch().to_string();
        let mime = document.content_type.mime();
        let name = document.file_name.as_str();
        let signature = self.sign(&["get", &key, mime, name, &expires]);
        let query =
            query_of(&[("expires", &expires), ("type", mime), ("name", name), ("signature", &signature)]);
        Ok(DownloadLink { url: format!("{DOWNLOADS}{key}?{query}"), expires_at })
    }

    async fn scan(&self, document: &Document) -> Result<ScanState, Unavailable> {
        let Some(path) = self.path(&document.stored_key()) else { return Ok(ScanState::NotScanned) };
        match std::fs::read_to_string(scan_path(&path)) {
            Ok(tag) => Ok(ScanState::from_tag(tag.trim())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(ScanState::NotScanned),
            Err(error) => Err(io(error)),
        }
    }

    async fn delete_application(&self, application_id: ApplicationId) -> Result<(), Unavailable> {
        for prefix in [stored_prefix(application_id), incoming_prefix(application_id)] {
            match std::fs::remove_dir_all(self.root.join(prefix)) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(io(error)),
            }
        }
        Ok(())
    }

    async fn applications_with_files(&self) -> Result<Vec<ApplicationId>, Unavailable> {
        Ok(self.kept_applications())
    }
}
