//! The operator API (`shared::routes::operator_routes`): the list and its
//! search, one application with its history, decisions, corrections, erasure, the CSV
//! export, the audit, the status counts and the caller's own roles. Every route
//! names its operator from the authorizer's claims ([`operator`]), refuses a
//! caller whose role the route's access does not allow (`Access::allows`),
//! and audits what it did, by application id only (`me` excepted: it reads
//! only the caller's own claims). Decisions and erasures are one conditional write each, with
//! their audit entry inside; reads are audited before they are answered.
//!
//! No mail is sent here: on AWS the table's stream drives the result mails
//! (the notify function); the local server passes [`Handler::after_event`],
//! and [`Handler::after_erasure`] to delete an erased application's mails from
//! its outbox.

mod audit;
mod corrections;
mod counts;
mod decisions;
mod desk;
pub mod directory;
mod documents;
mod erasure;
mod export;
mod list;
mod me;
pub mod operator;
mod settings;
mod views;

pub use directory::{CognitoDirectory, Listed, OperatorDirectory};
pub use export::Broken;
pub use settings::{ENV_REJECTED_RETENTION_DAYS, Settings};

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use shared::documents::Kept;
use shared::domain::{ApplicationId, AuditAction, AuditEntry};
use shared::exports::Exports;
use shared::http::{ApiError, ErrorCode};
use shared::keyed::IdentifierKey;
use shared::mail::{AfterEvent, EventHook, MailEvent};
use shared::routes::{ADMIN_EXPORT, AdminOperation};
use shared::store::{Record, Related, Store, Unavailable};
use std::sync::Arc;

/// Whether a detail runs the reviewer's checks ([`Handler::detail`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WithChecks {
    Yes,
    No,
}

/// At most this many related applications in a detail's checks.
pub const RELATED_LIMIT: usize = 20;

/// What runs once an application is erased (or found erased already), before
/// the answer: the local server deletes its mails from the outbox. None on
/// Lambda, where mails live only in the recipients' mailboxes.
pub type AfterErasure =
    Arc<dyn Fn(ApplicationId) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The handler over an injected store, file store and key.
pub struct Handler {
    store: Arc<dyn Store>,
    files: Arc<dyn Kept>,
    key: Arc<IdentifierKey>,
    settings: Settings,
    /// Who may be assigned ([`OperatorDirectory`]); none until one is given.
    directory: Arc<dyn OperatorDirectory>,
    /// The callers' addresses the directory gave, remembered a few minutes.
    addresses: operator::Addresses,
    after_event: EventHook,
    after_erasure: Option<AfterErasure>,
    /// Where the export is written on AWS; `None`: answered whole (in
    /// process) or streamed ([`Handler::export_stream`], the local server).
    exports: Option<Arc<dyn Exports>>,
}

impl Handler {
    pub fn new(
        store: Arc<dyn Store>,
        files: Arc<dyn Kept>,
        key: Arc<IdentifierKey>,
        settings: Settings,
    ) -> Self {
        Handler {
            store,
            files,
            key,
            settings,
            directory: Arc::new(Listed::default()),
            addresses: operator::Addresses::default(),
            after_event: EventHook::default(),
            after_erasure: None,
            exports: None,
        }
    }

    /// Writes the CSV export to `exports` and answers 303 to its link (AWS).
    pub fn exports_to(mut self, exports: Arc<dyn Exports>) -> Self {
        self.exports = Some(exports);
        self
    }

    /// The operators an application may be assigned to (without one, no
    /// assignee is known: every assignment is 422).
    pub fn directory(mut self, directory: Arc<dyn OperatorDirectory>) -> Self {
        self.directory = directory;
        self
    }

    /// Runs `hook` after each erasure ([`AfterErasure`]).
    pub fn after_erasure(mut self, hook: AfterErasure) -> Self {
        self.after_erasure = Some(hook);
        self
    }

    async fn erased(&self, application_id: ApplicationId) {
        if let Some(hook) = &self.after_erasure {
            hook(application_id).await;
        }
    }

    /// Runs `hook` for each decision once it is stored (the local server's mails).
    pub fn after_event(mut self, hook: AfterEvent) -> Self {
        self.after_event = EventHook::new(hook);
        self
    }

    fn stored(&self, event: MailEvent) {
        self.after_event.stored(event);
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let route = shared::routes::operator_routes().find(|(route, _)| route.matches(&path));
        let result = match route {
            None => Err(ApiError::not_found()),
            Some((route, _)) if req.method().as_str() != route.method => {
                Err(ApiError::method_not_allowed(route.method))
            }
            Some((_, operation)) => match self.caller(&req, operation).await {
                Err(error) => Err(error),
                Ok(caller) => self.route(operation, &req, caller).await,
            },
        };
        let response = result.unwrap_or_else(ApiError::into_response);
        tracing::info!(
            route = route.map_or("unknown", |(r, _)| r.path),
            status = response.status().as_u16(),
            "answered"
        );
        response
    }

