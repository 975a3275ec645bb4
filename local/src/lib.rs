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
//!
//! Its modules, one concern each: [`Config`] (`config`), the wiring of the
//! backend's store, key and mailer to the handlers (`wiring`), the mails
//! spawned after each stored event (`delivery`), the purge scheduler
//! (`purge`), the data directory's file modes (`files`), the accept loop
//! (`serve`), the router with its CSP and CORS (`router`) and the axum ↔
//! `lambda_http` conversion with the operator's claims (`lambda`). This file
//! only starts the server and stops it ([`start`], [`Running`]).

mod config;
mod delivery;
mod document_files;
mod files;
mod lambda;
pub mod operators;
mod purge;
mod router;
pub mod samples;
mod serve;
mod wiring;

pub use config::{BODY_READ_TIMEOUT, Backend, Config, HEADER_READ_TIMEOUT, PURGE_EVERY};
pub use wiring::Locations;

use anyhow::Context;
use files::{private_database, private_dir};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

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
        wiring::functions(&config, &format!("http://{addr}"), &deliveries, operator_api).await?;
    let app = match router::router(Arc::new(functions), &config) {
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
    let task = tokio::spawn(serve::serve(listener, app, config.header_read_timeout, stopped));
    Ok(Running { addr, locations, first_operator, stop, task, deliveries, purger })
}

fn console_url(addr: SocketAddr) -> String {
    format!("http://{addr}/admin/")
}
