//! Operator accounts, failed sign-in attempts and sessions, in tables of their
//! own in the data directory's SQLite file (the store's file, beside its
//! tables; WAL lets both connections share it). Times are Unix seconds.

use super::Lockout;
use super::account::{OperatorClaims, OperatorEmail, SessionToken};
use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use shared::domain::{Role, Timestamp};
use shared::store::sqlite::FILE_NAME;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The tables; `{roles}` is the list of [`Role`]s' names, which the role
/// column is checked against.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS operators (
    email TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ({roles}))
) STRICT;
CREATE TABLE IF NOT EXISTS operator_sign_in_failures (
    -- SHA-256 of the typed address (unknown ones are counted too) and of the
    -- source, or 'source:' and the source's (account::SignInSource).
    failure_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS operator_sessions (
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS operator_sessions_by_email ON operator_sessions (email);
"#;

/// What the accounts of a file from before the roles become: supervisors.
/// Every account could then erase, export and read the audit; made
/// operators, a data directory whose accounts were all alike would have
/// nobody left to answer an erasure request. `operator add EMAIL --role
/// operator` demotes one.
const ROLE_OF_EARLIER_ACCOUNTS: Role = Role::Supervisor;

/// `'operator', 'supervisor'`: the names [`Role`] declares, for SQL.
fn role_names() -> String {
    Role::ALL.iter().map(|role| format!("'{}'", role.as_str())).collect::<Vec<_>>().join(", ")
}

/// Creates the tables, and gives the accounts of an earlier file their role.
fn prepare(connection: &Connection) -> rusqlite::Result<()> {
    let had_role: bool = connection.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM pragma_table_info('operators'))
             OR EXISTS (SELECT 1 FROM pragma_table_info('operators') WHERE name = 'role')",
        [],
        |row| row.get(0),
    )?;
    connection.execute_batch(&SCHEMA.replace("{roles}", &role_names()))?;
    if !had_role {
        // A column added with NOT NULL needs a default: it is what every
        // existing row gets. New rows always name their role.
        connection.execute_batch(&format!(
            "ALTER TABLE operators ADD COLUMN role TEXT NOT NULL DEFAULT '{}' CHECK (role IN ({}))",
            ROLE_OF_EARLIER_ACCOUNTS.as_str(),
            role_names()
        ))?;
    }
    Ok(())
}

#[derive(Clone)]
pub struct OperatorDb {
    connection: Arc<Mutex<Connection>>,
}

