//! The local server: every route of the contract, served by the very handler
//! functions the Lambda binaries run, plus the form in `web/`. It holds no
//! logic of its own: it only converts between axum and `lambda_http` types.

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::HeaderValue;
use http::header;
use shared::aws::load_sdk_config;
use shared::http::{ApiError, CONTENT_SECURITY_POLICY, MAX_BODY_BYTES};
use shared::keyed::IdentifierKey;
use shared::mail::{self, MailConfig, MailEvent, Mailer, OutboxMailer, Postman, SesMailer};
use shared::routes::{Function, ROUTES, Route, cors};
use shared::store::Store;
use shared::store::dynamodb::{DynamoStore, create_table};
use shared::store::sqlite::SqliteStore;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

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
        }
    }
}

/// Sender settings for local runs, unless the environment sets them
/// (`MAIL_FROM`, `MAIL_REPLY_TO`, `MAIL_OPERATOR`, …, as on Lambda).
/// `PUBLIC_BASE_URL` defaults to the server's own address.
const LOCAL_MAIL_DEFAULTS: [(&str, &str); 4] = [
    (mail::ENV_FROM, "partner-desk@example.com"),
    (mail::ENV_FROM_NAME, "パートナー登録窓口"),
    (mail::ENV_REPLY_TO, "partner-desk@example.com"),
    (mail::ENV_OPERATOR, "operator@example.com"),
];

/// The functions' handlers with their dependencies, built once.
struct Functions {
    submit: submit::Handler,
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
    tasks: &TaskTracker,
) -> anyhow::Result<(Functions, Locations)> {
    let defaults = mail::pairs(&LOCAL_MAIL_DEFAULTS);
    let mail_config = MailConfig::from_lookup(|name| {
        std::env::var(name)
            .ok()
            .or_else(|| defaults(name))
            .or_else(|| (name == mail::ENV_PUBLIC_BASE_URL).then(|| public_base_url.to_owned()))
    })?;
    let (store, mailer, key, locations): (Arc<dyn Store>, Arc<dyn Mailer>, IdentifierKey, Locations) =
        match config.backend {
            Backend::Embedded => {
                let store = SqliteStore::open_dir(&config.data_dir)?;
                let mailer = OutboxMailer::new(&config.data_dir);
                let key = IdentifierKey::load_or_create(&config.data_dir)?;
                let locations = Locations {
                    applications: store.path().display().to_string(),
                    mails: mailer.dir().display().to_string(),
                };
                (Arc::new(store), Arc::new(mailer), key, locations)
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
        tasks: tasks.clone(),
    };
    // At least once: what was stored but not mailed before a crash or a kill.
    let pending = store.pending_mail().await?;
    if !pending.is_empty() {
        tracing::info!(events = pending.len(), "delivering mails a previous run did not send");
    }
    for event in pending {
        delivery.spawn(event);
    }
    let submit = submit::Handler::new(store, key, config.settings)
        .after_event(Arc::new(move |event| delivery.spawn(event)));
    Ok((Functions { submit }, locations))
}

/// A server that is running; dropping it does not stop it, [`Running::shutdown`] does.
pub struct Running {
    pub addr: SocketAddr,
    pub locations: Locations,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    deliveries: TaskTracker,
}

impl Running {
    /// The form's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops accepting connections and waits for requests in flight, and the
    /// mails they started, to complete.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await.context("server task")??;
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
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let deliveries = TaskTracker::new();
    let listener =
        TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
    let addr = listener.local_addr()?;
    let (functions, locations) = functions(&config, &format!("http://{addr}"), &deliveries).await?;
    let functions = Arc::new(functions);
    let app = router(functions, &config)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Running { addr, locations, stop, task, deliveries })
}

fn router(functions: Arc<Functions>, config: &Config) -> anyhow::Result<Router> {
    let mut api = Router::new();
    for route in ROUTES {
        // Every method reaches the handler, which answers a wrong one with 405.
        api = api.route(route.path, any(move |state, peer, req| call(state, peer, route, req)));
    }
    let static_files = ServeDir::new(&config.web_dir).append_index_html_on_directories(true);
    let app = api
        .route("/api/{*rest}", any(|| async { to_axum(ApiError::not_found().into_response()) }))
        .with_state(functions)
        .fallback_service(static_files)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ));
    Ok(match cors_layer(&config.allowed_origins)? {
        Some(layer) => app.layer(layer),
        None => app,
    })
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

async fn call(
    State(functions): State<Arc<Functions>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    route: Route,
    req: Request,
) -> Response {
    let req = match to_lambda(req, peer).await {
        Ok(req) => req,
        Err(error) => return to_axum(error.into_response()),
    };
    let response = match route.function {
        Function::Validate => validate::handle(req).await,
        Function::Submit => functions.submit.handle(req).await,
        Function::Postal => postal::handle(req).await,
    };
    to_axum(response)
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
    Ok(lambda_http::Request::from_parts(parts, body)
        .with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(context)))
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