    /// Every operation of the operator API, and nothing else: a new one does
    /// not compile until it is handled here.
    async fn route(
        &self,
        operation: AdminOperation,
        req: &Request,
        caller: operator::Caller,
    ) -> Result<Response<Body>, ApiError> {
        let actor = caller.actor.clone();
        match operation {
            AdminOperation::List => list::list(self, req, &caller).await,
            AdminOperation::Detail => {
                let id = application_id(req)?;
                self.audit(AuditEntry::now(actor, AuditAction::View, Some(id))).await?;
                self.detail(id, WithChecks::Yes).await
            }
            AdminOperation::Decisions => decisions::decide(self, req, actor).await,
            AdminOperation::Erasure => erasure::erase(self, req, actor).await,
            AdminOperation::Export => match &self.exports {
                Some(exports) => export::export_to(self, exports.as_ref(), req, actor).await,
                None => export::export(self, req, actor).await,
            },
            AdminOperation::Audit => audit::audit(self, req, actor).await,
            AdminOperation::Counts => counts::counts(self, actor).await,
            AdminOperation::Document => documents::download(self, req, actor).await,
            AdminOperation::Me => Ok(me::me(&caller)),
            AdminOperation::Note => desk::note(self, req, actor).await,
            AdminOperation::Assign => desk::assign(self, req, actor).await,
            AdminOperation::Corrections => corrections::correct(self, req, actor).await,
        }
    }

    /// The CSV export as a stream of chunks (the local server; on Lambda,
    /// [`Handler::handle`] writes it to S3 and answers 303). `Err` is the
    /// whole answer.
    pub async fn export_stream(
        &self,
        req: &Request,
    ) -> Result<(Response<Body>, tokio::sync::mpsc::Receiver<Result<Vec<u8>, Broken>>), Response<Body>> {
        if req.method().as_str() != ADMIN_EXPORT.method {
            return Err(ApiError::method_not_allowed(ADMIN_EXPORT.method).into_response());
        }
        let caller = self.caller(req, AdminOperation::Export).await.map_err(ApiError::into_response)?;
        export::export_stream(self, req, caller.actor).await
    }

    /// The operator calling `operation`, or 401/403: an operator's session
    /// for every operation (checked again here, whatever the authorizer
    /// did), and a role the operation's access allows (`Access::allows`, the
    /// one rule); named by their address ([`operator::Addresses`]).
    async fn caller(&self, req: &Request, operation: AdminOperation) -> Result<operator::Caller, ApiError> {
        let caller = operator::operator(req)?;
        if !operation.access().allows(Some(caller.role)) {
            return Err(ApiError::beyond_role());
        }
        Ok(self.addresses.name(self.directory.as_ref(), caller).await)
    }

    /// Appends an audit entry; nothing is answered unless it is stored.
    async fn audit(&self, entry: AuditEntry) -> Result<(), ApiError> {
        self.store.append_audit(&entry).await.map_err(unavailable)
    }

    /// The application's detail (or 404), with the reviewer's checks when
    /// asked: a view runs them; a decision's or an erasure's answer does not
    /// (what other applications share cannot change with this one's status,
    /// and on DynamoDB the check reads every verified application).
    async fn detail(&self, id: ApplicationId, checks: WithChecks) -> Result<Response<Body>, ApiError> {
        let Some((record, history)) = self.store.record(id).await.map_err(unavailable)? else {
            return Err(not_found());
        };
        let checks = match &record {
            Record::Live(stored) if checks == WithChecks::Yes => {
                let query = Related::of(stored, RELATED_LIMIT);
                let related = self.store.related(&query).await.map_err(unavailable)?;
                Some(views::checks(stored, &query, &related))
            }
            Record::Live(_) | Record::Erased(_) => None,
        };
        // Three reads of their own prefixes, none depending on another: at once.
        let (documents, notes, mails) = match &record {
            Record::Live(_) => tokio::try_join!(
                documents::views(self, id),
                async { self.store.notes_of(id).await.map_err(unavailable) },
                async { self.store.mails_of(id).await.map_err(unavailable) },
            )?,
            Record::Erased(_) => (Vec::new(), Vec::new(), Vec::new()),
        };
        let mails = mails.into_iter().map(views::MailView::from).collect();
        let detail = views::detail(&record, &history, checks, documents, notes, mails);
        Ok(shared::http::json(StatusCode::OK, &detail))
    }
}

/// The `{applicationId}` of the path.
fn application_id(req: &Request) -> Result<ApplicationId, ApiError> {
    let params = req.path_parameters();
    let from_params = params.first("applicationId").map(str::to_owned);
    // API Gateway fills in path parameters; the local server and watch pass the raw path.
    let segment = from_params.or_else(|| req.uri().path().split('/').nth(4).map(str::to_owned));
    segment.as_deref().and_then(ApplicationId::parse).ok_or_else(not_found)
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::ApplicationNotFound, "指定された申込は見つかりません。")
}

fn unavailable(error: Unavailable) -> ApiError {
    tracing::error!(%error, "storage unavailable");
    ApiError::unavailable(shared::http::RETRY_AFTER_SECS)
}

/// A query parameter, once (a repeated one is a 400).
fn query_param<'a>(req: &'a Request, name: &str) -> Result<Option<&'a str>, ApiError> {
    let params = req.query_string_parameters_ref();
    let Some(params) = params else { return Ok(None) };
    match params.all(name) {
        Some(values) if values.len() > 1 => {
            Err(ApiError::bad_request(format!("パラメーター {name} は一度だけ指定してください。")))
        }
        Some(values) => Ok(values.first().copied().filter(|v| !v.is_empty())),
        None => Ok(None),
    }
}
