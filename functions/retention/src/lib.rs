//! The retention function: once a day (an EventBridge Scheduler schedule),
//! [`shared::store::retention::sweep`] over the table and the documents
//! bucket, the same sweep each purge of the local server runs. What it
//! deletes, it deletes through the plans, in transactions that move the
//! counters; TTL stays for the short-lived items (links, idempotency
//! records, rate counters, notices) and as a backstop.
//!
//! The answer (and the one log line) says how many of each it deleted: ids
//! never, personal data never. A failure fails the invocation; the schedule's
//! retry policy runs it again, and the next day's run finishes what is left.

use lambda_runtime::{Error, LambdaEvent};
use shared::documents::Kept;
use shared::domain::Timestamp;
use shared::keyed::IdentifierKey;
use shared::store::Store;
use shared::store::retention::{self, Policy, Swept};

/// What the handler needs, built once per cold start.
pub struct Deps {
    pub store: Box<dyn Store>,
    pub kept: Box<dyn Kept>,
    /// An undecided application's erasure deletes its link's token, derived by this key.
    pub key: IdentifierKey,
    pub policy: Policy,
}

/// One sweep, whatever the schedule's event says.
pub async fn handle(deps: &Deps, _event: LambdaEvent<serde_json::Value>) -> Result<Swept, Error> {
    let swept = retention::sweep(&*deps.store, &*deps.kept, &deps.key, deps.policy, Timestamp::now()).await?;
    tracing::info!(
        retired = swept.retired,
        documents_forgotten = swept.documents_forgotten,
        undecided_erased = swept.undecided_erased,
        "retention applied"
    );
    Ok(swept)
}
