//! The local server: every route of the contract, served by the very handler
//! functions the Lambda binaries run, plus the form in `web/`. It holds no
//! logic of its own: it only converts between axum and `lambda_http` types.

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::HeaderValue;
use http::header;
use shared::http::{ApiError, MAX_BODY_BYTES};
use shared::routes::{ROUTES, Route};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Where the local server listens and keeps its data.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// The form's static files.
    pub web_dir: PathBuf,
    /// Applications and mails are kept here.
    pub data_dir: PathBuf,
}

impl Config {
    /// 127.0.0.1 on `port`, the checkout's `web/`, and `data_dir`.
    pub fn new(port: u16, data_dir: impl Into<PathBuf>) -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            web_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../web")),
            data_dir: data_dir.into(),
        }
    }
}

/// The functions' handlers with their dependencies, built once.
struct Functions {}

/// A server that is running; dropping it does not stop it, [`Running::shutdown`] does.
pub struct Running {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The form's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops accepting connections and waits for requests in flight to complete.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await.context("server task")??;
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
    let functions = Arc::new(Functions {});
    let listener = TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
    let addr = listener.local_addr()?;
    let app = router(functions, &config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Running { addr, stop, task })
}

fn router(functions: Arc<Functions>, config: &Config) -> Router {
    let mut api = Router::new();
    for route in ROUTES {
        // Every method reaches the handler, which answers a wrong one with 405.
        api = api.route(route.path, any(move |state, req| call(state, route, req)));
    }
    let static_files = ServeDir::new(&config.web_dir).append_index_html_on_directories(true);
    api.route("/api/{*rest}", any(|| async { to_axum(ApiError::not_found().into_response()) }))
        .with_state(functions)
        .fallback_service(static_files)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
        ))
}

async fn call(State(functions): State<Arc<Functions>>, route: Route, req: Request) -> Response {
    let req = match to_lambda(req).await {
        Ok(req) => req,
        Err(error) => return to_axum(error.into_response()),
    };
    let response = match route.function {
        "validate" => validate::handle(req).await,
        _ => {
            let _ = &functions;
            ApiError::not_found().into_response()
        }
    };
    to_axum(response)
}

/// Reads the body (at most one byte over the contract's limit, so the handler
/// still answers 413) and rebuilds the request as API Gateway would hand it over.
async fn to_lambda(req: Request) -> Result<lambda_http::Request, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY_BYTES + 1)
        .await
        .map_err(|_| ApiError::payload_too_large())?;
    let body = if bytes.is_empty() { lambda_http::Body::Empty } else { lambda_http::Body::Binary(bytes.to_vec()) };
    Ok(lambda_http::Request::from_parts(parts, body))
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
