//! The local server: every route of the contract, served by the very handler
//! functions the Lambda binaries run, plus the form in `web/`. It holds no
//! logic of its own: it only converts between axum and `lambda_http` types.
//!
//! It is reachable by whoever can reach its port, so it guards what Lambda and
//! API Gateway guard on AWS: a client has [`HEADER_READ_TIMEOUT`] to send a
//! request's head and [`BODY_READ_TIMEOUT`] for its body; the data directory
//! and every file of personal data in it are the owner's only (0700, 0600);
//! expired idempotency records are purged, as DynamoDB's TTL does.
//!
//! It is also the operators' authorizer ([`operators`]): accounts, sign-in and
//! sessions in the data directory's database, where Cognito and the HTTP API's
//! JWT authorizer stand on AWS.

pub mod operators;
pub mod samples;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::HeaderValue;
use http::header;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use shared::aws::load_sdk_config;
use shared::http::{self as api_http, ApiError, CONTENT_SECURITY_POLICY, MAX_BODY_BYTES};
use shared::keyed::IdentifierKey;
use shared::mail::{self, MailConfig, MailEvent, Mailer, OutboxMailer, Postman, SesMailer};
use shared::routes::{AdminOperation, Operation, ROUTES, Route, cors, local_sessions};
use shared::store::Store;
use shared::store::dynamodb::{DynamoStore, create_table};
use shared::store::sqlite::{self, SqliteStore};
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// How long a client may take to send a request's head (request line and
/// headers), and how long a kept-alive connection may wait for its next
/// request: hyper runs one timer for both. A client that sends half a request
/// and waits (slowloris) is disconnected then, instead of holding a connection
/// and its task for ever. A browser sends its whole head at once.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to send a body (at most 16 KiB): the slow variant
/// of the same attack, answered 408.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How often expired idempotency records are purged, after the purge at start.
pub const PURGE_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Where applications are stored and mails go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite and `.eml` files under the data directory: no account, no network.
    Embedded,
    /// DynamoDB (`TABLE_NAME`) and SES v2, at `AWS_ENDPOINT_URL` if set.
    Aws,
}

/// Where the local server listens and keeps its data.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// The form's static files.
    pub web_dir: PathBuf,
    /// Applications and mails are kept here (embedded backend).
    pub data_dir: PathBuf,
    pub backend: Backend,
    /// With [`Backend::Aws`]: create the table (as the SAM template would) if it
    /// does not exist, for runs against moto.
    pub create_table: bool,
    /// Origins of a form hosted elsewhere that may call the API (CORS), as the
    /// template's `AllowedOrigins`; empty means same-origin only.
    pub allowed_origins: Vec<String>,
    /// Rate limits and the verification link's lifetime (the functions'
    /// environment variables; [`submit::Settings::from_env`] in `main`).
    pub settings: submit::Settings,
    /// The operator API's settings (`REJECTED_RETENTION_DAYS`, as on Lambda).
    pub admin_settings: admin::Settings,
    /// [`HEADER_READ_TIMEOUT`] unless a test shortens it.
    pub header_read_timeout: Duration,
    /// [`BODY_READ_TIMEOUT`] unless a test shortens it.
    pub body_read_timeout: Duration,
    /// [`PURGE_EVERY`] unless a test shortens it.
    pub purge_every: Duration,
    /// How long an operator's session lasts: [`operators::SESSION_TTL`]
    /// unless a test shortens it.
    pub operator_session_ttl: Duration,
    /// When repeated wrong passwords lock an address ([`operators::Lockout`]).
    pub operator_lockout: operators::Lockout,
    /// How the console signs in (`/admin/config.json`): the local server's
    /// own accounts. A test may name an OAuth server standing in for Cognito
    /// instead (whose access tokens must then be this server's session
    /// tokens); the console's pages then allow fetching its token endpoint.
    pub console: api_http::console::ConsoleConfig,
}

