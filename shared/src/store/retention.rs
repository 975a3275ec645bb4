//! How long an application nobody decides is kept (`UNDECIDED_RETENTION_DAYS`;
//! 0, the default, keeps it until someone does). The rule is a plan's
//! ([`super::plan::undecided_due`]); the sweep here runs it over any store and
//! erases what is due, as an operator's erasure would (reason `retention`), so
//! the counts, the address's notices and the audit follow as they do for one.
//! It runs where a sweep runs: the local server's purge. On AWS no scheduled
//! function reads it yet (README, retention).

use super::{EraseOutcome, Erasure, Store, Unavailable, plan};
use crate::domain::{Actor, AuditAction, AuditEntry, ErasureReason, Status, Timestamp};
use crate::keyed::IdentifierKey;

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

/// Erases every application still undecided `retention` after its last
/// change, as of `now`. Returns how many.
pub async fn erase_undecided(
    store: &dyn Store,
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
