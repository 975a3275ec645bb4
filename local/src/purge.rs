//! The purge scheduler of the embedded store: expired idempotency records are
//! deleted at start and then periodically, as DynamoDB's TTL deletes them on
//! AWS; without it they would accumulate for ever.

use shared::store::sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Purges every expired record now (a failure stops the start: the
/// store is unusable), then every `period` in a task of its own (a failure is
/// logged and retried at the next period).
pub(crate) async fn purge_expired(
    store: Arc<SqliteStore>,
    period: Duration,
) -> anyhow::Result<JoinHandle<()>> {
    let purged = store.purge_expired().await.map_err(|e| anyhow::anyhow!("purging expired records: {e}"))?;
    tracing::info!(purged, "expired records purged");
    Ok(tokio::spawn(async move {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            every.tick().await;
            match store.purge_expired().await {
                Ok(purged) => tracing::info!(purged, "expired records purged"),
                Err(error) => tracing::warn!(%error, "purging expired records failed"),
            }
        }
    }))
}