impl Config {
    /// 127.0.0.1 on `port`, the checkout's `web/`, the embedded backend in `data_dir`.
    pub fn new(port: u16, data_dir: impl Into<PathBuf>) -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            web_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../web")),
            data_dir: data_dir.into(),
            backend: Backend::Embedded,
            create_table: false,
            allowed_origins: Vec::new(),
            settings: submit::Settings::default(),
            admin_settings: admin::Settings::default(),
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            purge_every: PURGE_EVERY,
            operator_session_ttl: operators::SESSION_TTL,
            operator_lockout: operators::Lockout::default(),
            console: api_http::console::ConsoleConfig::Password,
        }
    }
}

/// Sender settings for local runs, unless the environment sets them
/// (`MAIL_FROM`, `MAIL_REPLY_TO`, `MAIL_OPERATOR`, …, as on Lambda).
const LOCAL_MAIL_DEFAULTS: [(&str, &str); 4] = [
    (mail::ENV_FROM, "partner-desk@example.com"),
    (mail::ENV_FROM_NAME, "パートナー登録窓口"),
    (mail::ENV_REPLY_TO, "partner-desk@example.com"),
    (mail::ENV_OPERATOR, "operator@example.com"),
];

/// The functions' handlers with their dependencies, built once.
struct Functions {
    submit: submit::Handler,
    admin: admin::Handler,
    body_read_timeout: Duration,
    operators: Arc<operators::api::Operators>,
}

/// What the server was started with, to tell the person who started it.
#[derive(Debug, Clone)]
pub struct Locations {
    pub applications: String,
    pub mails: String,
}

/// What mails are delivered with, shared by the deliveries in flight.
#[derive(Clone)]
struct Delivery {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    config: Arc<MailConfig>,
    key: Arc<IdentifierKey>,
    tasks: TaskTracker,
}

impl Delivery {
    /// Delivers the mails of `event` in the background (tracked, so shutdown waits).
    fn spawn(&self, event: MailEvent) {
        let delivery = self.clone();
        self.tasks.spawn(async move {
            let postman = Postman {
                store: &*delivery.store,
                mailer: &*delivery.mailer,
                config: &delivery.config,
                key: &delivery.key,
            };
            if let Err(error) = mail::deliver(&postman, event).await {
                tracing::error!(subject = %event.subject(), %error, "mail delivery failed");
            }
        });
    }
}

/// Builds the store, the key and the mailer for `backend`, and a submit
/// handler that delivers the mails through the shared delivery policy after
/// each stored event (on AWS the table's stream does that, in the notify
/// function). Mails that a previous run stored but did not send go out now.
async fn functions(
    config: &Config,
    public_base_url: &str,
    deliveries: &TaskTracker,
    operators: operators::api::Operators,
) -> anyhow::Result<(Functions, Locations, Option<JoinHandle<()>>)> {
    let defaults = mail::pairs(&LOCAL_MAIL_DEFAULTS);
    let mail_config = MailConfig::from_lookup(|name| {
        std::env::var(name)
            .ok()
            .or_else(|| defaults(name))
            .or_else(|| (name == mail::ENV_PUBLIC_BASE_URL).then(|| public_base_url.to_owned()))
    })?;
    let mut purger = None;
    let (store, mailer, key, locations): (Arc<dyn Store>, Arc<dyn Mailer>, IdentifierKey, Locations) =
        match config.backend {
            Backend::Embedded => {
                private_database(&config.data_dir)?;
                let store = Arc::new(SqliteStore::open_dir(&config.data_dir)?);
                purger = Some(purge_expired(Arc::clone(&store), config.purge_every).await?);
                let mailer = OutboxMailer::new(&config.data_dir);
                let key = IdentifierKey::load_or_create(&config.data_dir)?;
                let locations = Locations {
                    applications: store.path().display().to_string(),
                    mails: mailer.dir().display().to_string(),
                };
                (store, Arc::new(mailer), key, locations)
            }
            Backend::Aws => {
                let sdk = load_sdk_config().await.map_err(anyhow::Error::msg)?;
                let store = DynamoStore::from_env(&sdk).map_err(anyhow::Error::msg)?;
                let exists = store.client().describe_table().table_name(store.table()).send().await.is_ok();
                if config.create_table && !exists {
                    create_table(store.client(), store.table()).await?;
                }
                // The deployed key when the secret is named, else the data directory's.
                let key = if std::env::var(shared::keyed::SECRET_ENV).is_ok_and(|name| !name.is_empty()) {
                    shared::keyed::from_secrets_manager(&sdk).await?
                } else {
                    IdentifierKey::load_or_create(&config.data_dir)?
                };
                let mailer = SesMailer::from_sdk(&sdk, mail_config.configuration_set.clone());
                let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "AWS".to_owned());
                let locations = Locations {
                    applications: format!("DynamoDB table {} at {endpoint}", store.table()),
                    mails: format!("SES v2 at {endpoint}"),
                };
                (Arc::new(store), Arc::new(mailer), key, locations)
            }
        };
    let key = Arc::new(key);
    let delivery = Delivery {
        store: Arc::clone(&store),
        mailer,
        config: Arc::new(mail_config),
        key: Arc::clone(&key),
        tasks: deliveries.clone(),
    };
    // At least once: what was stored but not mailed before a crash or a kill.
    let pending = store.pending_mail().await?;
    if !pending.is_empty() {
        tracing::info!(events = pending.len(), "delivering mails a previous run did not send");
    }
    for event in pending {
        delivery.spawn(event);
    }
    let operators = Arc::new(operators.with_audit(Arc::clone(&store)));
    let decisions = delivery.clone();
    let admin = admin::Handler::new(Arc::clone(&store), Arc::clone(&key), config.admin_settings)
        .after_event(Arc::new(move |event| decisions.spawn(event)));
    let submit = submit::Handler::new(store, key, config.settings)
        .after_event(Arc::new(move |event| delivery.spawn(event)));
    let functions = Functions { submit, admin, body_read_timeout: config.body_read_timeout, operators };
    Ok((functions, locations, purger))
}

