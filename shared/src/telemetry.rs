//! Structured JSON logs. Handlers log outcomes (route, status, code), never
//! application values: names, emails, phones and addresses are personal data.

use tracing_subscriber::EnvFilter;

/// The level when nothing (or nothing usable) is configured. Errors must reach
/// the logs whatever the environment says: a failed mail write on a full disk
/// once logged nothing because an unset variable meant an empty filter.
const DEFAULT_DIRECTIVES: &str = "info";

/// Installs a JSON subscriber on stdout (CloudWatch adds the timestamp), with the
/// level from `RUST_LOG` or `AWS_LAMBDA_LOG_LEVEL`, `info` by default.
pub fn init() {
    let rust_log = std::env::var("RUST_LOG").ok();
    let lambda_level = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok();
    let directives = directives(rust_log.as_deref(), lambda_level.as_deref());
    // `directives` only returns what parses, so the fallback is never taken; it
    // is there so that a parser change cannot silence the logs.
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new(DEFAULT_DIRECTIVES));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .with_current_span(false)
        .without_time()
        .init();
}

/// The filter directives: `RUST_LOG` if it is set, not blank and parses; else
/// Lambda's `AWS_LAMBDA_LOG_LEVEL` (TRACE … FATAL, mapped onto tracing's
/// levels); else `info`. Blank values count as unset: `EnvFilter` reads an empty
/// string as a filter with no directives, which enables nothing at all.
pub fn directives(rust_log: Option<&str>, lambda_level: Option<&str>) -> String {
    if let Some(rust_log) = rust_log.map(str::trim).filter(|v| !v.is_empty())
        && EnvFilter::try_new(rust_log).is_ok()
    {
        return rust_log.to_owned();
    }
    match lambda_level.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        Some(level @ ("trace" | "debug" | "info" | "warn" | "error")) => level.to_owned(),
        // Lambda's FATAL has no tracing level; "fatal" would parse as a target
        // name and silence everything else.
        Some("fatal") => "error".to_owned(),
        _ => DEFAULT_DIRECTIVES.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_blank_or_unusable_values_mean_info() {
        let cases = [
            (None, None, "info"),
            (Some(""), None, "info"),
            (Some("  "), Some(""), "info"),
            (None, Some(""), "info"),
            (None, Some("loud"), "info"),
            (Some("debug"), Some("ERROR"), "debug"),
            (Some("local=debug,info"), None, "local=debug,info"),
            (None, Some("WARN"), "warn"),
            (None, Some("FATAL"), "error"),
            (Some(""), Some("DEBUG"), "debug"),
            // Not a filter at all: the Lambda level, else info, rather than nothing.
            (Some("=="), None, "info"),
            (Some("[="), Some("ERROR"), "error"),
        ];
        for (rust_log, lambda, want) in cases {
            assert_eq!(
                directives(rust_log, lambda),
                want,
                "RUST_LOG={rust_log:?} AWS_LAMBDA_LOG_LEVEL={lambda:?}"
            );
        }
    }

    #[test]
    fn the_default_lets_errors_and_info_through() {
        use tracing::level_filters::LevelFilter;
        let filter = EnvFilter::try_new(directives(None, None)).unwrap();
        assert_eq!(filter.max_level_hint(), Some(LevelFilter::INFO));
    }
}
