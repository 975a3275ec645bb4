//! moto as the integration tests reach it (behind this crate's `dynamodb`,
//! `serialised` and `ses` features): SDK clients with the production settings,
//! a fresh table (and store) per test, and a verified SES sender per test.
//! Each test names its own table and sender domain ([`unique`]), so tests —
//! and other crates' tests on the same server — do not see each other.

use crate::unique;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{Credentials, Region};
use shared::aws::load_sdk_config;
use shared::store::dynamodb::{DynamoStore, create_table};
use std::time::Duration;

/// The region every client is configured for.
pub const REGION: &str = "ap-northeast-1";

/// moto accepts any credentials; these are the ones `scripts/test` exports.
pub fn credentials() -> Credentials {
    Credentials::new("testing", "testing", None, None, "tests")
}

/// Test setup (creating tables and identities) may meet a cold moto: no
/// production attempt timeout, so that a slow first call is not retried into a
/// conflict with itself.
fn patient() -> TimeoutConfig {
    TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(30))
        .build()
}

/// A DynamoDB client with the production SDK settings (timeouts, retries),
/// pointed at `endpoint`.
pub async fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let sdk = load_sdk_config().await.expect("SDK configuration");
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(credentials())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A fresh table named `prefix…` with the layout's schema (and stream) on
/// `endpoint`, created patiently, and a store on it with the production client.
pub async fn fresh_store_on(endpoint: &str, prefix: &str) -> DynamoStore {
    let client = dynamodb_client(endpoint).await;
    let setup =
        aws_sdk_dynamodb::Client::from_conf(client.config().to_builder().timeout_config(patient()).build());
    let table = unique(prefix);
    create_table(&setup, &table).await.expect("create table");
    DynamoStore::new(client, table)
}

/// An S3 client with the production SDK settings, pointed at
/// [`crate::s3_endpoint`], path-style and with checksums only where S3
/// requires them (as `S3Files::client` builds it on a custom endpoint).
#[cfg(feature = "s3")]
pub async fn s3_client() -> aws_sdk_s3::Client {
    let sdk = load_sdk_config().await.expect("SDK configuration");
    let config = aws_sdk_s3::config::Builder::from(&sdk)
        .endpoint_url(crate::s3_endpoint())
        .region(aws_sdk_s3::config::Region::new(REGION))
        .credentials_provider(credentials())
        .force_path_style(true)
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[cfg(feature = "serialised")]
pub use serialised::{Operations, fresh_store, recording_endpoint, serialised_endpoint};

#[cfg(feature = "serialised")]
mod serialised {
    //! moto serves requests on many threads and does not isolate
    //! TransactWriteItems from one another (it even restores a table snapshot
    //! when one fails), whereas DynamoDB transactions are serializable. Tests
    //! whose stores race therefore reach moto through [`serialised_endpoint`],
    //! a proxy that passes one request at a time: the handlers and stores
    //! still race, moto just stops losing writes.

    use axum::body::{Body, Bytes};
    use axum::extract::{Request, State};
    use axum::response::Response;
    use shared::store::dynamodb::DynamoStore;
    use std::sync::{Arc, OnceLock};
    use tokio::sync::Mutex;

    /// The serialising proxy to [`crate::moto_endpoint`], started at most once
    /// per test binary.
    pub fn serialised_endpoint() -> &'static str {
        static ENDPOINT: OnceLock<String> = OnceLock::new();
        ENDPOINT.get_or_init(|| serialising_proxy(crate::moto_endpoint().to_owned(), Operations::default()))
    }

    /// The DynamoDB operations (`X-Amz-Target`'s, e.g. `TransactWriteItems`)
    /// that passed a recording proxy, in order: what a handler asked of the table.
    #[derive(Clone, Default)]
    pub struct Operations(Arc<std::sync::Mutex<Vec<String>>>);

    impl Operations {
        pub fn taken(&self) -> Vec<String> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    /// A serialising proxy of its own that records each request's operation.
    pub fn recording_endpoint() -> (String, Operations) {
        let operations = Operations::default();
        (serialising_proxy(crate::moto_endpoint().to_owned(), operations.clone()), operations)
    }

    /// A fresh table and a store on it, through [`serialised_endpoint`].
    pub async fn fresh_store() -> DynamoStore {
        super::fresh_store_on(serialised_endpoint(), "applications-").await
    }

    struct Upstream {
        url: String,
        client: reqwest::Client,
        one_at_a_time: Mutex<()>,
        operations: Operations,
    }

    async fn forward(State(upstream): State<Arc<Upstream>>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.expect("request body");
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut headers = parts.headers.clone();
        headers.remove(http::header::HOST);
        if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
            let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
            upstream.operations.0.lock().unwrap().push(operation);
        }
        let _turn = upstream.one_at_a_time.lock().await;
        let answer = upstream
            .client
            .request(parts.method, format!("{}{path}", upstream.url))
            .headers(headers)
            .body(body)
            .send()
            .await
            .expect("moto answers");
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        let body = answer.bytes().await.expect("moto body");
        response.body(Body::from(body)).expect("valid response")
    }

    /// An HTTP proxy to `upstream` that forwards one request at a time, on its
    /// own thread and runtime (each test has a runtime of its own that ends with it).
    fn serialising_proxy(upstream: String, operations: Operations) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Upstream {
            url: upstream,
            client: reqwest::Client::new(),
            one_at_a_time: Mutex::new(()),
            operations,
        });
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback(forward).with_state(state);
                axum::serve(listener, app).await.unwrap();
            });
        });
        url
    }
}

/// An SES v2 client with the production SDK settings, pointed at `endpoint`
/// (moto, or e.g. one where nothing listens).
#[cfg(feature = "ses")]
pub async fn ses_client(endpoint: &str) -> aws_sdk_sesv2::Client {
    let config = shared::mail::SesMailer::client_config(&load_sdk_config().await.expect("SDK configuration"))
        .endpoint_url(endpoint)
        .region(aws_sdk_sesv2::config::Region::new(REGION))
        .credentials_provider(credentials())
        .build();
    aws_sdk_sesv2::Client::from_conf(config)
}

/// A sender address whose domain is unique; verified in moto's SES when asked.
#[cfg(feature = "ses")]
pub async fn sender(verified: bool) -> String {
    let address = format!("no-reply@{}.example.jp", unique("mail-"));
    if verified {
        let ses = ses_client(crate::moto_endpoint()).await;
        let setup =
            aws_sdk_sesv2::Client::from_conf(ses.config().to_builder().timeout_config(patient()).build());
        setup.create_email_identity().email_identity(&address).send().await.expect("verify");
    }
    address
}