/// Purges every expired record now (a failure stops the start: the
/// store is unusable), then every `period` in a task of its own (a failure is
/// logged and retried at the next period).
async fn purge_expired(store: Arc<SqliteStore>, period: Duration) -> anyhow::Result<JoinHandle<()>> {
    let purged = store.purge_expired().await.map_err(|e| anyhow::anyhow!("purging expired records: {e}"))?;
    tracing::info!(purged, "expired records purged");
    Ok(tokio::spawn(async move {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            every.tick().await;
            match store.purge_expired().await {
                Ok(purged) => tracing::info!(purged, "expired records purged"),
                Err(error) => tracing::warn!(%error, "purging expired records failed"),
            }
        }
    }))
}

/// Creates `dir` and its missing parents 0700: it holds personal data. The
/// mode is set again after creation, so the umask cannot widen nor narrow it.
/// A directory that exists is left as it is (it may be shared, like /tmp),
/// with a warning when others may enter it.
pub(crate) fn private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        let mode = dir.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(mode = format!("{:o}", mode & 0o777), "the data directory is open to other users");
        }
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// The SQLite database and its `-wal` and `-shm` files, 0600. The database is
/// created empty with that mode before SQLite opens it (SQLite would create it
/// 0644), and SQLite gives the `-wal` and `-shm` files it creates the mode of
/// the database; files left by an older run are tightened.
pub(crate) fn private_database(data_dir: &Path) -> anyhow::Result<()> {
    let database = data_dir.join(sqlite::FILE_NAME);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&database)
        .with_context(|| format!("creating {}", database.display()))?;
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", database.display()));
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("restricting {}", path.display()))?;
        }
    }
    Ok(())
}

/// A server that is running; dropping it does not stop it, [`Running::shutdown`] does.
pub struct Running {
    pub addr: SocketAddr,
    pub locations: Locations,
    /// The operator this start created, there being none (its password is
    /// also kept in the data directory's [`operators::FIRST_OPERATOR_FILE`]).
    pub first_operator: Option<operators::FirstOperator>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    deliveries: TaskTracker,
    purger: Option<JoinHandle<()>>,
}

impl Running {
    /// The form's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The operators' console.
    pub fn console_url(&self) -> String {
        console_url(self.addr)
    }

