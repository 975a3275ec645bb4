//! The AWS SDK configuration shared by every client (DynamoDB, SES): short
//! timeouts and few retries, and an HTTPS client that trusts the roots AWS
//! endpoints chain to instead of the whole system store; and [`clients`], the
//! one place where a function's cold start builds its store and reads its key.
//!
//! Why not the SDK's default client: it loads every native root certificate
//! (on Debian, 292 files of `/etc/ssl/certs`) when the first client is built,
//! which made the cold start of submit and notify 3.7× a hello-world Lambda
//! (BENCHMARKS.md, "Cold start"). AWS service endpoints present certificates of
//! Amazon Trust Services, whose five roots are compiled in here
//! (`certs/amazon-trust-services.pem`, from Debian's ca-certificates). An
//! endpoint behind another CA (a TLS-inspecting proxy, a private emulator)
//! is trusted by naming a PEM bundle in `AWS_CA_BUNDLE`, the variable the AWS
//! CLI and other SDKs read for the same purpose.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use std::time::Duration;

/// Amazon Root CA 1–4 and Starfield Services Root CA G2.
pub const AMAZON_TRUST_SERVICES_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// Names a PEM bundle of extra roots to trust.
pub const CA_BUNDLE_ENV: &str = "AWS_CA_BUNDLE";

/// The SDK configuration for Lambda and local runs: the default chain
/// (`AWS_ENDPOINT_URL` included), with short timeouts and few retries, so that
/// an unreachable or stalled endpoint answers 503 within seconds instead of
/// letting API Gateway time out. Clients that need other timeouts (SES) set
/// their own on top.
pub async fn load_sdk_config() -> Result<aws_config::SdkConfig, String> {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(800))
        .operation_attempt_timeout(Duration::from_millis(1500))
        .operation_timeout(Duration::from_secs(4))
        .build();
    let retries = RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(40))
        .with_max_backoff(Duration::from_millis(500));
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls_context(std::env::var_os(CA_BUNDLE_ENV))?)
        .build_https();
    Ok(aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(timeouts)
        .retry_config(retries)
        .load()
        .await)
}

/// What a function builds once per cold start: the SDK configuration (SES is
/// built on it too), the DynamoDB store (`TABLE_NAME`) and the identifier key
/// (`keyed::from_env`: Secrets Manager as deployed).
#[cfg(all(feature = "dynamodb", feature = "secrets"))]
pub struct Clients {
    pub sdk: aws_config::SdkConfig,
    pub store: crate::store::dynamodb::DynamoStore,
    pub key: crate::keyed::IdentifierKey,
}

/// Builds [`Clients`]. The key's read (a round trip to Secrets Manager as
/// deployed) is the longest step of a cold start; the store is built while it
/// is in flight rather than after it.
///
/// Not done here: opening the DynamoDB connection during init (one GetItem of
/// a key no item has, joined with the key's read). On AWS it would take the
/// first request's TLS handshake into the init, overlapped with the key's
/// round trip; on moto (plain HTTP, one request at a time) it added a whole
/// round trip to the init and nothing measurable to the first response
/// (BENCHMARKS.md, "Cold start: the key read beside the clients").
#[cfg(all(feature = "dynamodb", feature = "secrets"))]
pub async fn clients() -> Result<Clients, Box<dyn std::error::Error + Send + Sync>> {
    let sdk = load_sdk_config().await?;
    let (key, store) = tokio::join!(crate::keyed::from_env(&sdk), async {
        crate::store::dynamodb::DynamoStore::from_env(&sdk)
    });
    Ok(Clients { key: key?, store: store?, sdk })
}

fn tls_context(ca_bundle: Option<std::ffi::OsString>) -> Result<TlsContext, String> {
    let mut roots = TrustStore::empty().with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS);
    if let Some(path) = ca_bundle.filter(|p| !p.is_empty()) {
        let pem = std::fs::read(&path)
            .map_err(|err| format!("{CA_BUNDLE_ENV}={}: {err}", path.to_string_lossy()))?;
        check_pem(&pem).map_err(|err| format!("{CA_BUNDLE_ENV}={}: {err}", path.to_string_lossy()))?;
        roots.add_pem_certificate(pem);
    }
    TlsContext::builder().with_trust_store(roots).build().map_err(|err| err.to_string())
}

/// The SDK parses the roots when a client is first built and panics on a bad
/// one; checking here turns an operator's bad bundle into a start-up error.
fn check_pem(pem: &[u8]) -> Result<usize, String> {
    use rustls_pki_types::{CertificateDer, pem::PemObject};
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("not a PEM certificate bundle: {err}"))?;
    if certs.is_empty() {
        return Err("no certificate in the bundle".into());
    }
    Ok(certs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_roots_are_the_five_amazon_trust_services_roots() {
        assert_eq!(check_pem(AMAZON_TRUST_SERVICES_ROOTS), Ok(5));
    }

    #[test]
    fn an_extra_bundle_must_hold_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = tls_context(Some(empty.into())).unwrap_err();
        assert!(err.contains("no certificate"), "{err}");

        let missing = dir.path().join("missing.pem");
        let err = tls_context(Some(missing.into())).unwrap_err();
        assert!(err.starts_with(CA_BUNDLE_ENV), "{err}");

        let bundle = dir.path().join("bundle.pem");
        std::fs::write(&bundle, AMAZON_TRUST_SERVICES_ROOTS).unwrap();
        assert!(tls_context(Some(bundle.into())).is_ok());
    }
}