impl OperatorDb {
    /// Opens (creating the tables if needed) the database of `data_dir`.
    pub fn open_dir(data_dir: &Path) -> anyhow::Result<Self> {
        Self::open(&data_dir.join(FILE_NAME))
    }

    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let connection = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        // A deleted session or account is overwritten, not left in free pages,
        // as in the applications' connection to the same file.
        connection.pragma_update(None, "secure_delete", "ON")?;
        prepare(&connection).context("creating the operator tables")?;
        Ok(OperatorDb { connection: Arc::new(Mutex::new(connection)) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` on the connection off the async runtime.
    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let db = self.clone();
        Ok(tokio::task::spawn_blocking(move || work(&mut db.lock()))
            .await
            .context("operator storage task")??)
    }

    /// How many operators there are.
    pub async fn count(&self) -> anyhow::Result<i64> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM operators", [], |row| row.get(0))).await
    }

    /// Creates the operator or replaces its password; a reset also ends its
    /// sessions and forgets its failed attempts. `role`, when given, becomes
    /// its role; else a new operator is an `operator` and an existing one
    /// keeps its role (a password reset promotes and demotes nobody). True
    /// when it was created.
    pub fn upsert_blocking(
        &self,
        email: &OperatorEmail,
        password_hash: &str,
        role: Option<Role>,
    ) -> anyhow::Result<bool> {
        upsert(&mut self.lock(), email, password_hash, role, Timestamp::now())
    }

    pub async fn upsert(
        &self,
        email: &OperatorEmail,
        password_hash: &str,
        role: Option<Role>,
    ) -> anyhow::Result<bool> {
        let (email, hash) = (email.clone(), password_hash.to_owned());
        let db = self.clone();
        tokio::task::spawn_blocking(move || upsert(&mut db.lock(), &email, &hash, role, Timestamp::now()))
            .await
            .context("operator storage task")?
    }

    /// The operator's role, if there is such an operator.
    pub async fn role(&self, email: &OperatorEmail) -> anyhow::Result<Option<Role>> {
        let (email, db) = (email.clone(), self.clone());
        tokio::task::spawn_blocking(move || db.role_blocking(&email))
            .await
            .context("operator storage task")?
    }

    pub fn role_blocking(&self, email: &OperatorEmail) -> anyhow::Result<Option<Role>> {
        let role: Option<String> = self
            .lock()
            .query_row("SELECT role FROM operators WHERE email = ?1", [email.as_str()], |row| row.get(0))
            .optional()?;
        role.map(|role| Role::parse(&role).context("an operator's role")).transpose()
    }

    /// The operator's PHC string, if there is such an operator.
    pub async fn password_hash(&self, email: &OperatorEmail) -> anyhow::Result<Option<String>> {
        let email = email.as_str().to_owned();
        self.with(move |c| {
            c.query_row("SELECT password_hash FROM operators WHERE email = ?1", [email], |row| row.get(0))
                .optional()
        })
        .await
    }

    /// Seconds left of a lock on `key`, if it is locked at `now`.
    pub async fn locked_for(&self, key: String, now: Timestamp) -> anyhow::Result<Option<u64>> {
        let now = now.epoch();
        let until: Option<i64> = self
            .with(move |c| {
                c.query_row(
                    "SELECT locked_until FROM operator_sign_in_failures
                     WHERE failure_key = ?1 AND locked_until > ?2",
                    params![key, now],
                    |row| row.get(0),
                )
                .optional()
            })
            .await?;
        Ok(until.map(|until| u64::try_from(until - now).unwrap_or(1).max(1)))
    }

    /// Counts a wrong password under `key` at `now`, in one transaction (so
    /// concurrent attempts all count): the `max_failures`th within the
    /// policy's window locks the key. True when this failure locked it.
    pub async fn record_failure(
        &self,
        key: String,
        now: Timestamp,
        max_failures: u32,
        policy: Lockout,
    ) -> anyhow::Result<bool> {
        let now = now.epoch();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let row: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT failures, window_start FROM operator_sign_in_failures WHERE failure_key = ?1",
                    [&key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let window = secs(policy.window);
            let (failures, window_start) = match row {
                Some((failures, start)) if now < start + window => (failures + 1, start),
                _ => (1, now),
            };
            let locks = failures >= i64::from(max_failures);
            if locks {
                // The lock replaces the count: after it, a new window begins.
                tx.execute(
                    "INSERT OR REPLACE INTO operator_sign_in_failures
                     (failure_key, failures, window_start, locked_until) VALUES (?1, 0, ?2, ?3)",
                    params![key, now, now + secs(policy.lock_for)],
                )?;
            } else {
                tx.execute(
                    "INSERT OR REPLACE INTO operator_sign_in_failures
                     (failure_key, failures, window_start, locked_until) VALUES (?1, ?2, ?3, NULL)",
                    params![key, failures, window_start],
                )?;
            }
            tx.commit()?;
            Ok(locks)
        })
        .await
    }

    /// Forgets the failed attempts under `key` (after a right password).
    pub async fn clear_failures(&self, key: String) -> anyhow::Result<()> {
        self.with(move |c| c.execute("DELETE FROM operator_sign_in_failures WHERE failure_key = ?1", [key]))
            .await?;
        Ok(())
    }

    /// Stores a session for `email` until `expires_at`, and deletes the
    /// sessions and failure counts whose time has passed.
    pub async fn create_session(
        &self,
        token: &SessionToken,
        email: &OperatorEmail,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> anyhow::Result<()> {
        let (hash, email) = (token.hash(), email.as_str().to_owned());
        let (now, expires_at) = (now.epoch(), expires_at.epoch());
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM operator_sessions WHERE expires_at <= ?1", [now])?;
            tx.execute(
                "DELETE FROM operator_sign_in_failures WHERE locked_until IS NULL AND window_start < ?1
                 OR locked_until <= ?2",
                params![now - 24 * 60 * 60, now],
            )?;
            tx.execute(
                "INSERT INTO operator_sessions (token_hash, email, expires_at) VALUES (?1, ?2, ?3)",
                params![hash, email, expires_at],
            )?;
            tx.commit()
        })
        .await
    }

    /// The claims of the session of `token`, unless it is unknown, expired at
    /// `now`, or its operator is gone.
    pub async fn session(
        &self,
        token: &SessionToken,
        now: Timestamp,
    ) -> anyhow::Result<Option<OperatorClaims>> {
        let hash = token.hash();
        let now = now.epoch();
        let row: Option<(String, String, i64)> = self
            .with(move |c| {
                c.query_row(
                    "SELECT s.email, o.role, s.expires_at FROM operator_sessions s
                     JOIN operators o ON o.email = s.email
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                    params![hash, now],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()
            })
            .await?;
        let Some((email, role, expires_at)) = row else { return Ok(None) };
        let email = OperatorEmail::parse(&email).map_err(anyhow::Error::msg)?;
        let role = Role::parse(&role).context("an operator's role")?;
        let expires_at = Timestamp::from_epoch(expires_at).context("a session's expiry")?;
        Ok(Some(OperatorClaims { email, role, expires_at }))
    }

    /// Ends the session of `token` (sign-out). True when there was one.
    pub async fn delete_session(&self, token: &SessionToken) -> anyhow::Result<bool> {
        let hash = token.hash();
        Ok(self
            .with(move |c| c.execute("DELETE FROM operator_sessions WHERE token_hash = ?1", [hash]))
            .await?
            > 0)
    }
}

fn upsert(
    connection: &mut Connection,
    email: &OperatorEmail,
    password_hash: &str,
    role: Option<Role>,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = now.to_string();
    let existed = tx
        .query_row("SELECT 1 FROM operators WHERE email = ?1", [email.as_str()], |_| Ok(()))
        .optional()?
        .is_some();
    // ?4 NULL: a new operator is an operator, an existing one keeps its role.
    tx.execute(
        "INSERT INTO operators (email, password_hash, created_at, updated_at, role)
         VALUES (?1, ?2, ?3, ?3, coalesce(?4, ?5))
         ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash,
             updated_at = excluded.updated_at, role = coalesce(?4, operators.role)",
        params![email.as_str(), password_hash, now, role.map(Role::as_str), Role::Operator.as_str()],
    )?;
    tx.execute("DELETE FROM operator_sessions WHERE email = ?1", [email.as_str()])?;
    // From every source: a hex digest and ':' hold no LIKE wildcard.
    tx.execute(
        "DELETE FROM operator_sign_in_failures WHERE failure_key LIKE ?1 || ':%'",
        [email.failures_prefix()],
    )?;
    tx.commit()?;
    Ok(!existed)
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 4)
}

/// The local accounts as the admin function's [`admin::OperatorDirectory`]
/// (Cognito's user pool on AWS): an operator is an account, named by its
/// (lower-cased) address.
#[async_trait::async_trait]
impl admin::OperatorDirectory for OperatorDb {
    async fn operator(
        &self,
        name: &str,
    ) -> Result<Option<shared::domain::Actor>, shared::store::Unavailable> {
        let Ok(email) = OperatorEmail::parse(name) else { return Ok(None) };
        let role = self.role(&email).await.map_err(|error| {
            shared::store::Unavailable(format!("the operators' accounts cannot be read: {error:#}"))
        })?;
        Ok(role.and_then(|_| shared::domain::Actor::parse(email.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(text: &str) -> OperatorEmail {
        OperatorEmail::parse(text).unwrap()
    }

    /// The key of `text`'s failed attempts from one source.
    fn key(text: &str) -> impl Fn() -> String {
        let key = email(text).failure_key(&super::super::account::SignInSource::of(None));
        move || key.clone()
    }

    fn at(epoch: i64) -> Timestamp {
        Timestamp::from_epoch(epoch).unwrap()
    }

    const T0: i64 = 1_800_000_000;

    /// The accounts share the data directory's file: a deleted session or
    /// account is overwritten there too, as the applications' are.
    #[test]
    fn deleted_rows_are_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let db = OperatorDb::open_dir(dir.path()).unwrap();
        let connection = db.connection.lock().unwrap();
        let secure: i64 = connection.query_row("PRAGMA secure_delete", [], |row| row.get(0)).unwrap();
        assert_eq!(secure, 1);
    }

    #[tokio::test]
    async fn five_failures_in_the_window_lock_for_the_lock_period() {
        let dir = tempfile::tempdir().unwrap();
        let db = OperatorDb::open_dir(dir.path()).unwrap();
        let policy = Lockout::default();
        let max = policy.max_failures;
        let who = key("ops@example.com");
        for n in 0..4 {
            assert!(!db.record_failure(who(), at(T0 + n), max, policy).await.unwrap(), "failure {n}");
            assert_eq!(db.locked_for(who(), at(T0 + n)).await.unwrap(), None);
        }
        assert!(db.record_failure(who(), at(T0 + 10), max, policy).await.unwrap(), "the fifth locks");
        assert_eq!(db.locked_for(who(), at(T0 + 10)).await.unwrap(), Some(15 * 60));
        assert_eq!(db.locked_for(who(), at(T0 + 10 + 15 * 60 - 1)).await.unwrap(), Some(1));
        assert_eq!(db.locked_for(who(), at(T0 + 10 + 15 * 60)).await.unwrap(), None, "the lock ends");
        // Another address is not affected.
        assert_eq!(db.locked_for(key("other@example.com")(), at(T0 + 10)).await.unwrap(), None);
        // After the lock, counting starts again from zero.
        assert!(!db.record_failure(who(), at(T0 + 10 + 15 * 60), max, policy).await.unwrap());
    }

    #[tokio::test]
    async fn failures_outside_the_window_and_a_success_start_over() {
        let dir = tempfile::tempdir().unwrap();
        let db = OperatorDb::open_dir(dir.path()).unwrap();
        let policy = Lockout::default();
        let max = policy.max_failures;
        let who = key("ops@example.com");
        for n in 0..4 {
            db.record_failure(who(), at(T0 + n), max, policy).await.unwrap();
        }
        // 15 minutes after the first failure: a new window.
        assert!(!db.record_failure(who(), at(T0 + 15 * 60), max, policy).await.unwrap());
        for n in 1..4 {
            assert!(!db.record_failure(who(), at(T0 + 15 * 60 + n), max, policy).await.unwrap());
        }
        db.clear_failures(who()).await.unwrap();
        assert!(!db.record_failure(who(), at(T0 + 15 * 60 + 5), max, policy).await.unwrap(), "cleared");
    }

    #[tokio::test]
    async fn sessions_expire_end_at_sign_out_and_at_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        let db = OperatorDb::open_dir(dir.path()).unwrap();
        let who = email("ops@example.com");
        assert!(db.upsert(&who, "$argon2id$first", None).await.unwrap(), "created");
        let token = SessionToken::generate();
        db.create_session(&token, &who, at(T0), at(T0 + 60)).await.unwrap();
        let claims = db.session(&token, at(T0 + 59)).await.unwrap().unwrap();
        assert_eq!((claims.email.as_str(), claims.expires_at), ("ops@example.com", at(T0 + 60)));
        assert_eq!(claims.role, Role::Operator, "a new account is an operator unless told");
        assert_eq!(db.session(&token, at(T0 + 60)).await.unwrap(), None, "expired");
        assert_eq!(db.session(&SessionToken::generate(), at(T0)).await.unwrap(), None, "unknown");
        // The table keeps the hash, never the token.
        let stored: String =
            db.lock().query_row("SELECT token_hash FROM operator_sessions", [], |row| row.get(0)).unwrap();
        assert_eq!(stored, token.hash());

        assert!(db.delete_session(&token).await.unwrap());
        assert_eq!(db.session(&token, at(T0)).await.unwrap(), None, "signed out");
        assert!(!db.delete_session(&token).await.unwrap());

        let other = SessionToken::generate();
        db.create_session(&other, &who, at(T0), at(T0 + 60)).await.unwrap();
        assert!(!db.upsert(&who, "$argon2id$second", None).await.unwrap(), "reset, not created");
        assert_eq!(db.session(&other, at(T0)).await.unwrap(), None, "a reset ends the sessions");
        assert_eq!(db.password_hash(&who).await.unwrap().as_deref(), Some("$argon2id$second"));
        assert_eq!(db.count().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_role_is_given_kept_by_a_reset_and_read_with_the_session() {
        let dir = tempfile::tempdir().unwrap();
        let db = OperatorDb::open_dir(dir.path()).unwrap();
        let who = email("lead@example.com");
        db.upsert(&who, "$argon2id$first", Some(Role::Supervisor)).await.unwrap();
        assert_eq!(db.role(&who).await.unwrap(), Some(Role::Supervisor));
        db.upsert(&who, "$argon2id$second", None).await.unwrap();
        assert_eq!(db.role(&who).await.unwrap(), Some(Role::Supervisor), "a reset keeps the role");
        let token = SessionToken::generate();
        db.create_session(&token, &who, at(T0), at(T0 + 60)).await.unwrap();
        assert_eq!(db.session(&token, at(T0)).await.unwrap().unwrap().role, Role::Supervisor);
        // A demotion applies to the next request of the sessions it leaves (none: a reset ends them).
        db.upsert(&who, "$argon2id$third", Some(Role::Operator)).await.unwrap();
        assert_eq!(db.role(&who).await.unwrap(), Some(Role::Operator));
        assert_eq!(db.role(&email("nobody@example.com")).await.unwrap(), None);
        // The column takes only the declared roles.
        let refused = db.lock().execute("UPDATE operators SET role = 'admin'", []);
        assert!(refused.is_err(), "{refused:?}");
    }

    /// A file from before the roles: its accounts become supervisors
    /// ([`ROLE_OF_EARLIER_ACCOUNTS`]), and later ones are made as asked.
    #[tokio::test]
    async fn the_accounts_of_an_earlier_file_become_supervisors() {
        let dir = tempfile::tempdir().unwrap();
        {
            let connection = Connection::open(dir.path().join(FILE_NAME)).unwrap();
            connection
                .execute_batch(
                    "CREATE TABLE operators (email TEXT PRIMARY KEY, password_hash TEXT NOT NULL,
                         created_at TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT;
                     INSERT INTO operators VALUES ('a@example.com', '$argon2id$a', 't', 't'),
                                                  ('b@example.com', '$argon2id$b', 't', 't');",
                )
                .unwrap();
        }
        let db = OperatorDb::open_dir(dir.path()).unwrap();
        for old in ["a@example.com", "b@example.com"] {
            assert_eq!(db.role(&email(old)).await.unwrap(), Some(Role::Supervisor), "{old}");
            assert_eq!(
                db.password_hash(&email(old)).await.unwrap().unwrap(),
                format!("$argon2id${}", &old[..1])
            );
        }
        db.upsert(&email("new@example.com"), "$argon2id$new", None).await.unwrap();
        assert_eq!(db.role(&email("new@example.com")).await.unwrap(), Some(Role::Operator));
        drop(db);
        // Opened again: migrated once, nothing changes.
        let db = OperatorDb::open_dir(dir.path()).unwrap();
        assert_eq!(db.role(&email("new@example.com")).await.unwrap(), Some(Role::Operator));
        assert_eq!(db.count().await.unwrap(), 3);
    }
}