    /// What `main` prints once the server is up: where the form, the console,
    /// the data and the mails are, and the operator created at this start.
    pub fn banner(&self) -> Vec<String> {
        let mut lines = vec![
            format!("パートナー登録フォーム: {}", self.url()),
            format!("運用者コンソール:       {}", self.console_url()),
            format!("applications: {}", self.locations.applications),
            format!("mails:        {}", self.locations.mails),
        ];
        if let Some(first) = &self.first_operator {
            lines.push(format!("運用者アカウントを作成しました: {}", first.email));
            lines.push(format!("パスワード: {}", first.password));
            lines.push(format!(
                "(the account and its password are kept in {}, readable by you only; \
                 `cargo run --release -p local -- operator add EMAIL` adds or resets operators)",
                first.file.display()
            ));
        }
        lines.push("Ctrl-C stops the server after the requests in flight.".to_owned());
        lines
    }

    /// Stops accepting connections and waits for requests in flight, and the
    /// mails they started, to complete.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await.context("server task")??;
        if let Some(purger) = self.purger {
            purger.abort();
        }
        self.deliveries.close();
        self.deliveries.wait().await;
        Ok(())
    }

    /// Runs until `signal` resolves, then shuts down gracefully.
    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        self.shutdown().await
    }
}

/// Binds, builds the handlers' dependencies and starts serving in the background.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    private_dir(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    let listener =
        TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
    let addr = listener.local_addr()?;
    let deliveries = TaskTracker::new();
    // Operators live in the data directory's database whichever the backend:
    // the local server is their authorizer in both cases.
    private_database(&config.data_dir)?;
    let operator_db = operators::OperatorDb::open_dir(&config.data_dir)?;
    let first_operator =
        operators::ensure_first_operator(&operator_db, &config.data_dir, &console_url(addr)).await?;
    let operator_api =
        operators::api::Operators::new(operator_db, config.operator_session_ttl, config.operator_lockout)?;
    let (functions, locations, purger) =
        functions(&config, &format!("http://{addr}"), &deliveries, operator_api).await?;
    let app = match router(Arc::new(functions), &config) {
        Ok(app) => app,
        Err(error) => {
            // No Running to stop it: the purge task would outlive the failed start.
            if let Some(purger) = purger {
                purger.abort();
            }
            return Err(error);
        }
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, app, config.header_read_timeout, stopped));
    Ok(Running { addr, locations, first_operator, stop, task, deliveries, purger })
}

fn console_url(addr: SocketAddr) -> String {
    format!("http://{addr}/admin/")
}

