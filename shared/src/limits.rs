//! Rate limits: fixed one-hour windows counted in the store ([`Intake::admit`]:
//! a conditional `UpdateItem` on DynamoDB, a transaction in SQLite), so every
//! Lambda instance and every local process shares one count. Source addresses
//! (an IPv6 one by its /64) and mail addresses are counted under a keyed hash
//! ([`IdentifierKey::client`], [`IdentifierKey::address`]), never as is.
//!
//! A refused request stores nothing but the counter and sends no mail: the
//! handler asks here before it does anything else.

use crate::domain::Timestamp;
use crate::keyed::{AddressKey, IdentifierKey};
use crate::store::{Counter, Intake, Unavailable};
use std::net::IpAddr;

/// Environment variables (the template and the local server set these).
pub const ENV_SUBMISSIONS_PER_CLIENT: &str = "RATE_LIMIT_SUBMISSIONS_PER_CLIENT";
pub const ENV_SUBMISSIONS_TOTAL: &str = "RATE_LIMIT_SUBMISSIONS_TOTAL";
pub const ENV_SUBMISSIONS_PER_ADDRESS: &str = "RATE_LIMIT_SUBMISSIONS_PER_ADDRESS";
pub const ENV_VERIFICATIONS_PER_CLIENT: &str = "RATE_LIMIT_VERIFICATIONS_PER_CLIENT";

/// The length of a window.
pub const WINDOW_SECS: i64 = 60 * 60;

/// Requests per source address and per hour; `None` is off (`0` in the environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub submissions_per_client: Option<u32>,
    pub submissions_total: Option<u32>,
    /// Submissions per mail address: every one sends that address a mail (a
    /// link, or "already received"), so this bounds what one victim can be
    /// sent, and what made-up addresses can bounce, below the service's total.
    pub submissions_per_address: Option<u32>,
    /// Previews and confirmations together: a token has 256 bits, so this
    /// only keeps one client from loading the store by guessing.
    pub verifications_per_client: Option<u32>,
}

/// A setting that is not a whole number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a whole number (0 turns the limit off)")]
pub struct LimitError(pub &'static str);

impl Default for RateLimits {
    /// The contract's defaults.
    fn default() -> Self {
        RateLimits {
            submissions_per_client: Some(10),
            submissions_total: Some(1000),
            submissions_per_address: Some(3),
            verifications_per_client: Some(60),
        }
    }
}

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submission,
    Verification,
}

impl RateLimits {
    /// Every limit off (load tests, benchmarks).
    pub const OFF: RateLimits = RateLimits {
        submissions_per_client: None,
        submissions_total: None,
        submissions_per_address: None,
        verifications_per_client: None,
    };

    /// From the environment, each unset variable at its default.
    pub fn from_env() -> Result<Self, LimitError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, LimitError> {
        let defaults = RateLimits::default();
        let read =
            |name: &'static str, default: Option<u32>| match lookup(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(text) => match text.trim().parse::<u32>() {
                    Ok(0) => Ok(None),
                    Ok(limit) => Ok(Some(limit)),
                    Err(_) => Err(LimitError(name)),
                },
            };
        Ok(RateLimits {
            submissions_per_client: read(ENV_SUBMISSIONS_PER_CLIENT, defaults.submissions_per_client)?,
            submissions_total: read(ENV_SUBMISSIONS_TOTAL, defaults.submissions_total)?,
            submissions_per_address: read(ENV_SUBMISSIONS_PER_ADDRESS, defaults.submissions_per_address)?,
            verifications_per_client: read(ENV_VERIFICATIONS_PER_CLIENT, defaults.verifications_per_client)?,
        })
    }

    /// The counters one request of `action` from `client` counts against, at
    /// `now`: the client's, the mail address's (a submission's), the service's,
    /// in that order, so that one client or one address over its limit does
    /// not use up the service's count.
    pub fn counters(&self, action: Action, from: &Source<'_>, now: Timestamp) -> Vec<Counter> {
        let window = now.epoch().div_euclid(WINDOW_SECS);
        let window_ends = Timestamp::from_epoch((window + 1) * WINDOW_SECS).unwrap_or(now);
        let (name, per_client, per_address, total) = match action {
            Action::Submission => {
                ("submit", self.submissions_per_client, self.submissions_per_address, self.submissions_total)
            }
            Action::Verification => ("verify", self.verifications_per_client, None, None),
        };
        let mut counters = Vec::new();
        // Without a source address (not behind API Gateway) only the total counts.
        if let (Some(limit), Some(ip)) = (per_client, from.client) {
            let key = format!("{name}#{window}#{}", from.key.client(ip).as_str());
            counters.push(Counter { key, limit, window_ends });
        }
        if let (Some(limit), Some(address)) = (per_address, from.address) {
            let key = format!("{name}-address#{window}#{}", address.as_str());
            counters.push(Counter { key, limit, window_ends });
        }
        if let Some(limit) = total {
            counters.push(Counter { key: format!("{name}-total#{window}"), limit, window_ends });
        }
        counters
    }
}

