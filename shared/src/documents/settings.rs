//! The documents' settings (contract v3, *Limits and storage*): their
//! environment variables, defaults and ranges, declared once. The template's
//! parameters, the local server's defaults and the README are checked
//! against these.

use crate::domain::DocumentLimits;

/// How long a documents link works, in days (1–60).
pub const ENV_REQUEST_TTL_DAYS: &str = "DOCUMENT_REQUEST_TTL_DAYS";
pub const DEFAULT_REQUEST_TTL_DAYS: u32 = 14;
pub const REQUEST_TTL_DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=60;

pub const ENV_MAX_FILES: &str = "DOCUMENT_MAX_FILES";
pub const ENV_MAX_FILE_BYTES: &str = "DOCUMENT_MAX_FILE_BYTES";
pub const ENV_MAX_TOTAL_BYTES: &str = "DOCUMENT_MAX_TOTAL_BYTES";

/// Days after the final decision at which the files are deleted (`0`: kept
/// until the application is erased).
pub const ENV_RETENTION_DAYS: &str = "DOCUMENT_RETENTION_DAYS";
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// The bucket (AWS); the local server keeps files in its data directory.
pub const ENV_BUCKET: &str = "DOCUMENTS_BUCKET";

/// `Enabled` when GuardDuty scans the bucket (the template's `DocumentMalwareScanning`).
pub const ENV_MALWARE_SCANNING: &str = "DOCUMENT_MALWARE_SCANNING";

/// How long an upload target and a download link work.
pub const UPLOAD_LINK_SECS: u64 = 15 * 60;
/// At most five minutes (contract v3, *Operators*).
pub const DOWNLOAD_LINK_SECS: u64 = 5 * 60;

/// A setting that is not a number in its range: names the variable only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a valid value")]
pub struct Invalid(pub &'static str);

fn number<T: std::str::FromStr + PartialOrd + Copy>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, Invalid> {
    match get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(text) => text.parse::<T>().ok().filter(|n| range.contains(n)).ok_or(Invalid(name)),
    }
}

/// `DOCUMENT_REQUEST_TTL_DAYS` through `get` (unset: the default).
pub fn request_ttl_days(get: &impl Fn(&str) -> Option<String>) -> Result<u32, Invalid> {
    number(get, ENV_REQUEST_TTL_DAYS, DEFAULT_REQUEST_TTL_DAYS, REQUEST_TTL_DAYS_RANGE)
}

/// `DOCUMENT_RETENTION_DAYS` through `get` (unset: the default; 0–3650).
pub fn retention_days(get: &impl Fn(&str) -> Option<String>) -> Result<u32, Invalid> {
    number(get, ENV_RETENTION_DAYS, DEFAULT_RETENTION_DAYS, 0..=3650)
}

/// The limits through `get`: each unset one its default; a file's limit at
/// most the total, which S3's single PUT (5 GB) bounds far above.
pub fn limits(get: &impl Fn(&str) -> Option<String>) -> Result<DocumentLimits, Invalid> {
    let default = DocumentLimits::default();
    let limits = DocumentLimits {
        max_files: number(get, ENV_MAX_FILES, default.max_files, 1..=50)?,
        max_file_bytes: number(get, ENV_MAX_FILE_BYTES, default.max_file_bytes, 1..=100 * 1024 * 1024)?,
        max_total_bytes: number(get, ENV_MAX_TOTAL_BYTES, default.max_total_bytes, 1..=1024 * 1024 * 1024)?,
    };
    if limits.max_file_bytes > limits.max_total_bytes {
        return Err(Invalid(ENV_MAX_FILE_BYTES));
    }
    Ok(limits)
}

/// Whether GuardDuty scans the files (so an untagged one is `pending`, not `not_scanned`).
pub fn malware_scanning(get: &impl Fn(&str) -> Option<String>) -> bool {
    get(ENV_MALWARE_SCANNING).is_some_and(|v| v.trim() == "Enabled")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_ranges_and_names() {
        let none = |_: &str| None;
        assert_eq!(request_ttl_days(&none), Ok(14));
        assert_eq!(limits(&none), Ok(DocumentLimits::default()));
        let set = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        assert_eq!(
            request_ttl_days(&set(&[(ENV_REQUEST_TTL_DAYS, "61")])),
            Err(Invalid(ENV_REQUEST_TTL_DAYS))
        );
        assert_eq!(request_ttl_days(&set(&[(ENV_REQUEST_TTL_DAYS, " 60 ")])), Ok(60));
        assert_eq!(
            limits(&set(&[(ENV_MAX_FILE_BYTES, "200"), (ENV_MAX_TOTAL_BYTES, "100")])),
            Err(Invalid(ENV_MAX_FILE_BYTES))
        );
        assert!(malware_scanning(&set(&[(ENV_MALWARE_SCANNING, "Enabled")])));
        assert!(!malware_scanning(&set(&[(ENV_MALWARE_SCANNING, "Disabled")])));
    }
}
