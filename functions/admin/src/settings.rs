//! The operator API's settings, read once per cold start.

use shared::documents::settings as documents;

/// Days a rejected application's personal data is kept (default 365, 1–3650).
pub const ENV_REJECTED_RETENTION_DAYS: &str = "REJECTED_RETENTION_DAYS";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub rejected_retention_days: u32,
    /// How long a documents link works (`DOCUMENT_REQUEST_TTL_DAYS`).
    pub document_request_ttl_days: u32,
    /// Whether GuardDuty scans the documents (`DOCUMENT_MALWARE_SCANNING`).
    pub malware_scanning: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rejected_retention_days: 365,
            document_request_ttl_days: documents::DEFAULT_REQUEST_TTL_DAYS,
            malware_scanning: false,
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut settings = Settings::default();
        if let Some(text) = lookup(ENV_REJECTED_RETENTION_DAYS).filter(|t| !t.trim().is_empty()) {
            settings.rejected_retention_days =
                text.trim().parse().ok().filter(|days| (1..=3650).contains(days)).ok_or_else(|| {
                    format!("{ENV_REJECTED_RETENTION_DAYS} must be a whole number of days, 1 to 3650")
                })?;
        }
        settings.document_request_ttl_days =
            documents::request_ttl_days(&lookup).map_err(|e| e.to_string())?;
        settings.malware_scanning = documents::malware_scanning(&lookup);
        Ok(settings)
    }

    pub fn retention_secs(&self) -> i64 {
        i64::from(self.rejected_retention_days) * 86_400
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_defaults_to_a_year_and_refuses_nonsense() {
        let of = |value: &str| {
            Settings::from_lookup(|name| (name == ENV_REJECTED_RETENTION_DAYS).then(|| value.to_owned()))
        };
        assert_eq!(Settings::from_lookup(|_| None).unwrap().rejected_retention_days, 365);
        assert_eq!(of("30").unwrap().rejected_retention_days, 30);
        for bad in ["0", "-1", "x", "3651"] {
            assert!(of(bad).is_err(), "{bad}");
        }
    }
}
