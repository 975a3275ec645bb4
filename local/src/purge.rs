//! The purge scheduler of the embedded store, at start and then
//! periodically: first the retention sweep (`shared::store::retention::sweep`,
//! the same plans the retention function runs daily on AWS: rejected
//! applications past their retention, documents past theirs, undecided
//! applications if a limit is set), then the expired short-lived records
//! (idempotency records, links, notices, counters: DynamoDB's TTL on AWS),
//! then the outbox and the files of what the store no longer has.

use shared::documents::local::LocalFiles;
use shared::domain::Timestamp;
use shared::keyed::IdentifierKey;
use shared::mail::OutboxMailer;
use shared::store::retention::{self, Policy};
use shared::store::sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Purges now (a failure of the expired records' purge stops the start: the
/// store is unusable), then every `period` in a task of its own (a failure is
/// logged and retried at the next period). The retention sweep, the outbox's
/// and the files' are logged and retried likewise, and stop nothing.
pub(crate) async fn purge_expired(
    store: Arc<SqliteStore>,
    outbox: OutboxMailer,
    files: LocalFiles,
    retention: Retention,
    period: Duration,
) -> anyhow::Result<JoinHandle<()>> {
    retention.sweep(&store, &files).await;
    let purged = store.purge_expired().await.map_err(|e| anyhow::anyhow!("purging expired records: {e}"))?;
    tracing::info!(purged, "expired records purged");
    sweep(&store, &outbox).await;
    sweep_files(&store, &files).await;
    Ok(tokio::spawn(async move {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            every.tick().await;
            retention.sweep(&store, &files).await;
            match store.purge_expired().await {
                Ok(purged) => tracing::info!(purged, "expired records purged"),
                Err(error) => tracing::warn!(%error, "purging expired records failed"),
            }
            sweep(&store, &outbox).await;
            sweep_files(&store, &files).await;
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
/// retention), and uploads a day old that nobody submitted (S3's lifecycle
/// rule on `incoming/`).
pub(crate) async fn sweep_files(store: &SqliteStore, files: &LocalFiles) {
    use shared::store::{Record, Review};
    let mut gone = std::collections::HashSet::new();
    for id in files.kept_applications() {
        match store.record(id).await {
            Ok(Some((Record::Live(_), _))) => {}
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

/// The retention each purge applies (`UNDECIDED_RETENTION_DAYS`,
/// `DOCUMENT_RETENTION_DAYS`; a rejected application's end is on its record).
pub(crate) struct Retention {
    pub(crate) key: IdentifierKey,
    pub(crate) policy: Policy,
}

impl Retention {
    /// Logged, never fatal: a failure is retried with the next purge.
    async fn sweep(&self, store: &SqliteStore, files: &LocalFiles) {
        match retention::sweep(store, files, &self.key, self.policy, Timestamp::now()).await {
            Ok(swept) if swept == retention::Swept::default() => {}
            Ok(swept) => tracing::info!(
                retired = swept.retired,
                documents_forgotten = swept.documents_forgotten,
                undecided_erased = swept.undecided_erased,
                "retention applied"
            ),
            Err(error) => tracing::warn!(%error, "applying the retention failed"),
        }
    }
}
