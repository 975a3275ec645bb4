//! The local server as the documents' upload target and download server
//! (S3's presigned URLs on AWS): the bytes streamed to and from the data
//! directory under what [`LocalFiles`]'s grants allow, never read whole
//! into memory.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use shared::documents::content_disposition;
use shared::documents::local::{LocalFiles, refused};
use shared::http::ApiError;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Where the local server takes uploads and serves downloads (outside
/// `/api/`: these are storage, not the contract's API).
pub(crate) use shared::documents::local::{DOWNLOADS, UPLOADS};

/// Takes one upload as its grant allows. The bytes are streamed to a
/// temporary file beside the target, which replaces the target only once the
/// whole declared length arrived.
pub(crate) async fn receive(
    files: &LocalFiles,
    key: &str,
    query: &str,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let grant = match files.upload_grant(key, query, content_type, length) {
        Ok(grant) => grant,
        Err(error) => return crate::lambda::to_axum(error.into_response()),
    };
    let dir = grant.path.parent().expect("a key has a directory").to_owned();
    let temporary = dir.join(format!(".{}.part", rand::random::<u64>()));
    let written = match write_stream(&dir, &temporary, body, grant.size).await {
        Ok(()) => std::fs::rename(&temporary, &grant.path).map_err(|_| storage()),
        Err(error) => Err(error),
    };
    match written {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            crate::lambda::to_axum(error.into_response())
        }
    }
}

/// Serves a download of a signed link as an attachment.
pub(crate) async fn serve(files: &LocalFiles, key: &str, query: &str) -> Response {
    let grant = match files.download_grant(key, query) {
        Ok(grant) => grant,
        Err(error) => return crate::lambda::to_axum(error.into_response()),
    };
    let Ok(file) = tokio::fs::File::open(&grant.path).await else {
        return crate::lambda::to_axum(ApiError::not_found().into_response());
    };
    let mut response = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(file)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(grant.content_type.mime()));
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&grant.file_name, grant.content_type)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Streams `body` into `temporary` (created 0600), refusing more or fewer
/// than `size` bytes, then syncs it.
async fn write_stream(dir: &Path, temporary: &Path, body: Body, size: u64) -> Result<(), ApiError> {
    const LENGTH: &str = "ファイルの大きさがアップロード先と一致しません。";
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|_| storage())?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(temporary)
        .map_err(|_| storage())?;
    let mut stream = body.into_data_stream();
    let mut received: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| refused("アップロードが途中で切れました。もう一度お試しください。"))?;
        received += chunk.len() as u64;
        if received > size {
            return Err(refused(LENGTH));
        }
        file.write_all(&chunk).map_err(|_| storage())?;
    }
    if received != size {
        return Err(refused(LENGTH));
    }
    file.sync_all().map_err(|_| storage())
}

fn storage() -> ApiError {
    ApiError::unavailable(shared::http::RETRY_AFTER_SECS)
}
