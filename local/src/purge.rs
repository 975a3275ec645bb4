//! The purge scheduler of the embedded store: expired idempotency records are
//! deleted at start and then periodically, as DynamoDB's TTL deletes them on
//! AWS; without it they would accumulate for ever. Each purge then sweeps the
//! outbox: the mails of what it deleted (and of what was erased) go too.

use shared::mail::OutboxMailer;
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
    period: Duration,
) -> anyhow::Result<JoinHandle<()>> {
    let purged = store.purge_expired().await.map_err(|e| anyhow::anyhow!("purging expired records: {e}"))?;
    tracing::info!(purged, "expired records purged");
    sweep(&store, &outbox).await;
    Ok(tokio::spawn(async move {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            every.tick().await;
            match store.purge_expired().await {
                Ok(purged) => tracing::info!(purged, "expired records purged"),
                Err(error) => tracing::warn!(%error, "purging expired records failed"),
            }
            sweep(&store, &outbox).await;
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
