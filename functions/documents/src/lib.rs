//! The documents function (contract v3, *Documents*): the applicant's link
//! `…/documents#token=…` asks what is wanted (`preview`), gets one upload
//! target per file (`uploads`) and submits them (`submission`). The bytes go
//! straight from the browser to storage; this function reads only each
//! file's first bytes. Every answer that acknowledges something comes after
//! the store said it is durable; the mails follow from the stored history
//! entry (the table's stream on AWS, [`Handler::after_event`] locally).

mod settings;

pub use settings::Settings;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::documents::{Mismatch, UploadTarget, Uploads};
use shared::domain::{
    Document, DocumentId, DocumentType, FileName, HistoryAction, MailEvent, ReceptionNumber, Status,
    Timestamp,
};
use shared::http::idempotency::idempotency_key;
use shared::http::{self, ApiError, ErrorCode};
use shared::keyed::{DocumentToken, IdentifierKey, TokenHash};
use shared::limits::{self, Action};
use shared::mail::{AfterEvent, EventHook};
use shared::routes::{Operation, ROUTES, Route};
use shared::store::documents::{
    DocumentsSubmission, OpenRequest, Refusal, RequestState, SubmitDocumentsOutcome, UploadRefusal,
};
use shared::store::{Documents, Intake, Unavailable, plan};
use std::sync::Arc;

/// The handler over injected stores, file storage and key.
pub struct Handler {
    /// The rate limits' counters.
    intake: Arc<dyn Intake>,
    store: Arc<dyn Documents>,
    files: Arc<dyn Uploads>,
    key: Arc<IdentifierKey>,
    settings: Settings,
    after_event: EventHook,
}

/// How a request ended, for the log (never personal data).
type Outcome = &'static str;

impl Handler {
    pub fn new(
        intake: Arc<dyn Intake>,
        store: Arc<dyn Documents>,
        files: Arc<dyn Uploads>,
        key: Arc<IdentifierKey>,
        settings: Settings,
    ) -> Self {
        Handler { intake, store, files, key, settings, after_event: EventHook::default() }
    }

    /// Runs `hook` once for each stored event that must be mailed (the local
    /// server delivers from here; on AWS the table's stream does).
    pub fn after_event(mut self, hook: AfterEvent) -> Self {
        self.after_event = EventHook::new(hook);
        self
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let route = ROUTES.into_iter().find(|route| route.matches(&path));
        let result = match route.map(|route| route.operation) {
            Some(Operation::DocumentsPreview) => self.preview(&req).await,
            Some(Operation::DocumentsUpload) => self.upload(&req).await,
            Some(Operation::DocumentsSubmission) => self.submit(&req).await,
            // Another function's route, or none.
            Some(
                Operation::Validate
                | Operation::Submit
                | Operation::Preview
                | Operation::Confirm
                | Operation::Postal
                | Operation::Admin(_),
            )
            | None => Err(ApiError::not_found()),
        };
        let (response, outcome) = match result {
            Ok(answer) => answer,
            Err(error) => {
                let code: Outcome = error.code.as_str();
                (error.into_response(), code)
            }
        };
        tracing::info!(
            route = route.map_or("unknown", |r| r.path),
            status = response.status().as_u16(),
            outcome,
            "answered"
        );
        response
    }

    /// The method, the body and the rate limit, common to every route.
    async fn begin<'a, T: Deserialize<'a> + HasToken>(
        &self,
        req: &'a Request,
        route: Route,
    ) -> Result<(T, TokenHash), ApiError> {
        http::require_method(req, route.method)?;
        let body: T = http::decode_json(req)?;
        let token = DocumentToken::parse(body.token()).ok_or_else(malformed_token)?;
        let from = limits::Source { client: http::source_ip(req), address: None, key: &self.key };
        limits::admit(self.intake.as_ref(), &self.settings.rate_limits, Action::Verification, &from)
            .await
            .map_err(|reason| unavailable(route.path, &reason))?
            .map_err(|limited| ApiError::too_many_requests(limited.retry_after_secs))?;
        Ok((body, token.hash()))
    }

