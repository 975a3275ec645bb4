//! The submitted documents of an application: listed in its detail with
//! their scan state, and downloaded through a short-lived link
//! (`GET /api/admin/applications/{applicationId}/documents/{documentId}`,
//! audited `view_document`). A file the malware scan flagged is never handed out.

use super::{Handler, application_id, unavailable};
use crate::views::DocumentView;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use shared::domain::{Actor, ApplicationId, AuditAction, AuditEntry, DocumentId};
use shared::http::{ApiError, ErrorCode};

/// The application's submitted documents with what the scan says of each.
pub(crate) async fn views(handler: &Handler, id: ApplicationId) -> Result<Vec<DocumentView>, ApiError> {
    let documents = handler.store.documents_of(id).await.map_err(unavailable)?;
    // One tag read per file (S3 has no batch of them): all at once, so a
    // detail of ten files waits one round trip, not ten.
    let scans = futures_util::future::try_join_all(documents.iter().map(|d| handler.files.scan(d)))
        .await
        .map_err(unavailable)?;
    Ok(documents.into_iter().zip(scans).map(|(document, scan)| DocumentView::new(document, scan)).collect())
}

pub(crate) async fn download(
    handler: &Handler,
    req: &Request,
    actor: Actor,
) -> Result<Response<Body>, ApiError> {
    let id = application_id(req)?;
    let document_id = document_id(req).ok_or_else(not_found)?;
    let documents = handler.store.documents_of(id).await.map_err(unavailable)?;
    let document = documents.into_iter().find(|d| d.document_id == document_id).ok_or_else(not_found)?;
    let scan = handler.files.scan(&document).await.map_err(unavailable)?;
    if !scan.downloadable() {
        return Err(ApiError::new(
            ErrorCode::DocumentUnsafe,
            "このファイルからマルウェアが検出されたため、ダウンロードできません。申込者に別のファイルの提出を依頼してください。",
        ));
    }
    handler.audit(AuditEntry::now(actor, AuditAction::ViewDocument, Some(id))).await?;
    let link = handler.files.download_link(&document).await.map_err(unavailable)?;
    // A credential for five minutes: `json` answers `Cache-Control: no-store`.
    Ok(shared::http::json(StatusCode::OK, &link))
}

/// The `{documentId}` of the path.
fn document_id(req: &Request) -> Option<DocumentId> {
    let params = req.path_parameters();
    let from_params = params.first("documentId").map(str::to_owned);
    // API Gateway fills in path parameters; the local server passes the raw path.
    let segment = from_params.or_else(|| req.uri().path().split('/').nth(6).map(str::to_owned));
    segment.as_deref().and_then(DocumentId::parse)
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::DocumentNotFound, "指定された提出書類は見つかりません。")
}
