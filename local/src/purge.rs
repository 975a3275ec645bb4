//! The purge scheduler of the embedded store: expired idempotency records are
//! deleted at start and then periodically, as DynamoDB's TTL deletes them on
//! AWS; without it they would accumulate for ever. Each purge then sweeps the
//! outbox: the mails of what it deleted (and of what was erased) go too.

use shared::documents::local::LocalFiles;
use shared::domain::Timestamp;
use shared::keyed::IdentifierKey;
use shared::mail::OutboxMailer;
use shared::store::retention::{UndecidedRetention, erase_undecided};
use shared::store::sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Purges every expired record now (a failure stops the start: the
/// store is unusable), then every `period` in a task of its own (a failure is
/// logged and retried at the next period). Each purge sweeps the outbox after
/// it; a sweep that fails (the outbox unreadable) is logged and retried with
/// the next purge, and stops nothing: mails are retried the same way.
pub(crate) async fn purge_expired(
    store: Arc<SqliteStore>,
    outbox: OutboxMailer,
    files: LocalFiles,
    retention: Retention,
    period: Duration,
) -> anyhow::Result<JoinHandle<()>> {
    let purged = store.purge_expired().await.map_err(|e| anyhow::anyhow!("purging expired records: {e}"))?;
    tracing::info!(purged, "expired records purged");
    retention.erase_undecided(&store).await;
    sweep(&store, &outbox).await;
    sweep_files(&store, &files, retention.documents_days).await;
    Ok(tokio::spawn(async move {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            every.tick().await;
            match store.purge_expired().await {
                Ok(purged) => tracing::info!(purged, "expired records purged"),
                Err(error) => tracing::warn!(%error, "purging expired records failed"),
            }
            retention.erase_undecided(&store).await;
            sweep(&store, &outbox).await;
            sweep_files(&store, &files, retention.documents_days).await;
        }
    }))
}

/// The mails of what the store no longer has leave the outbox.
async fn sweep(store: &SqliteStore, outbox: &OutboxMailer) {
    match outbox.sweep(store, false).await {
        Ok(mails) => tracing::info!(mails, "mails of deleted applications and notices deleted"),
        Err(error) => tracing::warn!(%error, "sweeping the outbox failed"),
    }
}

/// The files of what the store no longer has (erased, or deleted by a
/// retention), and uploads a day old that nobody submitted.
pub(crate) async fn sweep_files(store: &SqliteStore, files: &LocalFiles, retention_days: u32) {
    use shared::store::{Documents, Record, Review, plan};
    let mut gone = std::collections::HashSet::new();
    let now = Timestamp::now();
    for id in files.kept_applications() {
        match store.record(id).await {
            Ok(Some((Record::Live(stored), history))) => {
                // Past DOCUMENT_RETENTION_DAYS after the final decision: the
                // files go (below), then their records.
                let decided_at = history.last().map_or(stored.receipt.received_at, |entry| entry.at);
                if plan::documents_due(&stored, decided_at, now, retention_days) {
                    if let Err(error) = store.forget_documents(id).await {
                        tracing::warn!(%error, "forgetting documents past their retention failed");
                        continue;
                    }
                    gone.insert(id);
                }
            }
            Ok(None | Some((Record::Erased(_), _))) => {
                gone.insert(id);
            }
            Err(error) => {
                tracing::warn!(%error, "sweeping the documents failed");
                return;
            }
        }
    }
    match files.sweep(|id| gone.contains(&id)) {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "files of deleted applications and stale uploads deleted"),
        Err(error) => tracing::warn!(error = %error.kind(), "sweeping the documents failed"),
    }
}

/// What each purge erases beyond the expired: applications nobody decided
/// within `UNDECIDED_RETENTION_DAYS` ([`erase_undecided`]).
pub(crate) struct Retention {
    pub(crate) key: IdentifierKey,
    pub(crate) undecided: UndecidedRetention,
    /// `DOCUMENT_RETENTION_DAYS`: files go this long after the final decision (0: kept).
    pub(crate) documents_days: u32,
}

impl Retention {
    /// Logged, never fatal: a failure is retried with the next purge.
    async fn erase_undecided(&self, store: &SqliteStore) {
        match erase_undecided(store, &self.key, self.undecided, Timestamp::now()).await {
            Ok(0) => {}
            Ok(erased) => tracing::info!(erased, "undecided applications past their retention erased"),
            Err(error) => tracing::warn!(%error, "erasing undecided applications failed"),
        }
    }
}