    async fn state(&self, token: &TokenHash, route: Route) -> Result<RequestState, ApiError> {
        self.store.document_request(token).await.map_err(|reason| unavailable(route.path, &reason))
    }

    async fn preview(&self, req: &Request) -> Result<(Response<Body>, Outcome), ApiError> {
        let route = route_of(Operation::DocumentsPreview);
        let (_, token): (TokenBody, _) = self.begin(req, route).await?;
        let open = open(self.state(&token, route).await?)?;
        let limits = &self.settings.documents;
        let submitted = open.submitted();
        let answer = Preview {
            reception_number: open.application.receipt.reception_number,
            message: open.message.as_ref().map(|m| m.as_str()),
            expires_at: open.request.expires_at,
            status: open.application.status,
            limits: Limits {
                max_files: limits.max_files,
                max_file_bytes: limits.max_file_bytes,
                max_total_bytes: limits.max_total_bytes,
                types: DocumentType::ALL,
            },
            documents: submitted.iter().map(Listed::of).collect(),
        };
        Ok((http::json(StatusCode::OK, &answer), "previewed"))
    }

    async fn upload(&self, req: &Request) -> Result<(Response<Body>, Outcome), ApiError> {
        let route = route_of(Operation::DocumentsUpload);
        let (body, token): (UploadBody, _) = self.begin(req, route).await?;
        let file_name = FileName::parse(&body.file_name).ok_or_else(bad_file_name)?;
        let content_type = DocumentType::parse(&body.content_type).ok_or_else(unsupported_type)?;
        let state = self.state(&token, route).await?;
        let limits = &self.settings.documents;
        let document = plan::upload(state, file_name, content_type, body.size, limits, Timestamp::now())
            .map_err(|refusal| upload_refused(refusal, limits))?;
        self.store.add_upload(&document).await.map_err(|reason| unavailable(route.path, &reason))?;
        let upload =
            self.files.upload_target(&document).await.map_err(|reason| unavailable(route.path, &reason))?;
        let answer = Issued { document_id: document.document_id, upload };
        Ok((http::json(StatusCode::CREATED, &answer), "issued"))
    }

