//! The function's settings, read once per cold start from the environment
//! (the template's parameters; the local server reads the same names).

use shared::documents::settings as documents;
use shared::domain::DocumentLimits;
use shared::limits::RateLimits;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// The verification links' limits count these links too.
    pub rate_limits: RateLimits,
    pub documents: DocumentLimits,
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        Ok(Settings {
            rate_limits: RateLimits::from_lookup(&lookup).map_err(|e| e.to_string())?,
            documents: documents::limits(&lookup).map_err(|e| e.to_string())?,
        })
    }

    /// These settings with every rate limit off (tests, benchmarks).
    pub fn unlimited(self) -> Self {
        Settings { rate_limits: RateLimits::OFF, ..self }
    }
}
