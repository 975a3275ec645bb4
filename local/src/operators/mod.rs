//! Local operator accounts: the local server plays the part that Cognito and
//! the HTTP API's JWT authorizer play on AWS. Operators sign in with an email
//! address and a password (stored as an Argon2id PHC string), get a random
//! session token (stored only as its SHA-256), and the protected routes turn
//! the token back into [`OperatorClaims`], as the functions will read the
//! authorizer's claims on AWS.
//!
//! - [`account`]: the address, the password policy, hashing and tokens (no I/O);
//! - [`db`]: accounts, sign-in failures and sessions in the data directory's
//!   SQLite file (tables of their own, beside the store's);
//! - [`api`]: the routes `/api/admin/sessions…` and the authorizer.
//!
//! Nothing here logs an address, a password or a token: outcomes only.

pub mod account;
pub mod api;
pub mod db;

pub use account::{OperatorClaims, OperatorEmail, Password, PasswordError, SessionToken};
pub use db::OperatorDb;

use anyhow::Context;
use shared::domain::Role;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a session lasts: a working day.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 60 * 60);

/// The address of the operator created at a first start.
pub const FIRST_OPERATOR_EMAIL: &str = "operator@example.com";

/// The file, in the data directory, that keeps the first operator's account
/// and password (0600), so that they can be read again after the start.
pub const FIRST_OPERATOR_FILE: &str = "operator.txt";

/// Sign-in throttling: after [`Lockout::max_failures`] wrong passwords for one
/// address from one source within [`Lockout::window`], that address is refused
/// to that source (429, even with the right password) for [`Lockout::lock_for`];
/// after [`Lockout::max_source_failures`] wrong passwords from one source for
/// any addresses, the source is refused for every address as long. Counted per
/// typed address, known or not, so that the lock tells nothing about which
/// accounts exist; and per source, so that whoever reaches the port can lock
/// the printed account for themselves only (issue 25, 10), while spraying
/// guesses over many addresses is stopped by the source's own count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub max_failures: u32,
    pub max_source_failures: u32,
    pub window: Duration,
    pub lock_for: Duration,
}

impl Default for Lockout {
    fn default() -> Self {
        Lockout {
            max_failures: 5,
            // Four addresses' worth: room for an operator who mistypes, not for a sweep.
            max_source_failures: 20,
            window: Duration::from_secs(15 * 60),
            lock_for: Duration::from_secs(15 * 60),
        }
    }
}

/// The operator created at this start, to tell the person who started it.
#[derive(Debug, Clone)]
pub struct FirstOperator {
    pub email: OperatorEmail,
    pub password: String,
    /// Where the account and its password are kept (0600).
    pub file: PathBuf,
}

/// What `operator add` did.
#[derive(Debug, Clone)]
pub struct Added {
    pub email: OperatorEmail,
    /// Its role now.
    pub role: Role,
    /// The password generated for it, when none was given.
    pub generated_password: Option<String>,
    /// False when an existing operator's password was reset.
    pub created: bool,
}

impl Added {
    /// What `operator add` prints: never the password, unless it was generated.
    pub fn report(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{}: {}(役割: {} {})",
            if self.created {
                "運用者を追加しました"
            } else {
                "運用者のパスワードを再設定しました"
            },
            self.email,
            self.role.label(),
            self.role
        )];
        if let Some(password) = &self.generated_password {
            lines.push(format!("パスワード: {password}"));
        }
        lines
    }
}

/// `local operator add`: creates the operator, or resets its password (its
/// sessions and failed attempts go with the old password). `password` is the
/// one read from standard input, else a strong one is generated. `role`
/// (`--role`), when given, becomes its role; else a new account is an
/// `operator` and an existing one keeps its role.
pub fn add(
    data_dir: &Path,
    email: &str,
    password: Option<String>,
    role: Option<Role>,
) -> anyhow::Result<Added> {
    let email = OperatorEmail::parse(email).map_err(anyhow::Error::msg)?;
    let (password, generated) = match password {
        Some(given) => (Password::new(given).map_err(|e| anyhow::anyhow!("{e}"))?, false),
        None => (Password::generate(), true),
    };
    crate::files::private_dir(data_dir)?;
    crate::files::private_database(data_dir)?;
    let db = OperatorDb::open_dir(data_dir)?;
    let hash = account::hash_password(&password)?;
    let created = db.upsert_blocking(&email, &hash, role)?;
    let role = db.role_blocking(&email)?.context("the operator just written")?;
    Ok(Added { email, role, generated_password: generated.then(|| password.expose().to_owned()), created })
}

/// At a start with no operator: creates [`FIRST_OPERATOR_EMAIL`], a
/// supervisor (someone must be able to erase, export and read the audit, and
/// to add the others), with a generated password, and keeps both in
/// [`FIRST_OPERATOR_FILE`] (0600).
/// None when an operator exists already.
pub(crate) async fn ensure_first_operator(
    db: &OperatorDb,
    data_dir: &Path,
    console_url: &str,
) -> anyhow::Result<Option<FirstOperator>> {
    if db.count().await? > 0 {
        return Ok(None);
    }
    let email = OperatorEmail::parse(FIRST_OPERATOR_EMAIL).map_err(anyhow::Error::msg)?;
    let password = Password::generate();
    let hashed = password.clone();
    let hash = tokio::task::spawn_blocking(move || account::hash_password(&hashed)).await??;
    let file = data_dir.join(FIRST_OPERATOR_FILE);
    // The file first: an account whose password was lost would need `operator add`.
    write_private(
        &file,
        &format!(
            "# The local server's first operator (created at its first start).\n\
             # A supervisor. `cargo run --release -p local -- operator add EMAIL [--role operator|supervisor]`\n\
             # adds operators or resets their passwords.\n\
             console: {console_url}\nemail: {email}\npassword: {}\n",
            password.expose()
        ),
    )?;
    db.upsert(&email, &hash, Some(Role::Supervisor)).await?;
    tracing::info!("first operator created");
    Ok(Some(FirstOperator { email, password: password.expose().to_owned(), file }))
}

/// Writes `contents` to `path`, readable and writable by its owner only (the
/// mode is set again, so neither the umask nor an older file widens it).
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file =
        std::fs::OpenOptions::new().create(true).write(true).truncate(true).mode(0o600).open(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    Ok(())
}