    async fn submit(&self, req: &Request) -> Result<(Response<Body>, Outcome), ApiError> {
        let route = route_of(Operation::DocumentsSubmission);
        http::require_method(req, route.method)?;
        let idempotency_key = idempotency_key(req.headers())?;
        let (body, token): (SubmissionBody, _) = self.begin(req, route).await?;
        let document_ids: Vec<DocumentId> = body
            .document_ids
            .iter()
            .map(|id| DocumentId::parse(id))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                ApiError::bad_request("documentIds に正しくない値があります。ページを開き直してください。")
            })?;
        let ids_text: Vec<String> = document_ids.iter().map(ToString::to_string).collect();
        let request_hash =
            self.key.request_hash(format!("{}\n{}", token.as_str(), ids_text.join(",")).as_bytes());
        let limits = self.settings.documents;
        let submission = DocumentsSubmission {
            token: token.clone(),
            idempotency_key,
            request_hash,
            document_ids,
            limits,
            at: Timestamp::now(),
        };
        // The files are checked only while the request waits for them; once
        // submitted, the store answers the replay (or 409) by itself.
        if let RequestState::Open(open) = self.state(&token, route).await?
            && open.application.status == Status::DocumentsRequested
        {
            let chosen =
                plan::select(&open, &submission.document_ids, &limits).map_err(|r| refused(r, &limits))?;
            self.check(&chosen, route).await?;
            for document in &chosen {
                self.files.keep(document).await.map_err(|reason| unavailable(route.path, &reason))?;
            }
        }
        let outcome = self
            .store
            .submit_documents(&submission)
            .await
            .map_err(|reason| unavailable(route.path, &reason))?;
        let (application, documents, outcome) = match outcome {
            SubmitDocumentsOutcome::Submitted(application, documents) => {
                let id = application.id();
                self.after_event.stored(MailEvent::Recorded(
                    id,
                    application.version,
                    HistoryAction::SubmitDocuments,
                ));
                (application, documents, "submitted")
            }
            SubmitDocumentsOutcome::Replayed(application, documents) => (application, documents, "replayed"),
            SubmitDocumentsOutcome::KeyReused => return Err(key_reused()),
            SubmitDocumentsOutcome::NotWaiting(_) => return Err(already_submitted()),
            SubmitDocumentsOutcome::Refused(refusal) => return Err(refused(refusal, &limits)),
            SubmitDocumentsOutcome::Expired => return Err(expired()),
            SubmitDocumentsOutcome::NotFound => return Err(not_found()),
        };
        let answer = Submitted {
            status: application.status,
            reception_number: application.receipt.reception_number,
            documents: documents.iter().map(Listed::of).collect(),
        };
        Ok((http::json(StatusCode::OK, &answer), outcome))
    }

    /// Each chosen file arrived, is its declared size and begins with its
    /// type's signature; one that is not is deleted and named.
    async fn check(&self, chosen: &[Document], route: Route) -> Result<(), ApiError> {
        for document in chosen {
            let arrived =
                self.files.arrived(document).await.map_err(|reason| unavailable(route.path, &reason))?;
            let checked = arrived.ok_or(Mismatch::Missing).and_then(|arrived| arrived.check(document));
            match checked {
                Ok(()) => {}
                Err(Mismatch::Missing) => {
                    return Err(ApiError::new(
                        ErrorCode::DocumentMissing,
                        "アップロードが完了していないファイルがあります。もう一度アップロードしてから提出してください。",
                    )
                    .about_document(document.document_id));
                }
                Err(Mismatch::Content) => {
                    self.files.discard(document).await.map_err(|reason| unavailable(route.path, &reason))?;
                    tracing::info!(document = %document.document_id, "content mismatch: deleted");
                    return Err(ApiError::new(
                        ErrorCode::DocumentContentMismatch,
                        "ファイルの中身が種類(PDF・JPEG・PNG)と一致しないため、受け付けられませんでした。このファイルを削除し、正しいファイルを選び直してください。",
                    )
                    .about_document(document.document_id));
                }
            }
        }
        Ok(())
    }
}

fn route_of(operation: Operation) -> Route {
    ROUTES.into_iter().find(|route| route.operation == operation).expect("every operation has its route")
}