/// Serves HTTP/1.1 until `stopped`, then waits for the requests in flight.
/// hyper's own connection builder rather than `axum::serve`, which sets no
/// timer, so no header-read timeout: a half-sent request held its connection
/// for ever. HTTP/1 only: browsers speak nothing else over plain HTTP.
async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    stopped: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stopped);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: back off instead of spinning.
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stopped => break,
        };
        // Small JSON answers: no Nagle delay (as axum::serve does).
        let _ = stream.set_nodelay(true);
        // The peer's address, for the handlers' `requestContext.http.sourceIp`.
        let service = app.clone().map_request(move |mut req: http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let connection =
            graceful.watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            // A timed-out, reset or malformed connection is the client's doing.
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn router(functions: Arc<Functions>, config: &Config) -> anyhow::Result<Router> {
    let mut api = Router::new();
    for route in ROUTES {
        // Every method reaches the handler, which answers a wrong one with 405.
        api = api.route(route.path, any(move |state, peer, req| call(state, peer, route, req)));
    }
    // Local only, and so not in ROUTES (nor the template): on AWS Cognito
    // signs operators in and the HTTP API's JWT authorizer checks their
    // tokens; here the local server does both.
    api = api
        .route(
            local_sessions::SIGN_IN,
            any(|state, peer, req| operator(state, peer, OperatorRoute::SignIn, req)),
        )
        .route(
            local_sessions::CURRENT,
            any(|state, peer, req| operator(state, peer, OperatorRoute::Current, req)),
        )
        .route(
            local_sessions::SIGN_OUT,
            any(|state, peer, req| operator(state, peer, OperatorRoute::SignOut, req)),
        );
    let static_files = ServeDir::new(&config.web_dir).append_index_html_on_directories(true);
    let console = Arc::new(config.console.clone());
    let console_policy = HeaderValue::from_str(&config.console.content_security_policy())?;
    let app = api
        // The console signs in here with a password (on AWS the web function
        // answers Cognito's settings instead).
        .route(api_http::console::CONFIG_PATH, any(move |method| console_config(console.clone(), method)))
        .route("/api/{*rest}", any(|| async { to_axum(ApiError::not_found().into_response()) }))
        .with_state(functions)
        .fallback(move |req: Request| static_file(static_files.clone(), console_policy.clone(), req))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(axum::middleware::map_response(secure_headers));
    Ok(match cors_layer(&config.allowed_origins)? {
        Some(layer) => app.layer(layer),
        None => app,
    })
}

/// `GET /admin/config.json`: the console signs in with the local server's
/// `POST /api/admin/sessions` (unless [`Config::console`] says otherwise).
async fn console_config(console: Arc<api_http::console::ConsoleConfig>, method: http::Method) -> Response {
    match method {
        http::Method::GET | http::Method::HEAD => to_axum(console.response()),
        _ => to_axum(ApiError::method_not_allowed("GET, HEAD").into_response()),
    }
}

/// The web function's headers on every answer: nosniff, the referrer and
/// permissions policies (`shared::http::secure`; no HSTS over plain HTTP).
async fn secure_headers(mut response: Response) -> Response {
    api_http::secure(response.headers_mut());
    response
}

/// A file of `web/` that the page needs (`shared::http::site`, as the web
/// function serves them), with a UTF-8 charset on text; the contract's 404 for
/// anything else, `web/README.md` among them. The path is percent-decoded first,
/// as `ServeDir` decodes it (`/README%2Emd` is `README.md`).
async fn static_file(files: ServeDir, console_policy: HeaderValue, req: Request) -> Response {
    let decoded = percent_encoding::percent_decode_str(req.uri().path()).decode_utf8();
    if !decoded.is_ok_and(|path| api_http::site::served_file(&path).is_some()) {
        return to_axum(ApiError::not_found().into_response());
    }
    let console_page = api_http::console::is_console_path(req.uri().path());
    let Ok(mut response) = files.oneshot(req).await;
    if let Some(essence) = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
        && let Ok(value) = HeaderValue::from_str(&api_http::site::content_type(essence))
    {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    if console_page {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, console_policy);
    }
    response.into_response()
}

fn parsed<T>(names: &[&str]) -> anyhow::Result<Vec<T>>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    Ok(names.iter().map(|n| n.parse()).collect::<Result<_, _>>()?)
}

/// API Gateway's CORS as the template configures it (shared::routes::cors).
fn cors_layer(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let origins = origins.iter().map(|o| HeaderValue::from_str(o)).collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods(parsed::<http::Method>(&cors::ALLOW_METHODS)?)
            .allow_headers(parsed::<header::HeaderName>(&cors::ALLOW_HEADERS)?)
            .expose_headers(parsed::<header::HeaderName>(&cors::EXPOSE_HEADERS)?)
            .max_age(std::time::Duration::from_secs(cors::MAX_AGE_SECS)),
    ))
}

/// The request as a handler takes it, its body read within the body timeout
/// (408 after it), or the error answer.
async fn read_request(
    functions: &Functions,
    req: Request,
    peer: SocketAddr,
) -> Result<lambda_http::Request, Response> {
    match tokio::time::timeout(functions.body_read_timeout, to_lambda(req, peer)).await {
        Ok(Ok(req)) => Ok(req),
        Ok(Err(error)) => Err(to_axum(error.into_response())),
        Err(_) => Err(to_axum(ApiError::request_timeout().into_response())),
    }
}

async fn call(
    State(functions): State<Arc<Functions>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    route: Route,
    req: Request,
) -> Response {
    let mut req = match read_request(&functions, req, peer).await {
        Ok(req) => req,
        Err(response) => return response,
    };
    if route.access().needs_session() {
        // The local server is the authorizer: the same claims as API Gateway's.
        match functions.operators.authorize(req.headers()).await {
            Ok(claims) => with_claims(&mut req, &claims),
            Err(error) => return to_axum(error.into_response()),
        }
    }
    let response = match route.operation {
        Operation::Validate => validate::handle(req).await,
        Operation::Submit | Operation::Preview | Operation::Confirm => functions.submit.handle(req).await,
        Operation::Postal => postal::handle(req).await,
        // Streamed here; on Lambda the admin function answers it whole.
        Operation::Admin(AdminOperation::Export) => return export(&functions, &req).await,
        Operation::Admin(
            AdminOperation::List
            | AdminOperation::Detail
            | AdminOperation::Decisions
            | AdminOperation::Erasure
            | AdminOperation::Audit
            | AdminOperation::Counts,
        ) => functions.admin.handle(req).await,
    };
    to_axum(response)
}

