//! Structured JSON logs. Handlers log outcomes (route, status, code), never
//! application values: names, emails, phones and addresses are personal data.

use tracing_subscriber::EnvFilter;

/// Installs a JSON subscriber on stdout (CloudWatch adds the timestamp), with the
/// level from `RUST_LOG` or `AWS_LAMBDA_LOG_LEVEL`, `info` by default.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| {
            EnvFilter::try_new(std::env::var("AWS_LAMBDA_LOG_LEVEL").unwrap_or_default().to_lowercase())
        })
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .with_current_span(false)
        .without_time()
        .init();
}
