//! What the local server is started with: its address, directories, backend,
//! timeouts and the functions' settings. Apart from the rest so that `main`,
//! the tests and `xtask` can build a [`Config`] without reaching into the
//! server's wiring; the defaults are the constants here, which tests shorten.

use crate::operators;
use shared::http as api_http;
use shared::store::retention::UndecidedRetention;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// The documents' limits (`DOCUMENT_MAX_*`, as on Lambda).
    pub documents: documents::Settings,
    /// `DOCUMENT_RETENTION_DAYS`: each purge deletes the files of
    /// applications decided that many days ago (0: kept until erased).
    pub document_retention_days: u32,
    /// [`HEADER_READ_TIMEOUT`] unless a test shortens it.
    pub header_read_timeout: Duration,
    /// [`BODY_READ_TIMEOUT`] unless a test shortens it.
    pub body_read_timeout: Duration,
    /// [`PURGE_EVERY`] unless a test shortens it.
    pub purge_every: Duration,
    /// `UNDECIDED_RETENTION_DAYS`: each purge erases what nobody decided in
    /// that many days (0: no limit, the default).
    pub undecided_retention: UndecidedRetention,
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
            documents: documents::Settings::default(),
            document_retention_days: shared::documents::settings::DEFAULT_RETENTION_DAYS,
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            purge_every: PURGE_EVERY,
            undecided_retention: UndecidedRetention::default(),
            operator_session_ttl: operators::SESSION_TTL,
            operator_lockout: operators::Lockout::default(),
            console: api_http::console::ConsoleConfig::Password,
        }
    }
}