/// Who a request comes from, as the limits count it.
pub struct Source<'a> {
    /// The source address (API Gateway's `sourceIp`), if known.
    pub client: Option<IpAddr>,
    /// A submission's mail address ([`IdentifierKey::address`]).
    pub address: Option<&'a AddressKey>,
    /// Hashes the source address.
    pub key: &'a IdentifierKey,
}

/// A request over a limit: retry after this many seconds (the window's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after_secs: u64,
}

/// Counts one request against every counter; refuses at the first that is full.
pub async fn admit(
    store: &dyn Intake,
    limits: &RateLimits,
    action: Action,
    from: &Source<'_>,
) -> Result<Result<(), Limited>, Unavailable> {
    let now = Timestamp::now();
    for counter in limits.counters(action, from, now) {
        if !store.admit(&counter).await? {
            let retry_after_secs =
                u64::try_from(counter.window_ends.epoch() - now.epoch()).unwrap_or(1).max(1);
            return Ok(Err(Limited { retry_after_secs }));
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        let none = RateLimits::from_lookup(|_| None).unwrap();
        assert_eq!(none, RateLimits::default());
        assert_eq!(none.submissions_per_client, Some(10));
        assert_eq!(none.submissions_total, Some(1000));
        assert_eq!(none.submissions_per_address, Some(3));
        let set = |name: &'static str, value: &'static str| {
            RateLimits::from_lookup(move |n| (n == name).then(|| value.to_owned()))
        };
        assert_eq!(set(ENV_SUBMISSIONS_PER_CLIENT, "0").unwrap().submissions_per_client, None);
        assert_eq!(set(ENV_SUBMISSIONS_TOTAL, " 5 ").unwrap().submissions_total, Some(5));
        assert_eq!(set(ENV_SUBMISSIONS_TOTAL, "").unwrap().submissions_total, Some(1000));
        assert_eq!(set(ENV_SUBMISSIONS_PER_CLIENT, "ten"), Err(LimitError(ENV_SUBMISSIONS_PER_CLIENT)));
        assert_eq!(set(ENV_SUBMISSIONS_PER_CLIENT, "-1"), Err(LimitError(ENV_SUBMISSIONS_PER_CLIENT)));
        assert_eq!(set(ENV_SUBMISSIONS_PER_ADDRESS, "0").unwrap().submissions_per_address, None);
        assert_eq!(set(ENV_SUBMISSIONS_PER_ADDRESS, "5").unwrap().submissions_per_address, Some(5));
        assert_eq!(set(ENV_SUBMISSIONS_PER_ADDRESS, "x"), Err(LimitError(ENV_SUBMISSIONS_PER_ADDRESS)));
    }

    #[test]
    fn counters_name_the_window_and_hide_the_address() {
        let key = IdentifierKey::for_tests();
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let email =
            crate::domain::Email::parse_text(crate::domain::Field::Email, "taro@example.com").unwrap();
        let address = key.address(&email);
        let from = Source { client: Some(ip), address: Some(&address), key: &key };
        let now = Timestamp::from_epoch(1_796_000_000).unwrap();
        let counters = RateLimits::default().counters(Action::Submission, &from, now);
        assert_eq!(counters.len(), 3);
        assert!(counters.iter().all(|c| !c.key.contains("203.0.113.9") && !c.key.contains("taro")));
        assert_eq!(counters.iter().map(|c| c.limit).collect::<Vec<_>>(), [10, 3, 1000]);
        assert!(counters[1].key.contains(address.as_str()));
        assert_eq!(counters[0].window_ends.epoch(), 1_796_000_000 / 3600 * 3600 + 3600);
        let next_hour = RateLimits::default().counters(Action::Submission, &from, now.plus_secs(3600));
        assert_ne!(next_hour[0].key, counters[0].key);
        assert_ne!(next_hour[1].key, counters[1].key);
        assert!(RateLimits::OFF.counters(Action::Submission, &from, now).is_empty());
        let anonymous = Source { client: None, address: None, key: &key };
        assert_eq!(RateLimits::default().counters(Action::Submission, &anonymous, now).len(), 1);
        // A verification has no address of its own to count.
        assert_eq!(RateLimits::default().counters(Action::Verification, &from, now).len(), 1);
    }

    #[test]
    fn an_ipv6_client_counts_once_for_its_slash_64() {
        let key = IdentifierKey::for_tests();
        let now = Timestamp::from_epoch(1_796_000_000).unwrap();
        let counter = |ip: &str| {
            let from = Source { client: Some(ip.parse().unwrap()), address: None, key: &key };
            RateLimits::default().counters(Action::Submission, &from, now).remove(0).key
        };
        assert_eq!(counter("2001:db8:1:2::1"), counter("2001:db8:1:2:ffff::7"));
        assert_ne!(counter("2001:db8:1:2::1"), counter("2001:db8:1:3::1"));
    }
}
