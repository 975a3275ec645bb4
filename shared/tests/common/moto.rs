//! A real DynamoDB endpoint for tests: moto, as `test_support::moto_endpoint` finds or starts it.
//! Each test creates its own table.
//!
//! moto serves requests on many threads and does not isolate
//! TransactWriteItems from one another (it even restores a table snapshot
//! when one fails), whereas DynamoDB transactions are serializable. Tests
//! therefore reach moto through [`serialising_proxy`], which passes one request
//! at a time: the handlers and stores still race, moto just stops losing writes.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{Credentials, Region};
use shared::aws::load_sdk_config;
use shared::store::dynamodb::{DynamoStore, create_table};
use std::sync::OnceLock;

/// The endpoint URL tests use, set up at most once per test binary.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| serialising_proxy(test_support::moto_endpoint().to_owned()))
}

/// An HTTP proxy to `upstream` that forwards one request at a time, on its own
/// thread and runtime (each test has a runtime of its own that ends with it).
fn serialising_proxy(upstream: String) -> String {
    use axum::body::{Body, Bytes};
    use axum::extract::{Request, State};
    use axum::response::Response;
    use std::sync::Arc;
    use tokio::sync::Mutex;

    struct Upstream {
        url: String,
        client: reqwest::Client,
        one_at_a_time: Mutex<()>,
    }

    async fn forward(State(upstream): State<Arc<Upstream>>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.expect("request body");
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut headers = parts.headers.clone();
        headers.remove(http::header::HOST);
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

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state =
        Arc::new(Upstream { url: upstream, client: reqwest::Client::new(), one_at_a_time: Mutex::new(()) });
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

/// A client with the production SDK settings, pointed at `endpoint`.
pub async fn client_for(endpoint: &str) -> Client {
    let sdk = load_sdk_config().await.expect("SDK configuration");
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url(endpoint)
        .region(Region::new("ap-northeast-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .build();
    Client::from_conf(config)
}

/// A fresh table with the layout's schema, and a store on it.
pub async fn fresh_store() -> DynamoStore {
    let client = client_for(endpoint()).await;
    let table = test_support::unique("applications-");
    create_table(&client, &table).await.expect("create table");
    DynamoStore::new(client, table)
}
