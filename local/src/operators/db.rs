//! Operator accounts, failed sign-in attempts and sessions, in tables of their
//! own in the data directory's SQLite file (the store's file, beside its
//! tables; WAL lets both connections share it). Times are Unix seconds.

use super::Lockout;
use super::account::{OperatorClaims, OperatorEmail, SessionToken};
use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use shared::domain::Timestamp;
use shared::store::sqlite::FILE_NAME;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS operators (
    email TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
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
        connection.execute_batch(SCHEMA).context("creating the operator tables")?;
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
    /// sessions and forgets its failed attempts. True when it was created.
    pub fn upsert_blocking(&self, email: &OperatorEmail, password_hash: &str) -> anyhow::Result<bool> {
        upsert(&mut self.lock(), email, password_hash, Timestamp::now())
    }

    pub async fn upsert(&self, email: &OperatorEmail, password_hash: &str) -> anyhow::Result<bool> {
        let (email, hash) = (email.clone(), password_hash.to_owned());
        let db = self.clone();
        tokio::task::spawn_blocking(move || upsert(&mut db.lock(), &email, &hash, Timestamp::now()))
            .await
            .context("operator storage task")?
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
        let row: Option<(String, i64)> = self
            .with(move |c| {
                c.query_row(
                    "SELECT s.email, s.expires_at FROM operator_sessions s
                     JOIN operators o ON o.email = s.email
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                    params![hash, now],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
            })
            .await?;
        let Some((email, expires_at)) = row else { return Ok(None) };
        let email = OperatorEmail::parse(&email).map_err(anyhow::Error::msg)?;
        let expires_at = Timestamp::from_epoch(expires_at).context("a session's expiry")?;
        Ok(Some(OperatorClaims {
            email,
            groups: vec![OperatorClaims::OPERATORS_GROUP.to_owned()],
            expires_at,
        }))
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
    now: Timestamp,
) -> anyhow::Result<bool> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = now.to_string();
    let existed = tx
        .query_row("SELECT 1 FROM operators WHERE email = ?1", [email.as_str()], |_| Ok(()))
        .optional()?
        .is_some();
    tx.execute(
        "INSERT INTO operators (email, password_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        params![email.as_str(), password_hash, now],
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
        assert!(db.upsert(&who, "$argon2id$first").await.unwrap(), "created");
        let token = SessionToken::generate();
        db.create_session(&token, &who, at(T0), at(T0 + 60)).await.unwrap();
        let claims = db.session(&token, at(T0 + 59)).await.unwrap().unwrap();
        assert_eq!((claims.email.as_str(), claims.expires_at), ("ops@example.com", at(T0 + 60)));
        assert!(claims.is_operator());
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
        assert!(!db.upsert(&who, "$argon2id$second").await.unwrap(), "reset, not created");
        assert_eq!(db.session(&other, at(T0)).await.unwrap(), None, "a reset ends the sessions");
        assert_eq!(db.password_hash(&who).await.unwrap().as_deref(), Some("$argon2id$second"));
        assert_eq!(db.count().await.unwrap(), 1);
    }
}