/// The CSV export, streamed as the admin handler reads it (on Lambda it is
/// one answer): memory holds a few pages, whatever the number of rows.
async fn export(functions: &Functions, req: &lambda_http::Request) -> Response {
    match functions.admin.export_stream(req).await {
        Err(response) => to_axum(response),
        Ok((head, chunks)) => {
            let (parts, _) = head.into_parts();
            let stream = futures_util::stream::unfold(chunks, |mut chunks| async move {
                chunks
                    .recv()
                    .await
                    .map(|chunk| (Ok::<_, std::convert::Infallible>(Bytes::from(chunk)), chunks))
            });
            Response::from_parts(parts, axum::body::Body::from_stream(stream))
        }
    }
}

/// Puts an operator's claims where API Gateway's JWT authorizer puts them.
fn with_claims(req: &mut lambda_http::Request, claims: &operators::account::OperatorClaims) {
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    };
    use lambda_http::request::RequestContext;
    let Some(RequestContext::ApiGatewayV2(context)) = req.extensions_mut().get_mut::<RequestContext>() else {
        return;
    };
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims.insert(admin::operator::USERNAME_CLAIM.to_owned(), claims.email.to_string());
    jwt.claims.insert(admin::operator::GROUPS_CLAIM.to_owned(), format!("[{}]", claims.groups.join(" ")));
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    context.authorizer = Some(authorizer);
}

/// The local server's own operator routes ([`operators::api`]).
#[derive(Debug, Clone, Copy)]
enum OperatorRoute {
    SignIn,
    Current,
    SignOut,
}

async fn operator(
    State(functions): State<Arc<Functions>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    route: OperatorRoute,
    req: Request,
) -> Response {
    let req = match read_request(&functions, req, peer).await {
        Ok(req) => req,
        Err(response) => return response,
    };
    let operators = &functions.operators;
    to_axum(match route {
        OperatorRoute::SignIn => operators.sign_in(&req).await,
        OperatorRoute::Current => operators.current(&req).await,
        OperatorRoute::SignOut => operators.sign_out(&req).await,
    })
}

/// Reads the body (at most one byte over the contract's limit, so the handler
/// still answers 413) and rebuilds the request as API Gateway would hand it
/// over, with the peer's address as `requestContext.http.sourceIp`.
async fn to_lambda(req: Request, peer: SocketAddr) -> Result<lambda_http::Request, ApiError> {
    use lambda_http::RequestExt;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    let (parts, body) = req.into_parts();
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http.method = parts.method.clone();
    context.http.path = Some(parts.uri.path().to_owned());
    context.http.source_ip = Some(peer.ip().to_string());
    let bytes: Bytes =
        axum::body::to_bytes(body, MAX_BODY_BYTES + 1).await.map_err(|_| ApiError::payload_too_large())?;
    let body =
        if bytes.is_empty() { lambda_http::Body::Empty } else { lambda_http::Body::Binary(Vec::from(bytes)) };
    let query = query_parameters(parts.uri.query());
    Ok(lambda_http::Request::from_parts(parts, body)
        .with_query_string_parameters(query)
        .with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(context)))
}

/// The query string as API Gateway hands it to a function: decoded, every
/// value of a repeated name kept (the handlers refuse repeats). `lambda_http`
/// reads parameters from this extension, never from the URI, so without it
/// every filter of the operator list was silently ignored here.
fn query_parameters(query: Option<&str>) -> std::collections::HashMap<String, Vec<String>> {
    let mut parameters = std::collections::HashMap::<String, Vec<String>>::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        parameters.entry(name.into_owned()).or_default().push(value.into_owned());
    }
    parameters
}

fn to_axum(response: lambda_http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(text) => Bytes::from(text),
        lambda_http::Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    (parts, bytes).into_response()
}
