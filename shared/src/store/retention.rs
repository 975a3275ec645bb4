//! Retention: what leaves the store when its time is up, on both backends by
//! the same plans, run by the same [`sweep`]: daily on AWS by the retention
//! function (EventBridge Scheduler), and by each purge of the local server.
//!
//! - **Rejected applications past their retention** (`REJECTED_RETENTION_DAYS`):
//!   the work list is the store's due entries ([`Retirement::due`]: DynamoDB's
//!   `DUE` items, SQLite's rows), and each is deleted by [`plan::retire`] in a
//!   transaction that moves its status's counter. TTL stays on AWS as a
//!   backstop; an application it deleted first leaves its due entry, which
//!   the plan retires alone (the counter still counted it).
//! - **Documents past their retention** (`DOCUMENT_RETENTION_DAYS` after the
//!   final decision, [`plan::documents_due`]): the work list is the
//!   applications that have files ([`Kept::applications_with_files`]); the
//!   files go first, then their records.
//! - **Undecided applications** (`UNDECIDED_RETENTION_DAYS`; 0, the default,
//!   keeps them until someone decides, [`plan::undecided_due`]): erased as an
//!   operator's erasure would (reason `retention`), so the counts, the
//!   address's notices and the audit follow as they do for one.

use super::{EraseOutcome, Erasure, Store, Unavailable, plan};
use crate::documents::Kept;
use crate::domain::{Actor, ApplicationId, AuditAction, AuditEntry, ErasureReason, Status, Timestamp};
use crate::keyed::IdentifierKey;
use async_trait::async_trait;

/// The environment variable: whole days, 0 (or unset) for no limit.
pub const ENV_UNDECIDED_RETENTION_DAYS: &str = "UNDECIDED_RETENTION_DAYS";

/// At most this many applications of one status a sweep looks at (a day's
/// sweep; what is left waits for the next).
const PER_SWEEP: usize = 10_000;

/// How many days an undecided application is kept; 0: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UndecidedRetention(u32);

impl UndecidedRetention {
    pub const fn days(self) -> u32 {
        self.0
    }

    /// `0`, or a whole number of days up to ten years.
    pub fn parse(text: &str) -> Result<Self, String> {
        let days: u32 = text.trim().parse().map_err(|_| {
            format!("{ENV_UNDECIDED_RETENTION_DAYS} must be a whole number of days (0: no limit)")
        })?;
        if days > 3_650 {
            return Err(format!("{ENV_UNDECIDED_RETENTION_DAYS} is at most 3650 days"));
        }
        Ok(UndecidedRetention(days))
    }

    /// From the environment; unset is 0.
    pub fn from_env() -> Result<Self, String> {
        std::env::var(ENV_UNDECIDED_RETENTION_DAYS).map_or(Ok(Self::default()), |text| Self::parse(&text))
    }
}

/// One entry of the retention's work list: an application that leaves at
/// `at`, counted under `status` until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub application_id: ApplicationId,
    pub status: Status,
    pub at: Timestamp,
}

/// How a retirement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetireOutcome {
    /// Deleted now, with its counter (or its entry alone, if the application
    /// was gone already).
    Retired,
    /// Not due (yet), or another writer changed it since: the next sweep looks again.
    NotDue,
}

/// What a retention sweep asks of a store beside the review.
#[async_trait]
pub trait Retirement: Send + Sync {
    /// The entries whose time has passed at `now`, oldest first, at most `limit`.
    async fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<Due>, Unavailable>;

    /// Carries out [`plan::retire`] for `due`: the application and every
    /// record under it deleted, its entry deleted and its counter moved, in
    /// one transaction (what does not fit goes first, only deletions).
    async fn retire(&self, due: &Due, now: Timestamp) -> Result<RetireOutcome, Unavailable>;
}

/// The retention settings a sweep applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    pub undecided: UndecidedRetention,
    /// `DOCUMENT_RETENTION_DAYS`: files go this long after the final decision (0: kept).
    pub documents_days: u32,
}

