//! Structured JSON logs. Handlers log outcomes (route, status, code), never
//! application values: names, emails, phones and addresses are personal data.

use tracing::Subscriber;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The level when nothing (or nothing usable) is configured. Errors must reach
/// the logs whatever the environment says: a failed mail write on a full disk
/// once logged nothing because an unset variable meant an empty filter.
const DEFAULT_DIRECTIVES: &str = "info";

/// The libraries whose debug and trace output can carry request and response
/// bodies (the AWS SDK's wire logs, HTTP/TLS internals) or the Lambda event:
/// with personal data in the bodies, these targets never log below `info`,
/// whatever `RUST_LOG` says. Targets match by prefix (`aws_` covers `aws_config`,
/// `aws_sdk_*`, `aws_smithy_*`, `aws_sigv4`…; `hyper` covers `hyper_util`).
pub const CAPPED_TARGETS: &[&str] =
    &["aws_", "hyper", "h2", "rustls", "tower", "tower_http", "reqwest", "lambda_runtime", "lambda_http"];

/// The most a [`CAPPED_TARGETS`] target logs.
pub const CAPPED_LEVEL: LevelFilter = LevelFilter::INFO;

/// Installs a JSON subscriber on stdout (CloudWatch adds the timestamp), with the
/// level from `RUST_LOG` or `AWS_LAMBDA_LOG_LEVEL`, `info` by default, and the
/// libraries of [`CAPPED_TARGETS`] capped at [`CAPPED_LEVEL`].
pub fn init() {
    let rust_log = std::env::var("RUST_LOG").ok();
    let lambda_level = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok();
    subscriber(&directives(rust_log.as_deref(), lambda_level.as_deref()), std::io::stdout).init();
}

/// The subscriber [`init`] installs, writing to `writer`.
fn subscriber<W>(directives: &str, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    // `directives` only returns what parses, so the fallback is never taken; it
    // is there so that a parser change cannot silence the logs.
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new(DEFAULT_DIRECTIVES));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false)
        .with_current_span(false)
        .without_time()
        .finish()
        // A second filter rather than directives appended to `RUST_LOG`'s: an
        // event passes only if both allow it, so no directive of the setting
        // (a more specific target, a span or field filter) can lift the cap.
        .with(cap())
}

/// Everything at any level, except [`CAPPED_TARGETS`] above [`CAPPED_LEVEL`].
fn cap() -> Targets {
    CAPPED_TARGETS.iter().fold(Targets::new().with_default(LevelFilter::TRACE), |targets, target| {
        targets.with_target(*target, CAPPED_LEVEL)
    })
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

    /// Log lines kept in memory.
    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Lines {
        type Writer = Lines;
        fn make_writer(&'w self) -> Lines {
            self.clone()
        }
    }

    #[test]
    fn the_sdk_and_http_libraries_never_log_below_info() {
        for rust_log in [
            "trace",
            "debug",
            "warn,aws_smithy_runtime=trace",
            "warn,aws_smithy_runtime::client::orchestrator=trace,hyper_util=trace,h2=trace",
            "info,aws_sdk_dynamodb=debug,rustls=trace,tower_http=debug,lambda_runtime=trace",
        ] {
            let lines = Lines::default();
            tracing::subscriber::with_default(
                subscriber(&directives(Some(rust_log), None), lines.clone()),
                || {
                    tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "wire body");
                    tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "wire body");
                    tracing::debug!(target: "aws_sdk_dynamodb::operation", "wire body");
                    tracing::debug!(target: "aws_config::profile", "wire body");
                    tracing::trace!(target: "hyper_util::client", "wire body");
                    tracing::debug!(target: "h2::codec", "wire body");
                    tracing::trace!(target: "rustls::conn", "wire body");
                    tracing::debug!(target: "tower_http::trace", "wire body");
                    tracing::trace!(target: "lambda_runtime::layers", "wire body");
                    tracing::info!(target: "aws_smithy_runtime::client::orchestrator", "sdk info");
                    tracing::warn!(target: "hyper::proto", "hyper warning");
                },
            );
            let logged = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
            assert!(!logged.contains("wire body"), "RUST_LOG={rust_log}: {logged}");
            assert!(logged.contains("sdk info"), "RUST_LOG={rust_log}: {logged}");
            assert!(logged.contains("hyper warning"), "RUST_LOG={rust_log}: {logged}");
        }
    }

    #[test]
    fn our_own_debug_output_still_follows_the_setting() {
        let lines = Lines::default();
        tracing::subscriber::with_default(subscriber("debug", lines.clone()), || {
            tracing::debug!(target: "submit::handler", "own debug");
            tracing::trace!(target: "submit::handler", "own trace");
        });
        let logged = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("own debug"), "{logged}");
        assert!(!logged.contains("own trace"), "{logged}");
    }

    #[test]
    fn the_default_lets_errors_and_info_through() {
        use tracing::level_filters::LevelFilter;
        let filter = EnvFilter::try_new(directives(None, None)).unwrap();
        assert_eq!(filter.max_level_hint(), Some(LevelFilter::INFO));
    }
}
