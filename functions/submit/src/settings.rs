//! The function's settings, read once per cold start from the environment
//! (the template's parameters; the local server reads the same names).

use shared::limits::{LimitError, RateLimits};

/// Hours a verification link works (default 24); after that the unverified
/// application is deleted and its address is free again.
pub const ENV_VERIFICATION_TTL_HOURS: &str = "VERIFICATION_TTL_HOURS";

const DEFAULT_TTL_HOURS: i64 = 24;
/// At most a week: an unverified application is personal data nobody asked us to keep.
const MAX_TTL_HOURS: i64 = 7 * 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub limits: RateLimits,
    pub verification_ttl_secs: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { limits: RateLimits::default(), verification_ttl_secs: DEFAULT_TTL_HOURS * 3600 }
    }
}

/// A setting that cannot be used; names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error("{ENV_VERIFICATION_TTL_HOURS} must be a whole number of hours from 1 to {MAX_TTL_HOURS}")]
    Ttl,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let limits = RateLimits::from_lookup(&lookup)?;
        let hours = match lookup(ENV_VERIFICATION_TTL_HOURS).filter(|v| !v.trim().is_empty()) {
            None => DEFAULT_TTL_HOURS,
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|h| (1..=MAX_TTL_HOURS).contains(h))
                .ok_or(SettingsError::Ttl)?,
        };
        Ok(Settings { limits, verification_ttl_secs: hours * 3600 })
    }

    /// These settings with every rate limit off (load tests, benchmarks).
    pub fn unlimited(self) -> Self {
        Settings { limits: RateLimits::OFF, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_hours() {
        let with = |value: &'static str| {
            Settings::from_lookup(move |name| (name == ENV_VERIFICATION_TTL_HOURS).then(|| value.to_owned()))
        };
        assert_eq!(Settings::from_lookup(|_| None).unwrap(), Settings::default());
        assert_eq!(with("48").unwrap().verification_ttl_secs, 48 * 3600);
        for bad in ["0", "-1", "169", "1.5", "day"] {
            assert_eq!(with(bad), Err(SettingsError::Ttl), "{bad}");
        }
    }
}