trait HasToken {
    fn token(&self) -> &str;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UploadBody {
    token: String,
    file_name: String,
    content_type: String,
    size: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SubmissionBody {
    token: String,
    document_ids: Vec<String>,
}

impl HasToken for TokenBody {
    fn token(&self) -> &str {
        &self.token
    }
}
impl HasToken for UploadBody {
    fn token(&self) -> &str {
        &self.token
    }
}
impl HasToken for SubmissionBody {
    fn token(&self) -> &str {
        &self.token
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Preview<'a> {
    reception_number: ReceptionNumber,
    message: Option<&'a str>,
    expires_at: Timestamp,
    status: Status,
    limits: Limits,
    documents: Vec<Listed<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Limits {
    max_files: usize,
    max_file_bytes: u64,
    max_total_bytes: u64,
    types: [DocumentType; 3],
}

/// A document as the applicant's page lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed<'a> {
    document_id: DocumentId,
    file_name: &'a FileName,
    content_type: DocumentType,
    size: u64,
}

impl<'a> Listed<'a> {
    fn of(document: &'a Document) -> Self {
        Listed {
            document_id: document.document_id,
            file_name: &document.file_name,
            content_type: document.content_type,
            size: document.size,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Issued {
    document_id: DocumentId,
    upload: UploadTarget,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Submitted<'a> {
    status: Status,
    reception_number: ReceptionNumber,
    documents: Vec<Listed<'a>>,
}

fn open(state: RequestState) -> Result<OpenRequest, ApiError> {
    match state {
        RequestState::Open(open) => Ok(open),
        RequestState::Expired => Err(expired()),
        RequestState::NotFound => Err(not_found()),
    }
}

/// Storage could not answer: logged without detail that could carry data, 503.
fn unavailable(route: &'static str, reason: &Unavailable) -> ApiError {
    tracing::warn!(route, %reason, "storage unavailable");
    ApiError::unavailable(http::RETRY_AFTER_SECS)
}

fn megabytes(bytes: u64) -> String {
    format!("{}MB", bytes.div_ceil(1024 * 1024))
}

fn upload_refused(refusal: UploadRefusal, limits: &shared::domain::DocumentLimits) -> ApiError {
    match refusal {
        UploadRefusal::NotFound => not_found(),
        UploadRefusal::Expired => expired(),
        UploadRefusal::NotWaiting => already_submitted(),
        UploadRefusal::TooLarge => ApiError::new(
            ErrorCode::FileTooLarge,
            format!(
                "ファイルが大きすぎます。1ファイル{}以内にしてください。",
                megabytes(limits.max_file_bytes)
            ),
        ),
        UploadRefusal::Empty => ApiError::new(
            ErrorCode::EmptyFile,
            "空のファイルは提出できません。ファイルを選び直してください。",
        ),
        UploadRefusal::TooMany => ApiError::new(
            ErrorCode::TooManyFiles,
            "アップロードの回数が上限に達しました。ページを開き直しても解決しない場合は、窓口にお問い合わせください。",
        ),
    }
}

fn refused(refusal: Refusal, limits: &shared::domain::DocumentLimits) -> ApiError {
    match refusal {
        Refusal::Count => ApiError::new(
            ErrorCode::TooManyFiles,
            format!("提出できるファイルは1〜{}件です。", limits.max_files),
        ),
        Refusal::TotalSize => ApiError::new(
            ErrorCode::FileTooLarge,
            format!(
                "ファイルの合計が大きすぎます。合計{}以内にしてください。",
                megabytes(limits.max_total_bytes)
            ),
        ),
        Refusal::Unknown(id) => ApiError::new(
            ErrorCode::DocumentMissing,
            "このページでアップロードされていないファイルが含まれています。ファイルを選び直してください。",
        )
        .about_document(id),
    }
}

fn malformed_token() -> ApiError {
    ApiError::bad_request(
        "資料提出用リンクの形式が正しくありません。メールに記載されたリンクを、そのまま開いてください。",
    )
}

fn bad_file_name() -> ApiError {
    ApiError::bad_request(
        "ファイル名は1〜200文字で、制御文字・見えない文字・「/」「\\」を含まないものにしてください。ファイル名を変えてから選び直してください。",
    )
}

fn unsupported_type() -> ApiError {
    ApiError::new(ErrorCode::UnsupportedType, "提出できるファイルの種類は PDF・JPEG・PNG です。")
}

fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::DocumentRequestNotFound,
        "この資料提出用リンクは無効です。新しいご依頼で置き換えられたか、お申し込みが削除されています。最新のメールのリンクを開いてください。",
    )
}

fn expired() -> ApiError {
    ApiError::new(
        ErrorCode::DocumentRequestExpired,
        "この資料提出用リンクは有効期限が過ぎています。お手数ですが、窓口にお問い合わせください。",
    )
}

fn already_submitted() -> ApiError {
    ApiError::new(
        ErrorCode::DocumentsAlreadySubmitted,
        "このご依頼の資料は提出済みです。追加の資料が必要な場合は、窓口からあらためてご連絡します。",
    )
}

fn key_reused() -> ApiError {
    ApiError::new(
        ErrorCode::IdempotencyKeyReused,
        "この送信の識別情報(Idempotency-Key)は、別の内容で使われています。ページを開き直してから提出してください。",
    )
}