impl Policy {
    /// `UNDECIDED_RETENTION_DAYS` and `DOCUMENT_RETENTION_DAYS` from the
    /// environment (each unset: its default).
    pub fn from_env() -> Result<Self, String> {
        let get = |name: &str| std::env::var(name).ok();
        Ok(Policy {
            undecided: UndecidedRetention::from_env()?,
            documents_days: crate::documents::settings::retention_days(&get).map_err(|e| e.to_string())?,
        })
    }
}

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Swept {
    /// Applications past their retention (rejected), deleted with their records.
    pub retired: usize,
    /// Applications whose documents went (files and records).
    pub documents_forgotten: usize,
    /// Undecided applications erased.
    pub undecided_erased: usize,
}

/// One retention sweep as of `now`: each part runs even if another failed
/// (the first failure is returned, after all of them ran; the next sweep
/// retries what is left).
pub async fn sweep(
    store: &dyn Store,
    kept: &dyn Kept,
    key: &IdentifierKey,
    policy: Policy,
    now: Timestamp,
) -> Result<Swept, Unavailable> {
    let retired = retire_due(store as &dyn Retirement, kept, now).await;
    let forgotten = forget_documents_due(store, kept, policy.documents_days, now).await;
    let erased = erase_undecided(store, kept, key, policy.undecided, now).await;
    Ok(Swept { retired: retired?, documents_forgotten: forgotten?, undecided_erased: erased? })
}

/// Retires every due entry: the application's files first (a retry finds
/// none), then [`Retirement::retire`].
pub async fn retire_due(
    store: &dyn Retirement,
    kept: &dyn Kept,
    now: Timestamp,
) -> Result<usize, Unavailable> {
    let mut retired = 0;
    for due in store.due(now, PER_SWEEP).await? {
        kept.delete_application(due.application_id).await?;
        if store.retire(&due, now).await? == RetireOutcome::Retired {
            retired += 1;
        }
    }
    Ok(retired)
}

/// Deletes the files and then the records of the documents of every
/// application past `days` after its final decision.
pub async fn forget_documents_due(
    store: &dyn Store,
    kept: &dyn Kept,
    days: u32,
    now: Timestamp,
) -> Result<usize, Unavailable> {
    if days == 0 {
        return Ok(0);
    }
    let mut forgotten = 0;
    for id in kept.applications_with_files().await? {
        let Some((super::Record::Live(stored), history)) = store.record(id).await? else { continue };
        let decided_at = history.last().map_or(stored.receipt.received_at, |entry| entry.at);
        if plan::documents_due(&stored, decided_at, now, days) {
            kept.delete_application(id).await?;
            store.forget_documents(id).await?;
            forgotten += 1;
        }
    }
    Ok(forgotten)
}

/// Erases every application still undecided `retention` after its last
/// change, as of `now`, and deletes its files. Returns how many.
pub async fn erase_undecided(
    store: &dyn Store,
    kept: &dyn Kept,
    key: &IdentifierKey,
    retention: UndecidedRetention,
    now: Timestamp,
) -> Result<usize, Unavailable> {
    if retention.days() == 0 {
        return Ok(0);
    }
    let mut erased = 0;
    for status in Status::ALL.into_iter().filter(|status| status.is_verified() && !status.is_final()) {
        for stored in store.list_by_status(status, PER_SWEEP).await? {
            let id = stored.id();
            let Some((_, history)) = store.record(id).await? else { continue };
            let last_change = history
                .last()
                .map(|entry| entry.at)
                .or(stored.verified_at)
                .unwrap_or(stored.receipt.received_at);
            if !plan::undecided_due(&stored, last_change, now, retention.days()) {
                continue;
            }
            let erasure = Erasure {
                application_id: id,
                actor: Actor::retention(),
                reason: ErasureReason::Retention,
                at: now,
                token_hash: key.verification_token(id).hash(),
                audit: AuditEntry::now(Actor::retention(), AuditAction::Erase, Some(id)),
            };
            if let EraseOutcome::Erased(_) = store.erase(&erasure).await? {
                kept.delete_application(id).await?;
                erased += 1;
            }
        }
    }
    Ok(erased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_whole_and_bounded() {
        assert_eq!(UndecidedRetention::parse("0"), Ok(UndecidedRetention(0)));
        assert_eq!(UndecidedRetention::parse(" 180 ").map(UndecidedRetention::days), Ok(180));
        for bad in ["", "-1", "1.5", "3651", "ten"] {
            assert!(UndecidedRetention::parse(bad).is_err(), "{bad:?}");
        }
    }
}
