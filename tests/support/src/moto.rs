//! moto as the integration tests reach it (behind this crate's `dynamodb`,
//! `serialised`, `ses`, `s3` and `s3-front` features): SDK clients with the production settings
//! (the stores' with patient timeouts: [`fresh_store_on`]), a fresh table
//! (and store) per test, and a verified SES sender per test.
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

/// Test setup (creating tables and identities) and the stores under test may
/// meet a cold or pausing moto: no production attempt timeout, so that a slow
/// call is not retried into a conflict with itself.
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
/// `endpoint`, and a store on it with the production client but patient
/// timeouts. moto pauses for seconds now and then (its collector walks the
/// copies of whole tables each transaction leaves: a 4.7 s TransactWriteItems
/// was seen), and the production attempt timeout (1.5 s) then resent a
/// transaction that had committed, so a test met its own write as a
/// conflict. DynamoDB does not pause so; the production timeouts are
/// tested against a stalled and an unreachable endpoint (the submit tests).
pub async fn fresh_store_on(endpoint: &str, prefix: &str) -> DynamoStore {
    let client = dynamodb_client(endpoint).await;
    let client =
        aws_sdk_dynamodb::Client::from_conf(client.config().to_builder().timeout_config(patient()).build());
    let table = unique(prefix);
    create_table(&client, &table).await.expect("create table");
    DynamoStore::new(client, table)
}

/// An S3 client with the production SDK settings on [`crate::s3_endpoint`]
/// ([`s3_client_on`]).
#[cfg(feature = "s3")]
pub async fn s3_client() -> aws_sdk_s3::Client {
    s3_client_on(crate::s3_endpoint()).await
}

/// An S3 client with the production SDK settings, pointed at `endpoint`,
/// path-style and with checksums only where S3 requires them (as
/// `S3Files::client` builds it on a custom endpoint).
#[cfg(feature = "s3")]
pub async fn s3_client_on(endpoint: &str) -> aws_sdk_s3::Client {
    let sdk = load_sdk_config().await.expect("SDK configuration");
    let config = aws_sdk_s3::config::Builder::from(&sdk)
        .endpoint_url(endpoint)
        .region(aws_sdk_s3::config::Region::new(REGION))
        .credentials_provider(credentials())
        .force_path_style(true)
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Serves `app` on a free local port, on its own thread and runtime (each
/// test has a runtime of its own that ends with it): its URL.
#[cfg(any(feature = "serialised", feature = "s3-front"))]
fn serve_on_own_thread(app: axum::Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    url
}

/// Sends a request on to `url` (moto) as it came, but for its `Host` and its
/// framing (the body is whole, so the client sends its length), and answers
/// what moto answered; also the length of moto's body (a read's cost).
#[cfg(any(feature = "serialised", feature = "s3-front"))]
async fn relay(
    client: &reqwest::Client,
    url: String,
    method: http::Method,
    mut headers: http::HeaderMap,
    body: axum::body::Bytes,
) -> (axum::response::Response, usize) {
    headers.remove(http::header::HOST);
    headers.remove(http::header::TRANSFER_ENCODING);
    let answer = client.request(method, url).headers(headers).body(body).send().await.expect("moto answers");
    let mut response = axum::response::Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    let body = answer.bytes().await.expect("moto body");
    let length = body.len();
    (response.body(axum::body::Body::from(body)).expect("valid response"), length)
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

    use axum::body::Bytes;
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
        if let Some(target) = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
            let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
            upstream.operations.0.lock().unwrap().push(operation);
        }
        let url = format!("{}{path}", upstream.url);
        // The turn is held until moto has answered, even when the client
        // gave up first: an SDK attempt that timed out leaves its request
        // running in moto, and the SDK's retry must not run beside it (moto
        // would interleave the two, where DynamoDB serializes them and the
        // retry finds the first one's write). So the relay runs as a task of
        // its own, which the client's disconnection does not cancel.
        let turn = tokio::spawn(async move {
            let _turn = upstream.one_at_a_time.lock().await;
            super::relay(&upstream.client, url, parts.method, parts.headers, body).await.0
        });
        turn.await.expect("the relay does not panic")
    }

    /// An HTTP proxy to `upstream` that forwards one request at a time.
    fn serialising_proxy(upstream: String, operations: Operations) -> String {
        let state = Arc::new(Upstream {
            url: upstream,
            client: reqwest::Client::new(),
            one_at_a_time: Mutex::new(()),
            operations,
        });
        super::serve_on_own_thread(axum::Router::new().fallback(forward).with_state(state))
    }
}

#[cfg(feature = "s3-front")]
pub use presigned::{S3Call, s3_calls, signature_checking_s3_endpoint};

#[cfg(feature = "s3-front")]
mod presigned {
    //! moto (5.2) checks no presigned URL's signature, even with its IAM
    //! emulation on (that reads the `Authorization` header only), so a test on
    //! it could not see S3 refuse an upload outside its signature. Clients that
    //! presign on [`signature_checking_s3_endpoint`] get URLs to a front that
    //! checks each presigned request (`X-Amz-Signature` in its query) as S3
    //! does — SigV4 over the path as received, the query and the signed headers
    //! as the client sent them, `UNSIGNED-PAYLOAD` — and refuses it as S3 does
    //! (403 `SignatureDoesNotMatch`, 403 `AccessDenied` once expired).
    //! Requests signed in `Authorization` (the tests' own SDK calls) and the
    //! presigned ones that hold go to the S3 moto unchanged.

    use axum::body::{Body, Bytes};
    use axum::extract::{Request, State};
    use axum::response::Response;
    use http::{HeaderMap, Method, StatusCode, Uri, header};
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
    use sha2::{Digest, Sha256};
    use std::sync::{Arc, OnceLock};
    use std::time::{Duration, SystemTime};

    /// The signature-checking front of [`crate::s3_endpoint`], started at most
    /// once per test binary.
    pub fn signature_checking_s3_endpoint() -> &'static str {
        static ENDPOINT: OnceLock<String> = OnceLock::new();
        ENDPOINT.get_or_init(|| {
            let upstream =
                Arc::new(Upstream { url: crate::s3_endpoint().to_owned(), client: reqwest::Client::new() });
            super::serve_on_own_thread(axum::Router::new().fallback(forward).with_state(upstream))
        })
    }

    struct Upstream {
        url: String,
        client: reqwest::Client,
    }

    /// One request that passed the front to moto, as a cost: what it asked
    /// and how many bytes of the object's content it answered.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct S3Call {
        pub method: String,
        /// `/{bucket}/{key}` (path-style), without the query.
        pub path: String,
        /// The `Range` asked for, if any.
        pub range: Option<String>,
        /// A `CopyObject` (a PUT naming `x-amz-copy-source`): S3 copies
        /// inside, and nothing of the content reaches the caller.
        pub copy: bool,
        pub status: u16,
        /// The answer's body length (a GET's: the bytes read).
        pub bytes: usize,
    }

    static CALLS: std::sync::Mutex<Vec<S3Call>> = std::sync::Mutex::new(Vec::new());

    /// The requests to `bucket` that passed the front since the last call
    /// for it, oldest first (other tests' buckets stay recorded for them).
    pub fn s3_calls(bucket: &str) -> Vec<S3Call> {
        let prefix = format!("/{bucket}/");
        let mut calls = CALLS.lock().unwrap();
        let (mine, others): (Vec<S3Call>, Vec<S3Call>) = calls
            .drain(..)
            .partition(|call| call.path.starts_with(&prefix) || call.path == prefix[..prefix.len() - 1]);
        *calls = others;
        mine
    }

    async fn forward(State(upstream): State<Arc<Upstream>>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        // Read whole before any answer, so that a refused client is not cut
        // off while it still sends.
        let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.expect("request body");
        if !parts.headers.contains_key(header::AUTHORIZATION) && is_presigned(&parts.uri) {
            let now = SystemTime::now();
            if let Err(refusal) = check(
                &parts.method,
                &parts.uri,
                &parts.headers,
                super::credentials().secret_access_key(),
                now,
            ) {
                return refusal.response();
            }
        }
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut call = S3Call {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            range: parts.headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(str::to_owned),
            copy: parts.headers.contains_key("x-amz-copy-source"),
            status: 0,
            bytes: 0,
        };
        let url = format!("{}{path}", upstream.url);
        let (response, bytes) = super::relay(&upstream.client, url, parts.method, parts.headers, body).await;
        call.status = response.status().as_u16();
        call.bytes = bytes;
        CALLS.lock().unwrap().push(call);
        response
    }

    /// The query's pairs, percent-decoded, in order.
    fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
        let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
        uri.query()
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(name), decode(value))
            })
            .collect()
    }

    fn is_presigned(uri: &Uri) -> bool {
        query_pairs(uri).iter().any(|(name, _)| name == "X-Amz-Signature")
    }

    /// Why S3 would refuse a presigned request.
    #[derive(Debug, PartialEq, Eq)]
    pub(super) enum Refusal {
        /// 400 `AuthorizationQueryParametersError`: the query is no SigV4 presigning.
        Malformed(&'static str),
        /// 403 `InvalidAccessKeyId`.
        UnknownAccessKey,
        /// 403 `AccessDenied`: past `X-Amz-Date` + `X-Amz-Expires`.
        Expired { expires: u64 },
        /// 403 `AccessDenied`: an `x-amz-*` header the signature does not name.
        HeadersNotSigned(String),
        /// 403 `SignatureDoesNotMatch`, with what S3 says it computed.
        Mismatch { canonical_request: String, string_to_sign: String, provided: String },
    }

    impl Refusal {
        /// S3's answer: its XML error document.
        fn response(&self) -> Response {
            let (status, code, message, detail) = match self {
                Refusal::Malformed(message) => {
                    (StatusCode::BAD_REQUEST, "AuthorizationQueryParametersError", *message, String::new())
                }
                Refusal::UnknownAccessKey => (
                    StatusCode::FORBIDDEN,
                    "InvalidAccessKeyId",
                    "The AWS Access Key Id you provided does not exist in our records.",
                    String::new(),
                ),
                Refusal::Expired { expires } => (
                    StatusCode::FORBIDDEN,
                    "AccessDenied",
                    "Request has expired",
                    format!("<X-Amz-Expires>{expires}</X-Amz-Expires>"),
                ),
                Refusal::HeadersNotSigned(names) => (
                    StatusCode::FORBIDDEN,
                    "AccessDenied",
                    "There were headers present in the request which were not signed",
                    format!("<HeadersNotSigned>{}</HeadersNotSigned>", xml(names)),
                ),
                Refusal::Mismatch { canonical_request, string_to_sign, provided } => (
                    StatusCode::FORBIDDEN,
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided. \
                     Check your key and signing method.",
                    format!(
                        "<StringToSign>{}</StringToSign><SignatureProvided>{}</SignatureProvided>\
                         <CanonicalRequest>{}</CanonicalRequest>",
                        xml(string_to_sign),
                        xml(provided),
                        xml(canonical_request)
                    ),
                ),
            };
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>\
                 {detail}<RequestId>signature-checking-front</RequestId></Error>",
                xml(message)
            );
            Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, "application/xml")
                .body(Body::from(body))
                .expect("valid response")
        }
    }

    fn xml(text: &str) -> String {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    }

    /// SigV4's URI encoding: everything but RFC 3986's unreserved characters.
    const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

    /// The longest `X-Amz-Expires` S3 takes: a week.
    const MAX_EXPIRES: u64 = 604_800;

    /// S3's check of a presigned request at `now`, signed with `secret`.
    pub(super) fn check(
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        secret: &str,
        now: SystemTime,
    ) -> Result<(), Refusal> {
        let pairs = query_pairs(uri);
        let param = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let (
            Some(algorithm),
            Some(credential),
            Some(date),
            Some(expires),
            Some(signed_headers),
            Some(provided),
        ) = (
            param("X-Amz-Algorithm"),
            param("X-Amz-Credential"),
            param("X-Amz-Date"),
            param("X-Amz-Expires"),
            param("X-Amz-SignedHeaders"),
            param("X-Amz-Signature"),
        )
        else {
            return Err(Refusal::Malformed(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
                 X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
            ));
        };
        if algorithm != "AWS4-HMAC-SHA256" {
            return Err(Refusal::Malformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""));
        }
        let [access_key, scope_date, region, "s3", "aws4_request"] =
            credential.split('/').collect::<Vec<_>>()[..]
        else {
            return Err(Refusal::Malformed("Error parsing the X-Amz-Credential parameter"));
        };
        if access_key != super::credentials().access_key_id() {
            return Err(Refusal::UnknownAccessKey);
        }
        let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let Ok(signed_at) = time::PrimitiveDateTime::parse(date, format) else {
            return Err(Refusal::Malformed(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            ));
        };
        let signed_at = SystemTime::from(signed_at.assume_utc());
        if !date.starts_with(scope_date) || scope_date.len() != 8 {
            return Err(Refusal::Malformed("Invalid credential date. Date is not the same as X-Amz-Date."));
        }
        let Ok(expires) = expires.parse::<u64>() else {
            return Err(Refusal::Malformed("X-Amz-Expires should be a number"));
        };
        if expires > MAX_EXPIRES {
            return Err(Refusal::Malformed(
                "X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds",
            ));
        }
        if now > signed_at + Duration::from_secs(expires) {
            return Err(Refusal::Expired { expires });
        }
        let signed: Vec<&str> = signed_headers.split(';').collect();
        let unsigned: Vec<&str> = headers
            .keys()
            .map(|name| name.as_str())
            .filter(|name| name.starts_with("x-amz-") && !signed.contains(name))
            .collect();
        if !unsigned.is_empty() {
            return Err(Refusal::HeadersNotSigned(unsigned.join(",")));
        }

        let mut query: Vec<(String, String)> = pairs
            .iter()
            .filter(|(name, _)| name != "X-Amz-Signature")
            .map(|(name, value)| {
                (
                    utf8_percent_encode(name, UNRESERVED).to_string(),
                    utf8_percent_encode(value, UNRESERVED).to_string(),
                )
            })
            .collect();
        query.sort();
        let query: Vec<String> = query.into_iter().map(|(name, value)| format!("{name}={value}")).collect();
        let canonical_headers: String = signed
            .iter()
            .map(|name| {
                let values: Vec<String> = headers
                    .get_all(*name)
                    .iter()
                    .map(|value| {
                        String::from_utf8_lossy(value.as_bytes())
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                format!("{name}:{}\n", values.join(","))
            })
            .collect();
        let payload =
            headers.get("x-amz-content-sha256").and_then(|v| v.to_str().ok()).unwrap_or("UNSIGNED-PAYLOAD");
        // S3 takes the path as it came: neither normalised nor encoded twice.
        let path = if uri.path().is_empty() { "/" } else { uri.path() };
        let canonical_request = format!(
            "{method}\n{path}\n{}\n{canonical_headers}\n{signed_headers}\n{payload}",
            query.join("&")
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{date}\n{scope_date}/{region}/s3/aws4_request\n{}",
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let key = aws_sigv4::sign::v4::generate_signing_key(secret, signed_at, region, "s3");
        let expected = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
        if expected != provided {
            return Err(Refusal::Mismatch {
                canonical_request,
                string_to_sign,
                provided: provided.to_owned(),
            });
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        //! The check against URLs the SDK presigns (computed only: nothing listens).

        use super::{Refusal, check};
        use aws_sdk_s3::config::Credentials;
        use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
        use http::{HeaderMap, HeaderValue, Method, Uri};
        use std::time::{Duration, SystemTime};

        const ENDPOINT: &str = "http://127.0.0.1:9";
        const KEY: &str = "incoming/01JABCDEFGHJKMNPQRSTVWXYZ0/01JABCDEFGHJKMNPQRSTVWXYZ1";
        const OTHER_KEY: &str = "incoming/01JABCDEFGHJKMNPQRSTVWXYZ0/01JABCDEFGHJKMNPQRSTVWXYZ2";

        fn signed_at() -> SystemTime {
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600) // 2026-01-01T00:00:00Z
        }

        fn presigning() -> PresigningConfig {
            PresigningConfig::builder()
                .start_time(signed_at())
                .expires_in(Duration::from_secs(900))
                .build()
                .unwrap()
        }

        async fn client(credentials: Credentials) -> aws_sdk_s3::Client {
            let client = crate::moto::s3_client_on(ENDPOINT).await;
            aws_sdk_s3::Client::from_conf(
                client.config().to_builder().credentials_provider(credentials).build(),
            )
        }

        /// A PUT presigned as `S3Files::upload_target` presigns it.
        async fn presigned_put(credentials: Credentials) -> PresignedRequest {
            client(credentials)
                .await
                .put_object()
                .bucket("documents")
                .key(KEY)
                .content_type("application/pdf")
                .content_length(1234)
                .presigned(presigning())
                .await
                .unwrap()
        }

        /// What a client of the URL sends: the presigned headers and its host.
        struct Sent {
            method: Method,
            uri: Uri,
            headers: HeaderMap,
        }

        impl Sent {
            fn of(presigned: &PresignedRequest) -> Sent {
                let uri: Uri = presigned.uri().parse().unwrap();
                let mut headers = HeaderMap::new();
                for (name, value) in presigned.headers() {
                    headers.insert(
                        name.to_ascii_lowercase().parse::<http::HeaderName>().unwrap(),
                        value.parse().unwrap(),
                    );
                }
                headers.insert("host", uri.authority().unwrap().as_str().parse().unwrap());
                Sent { method: presigned.method().parse().unwrap(), uri, headers }
            }

            fn check_at(&self, now: SystemTime) -> Result<(), Refusal> {
                check(&self.method, &self.uri, &self.headers, "testing", now)
            }

            fn check(&self) -> Result<(), Refusal> {
                self.check_at(signed_at() + Duration::from_secs(60))
            }

            fn with_header(mut self, name: &'static str, value: &str) -> Sent {
                self.headers.insert(name, HeaderValue::from_str(value).unwrap());
                self
            }

            fn with_uri(mut self, uri: String) -> Sent {
                self.uri = uri.parse().unwrap();
                self
            }
        }

        fn mismatch(result: Result<(), Refusal>) -> bool {
            matches!(result, Err(Refusal::Mismatch { .. }))
        }

        #[tokio::test]
        async fn a_put_as_presigned_holds_and_nothing_else() {
            let presigned = presigned_put(crate::moto::credentials()).await;
            let url = presigned.uri().to_owned();
            assert!(url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"), "{url}");
            assert_eq!(Sent::of(&presigned).check(), Ok(()));
            // Another type, another length, another key, another query.
            assert!(mismatch(Sent::of(&presigned).with_header("content-type", "image/png").check()));
            assert!(mismatch(Sent::of(&presigned).with_header("content-length", "1235").check()));
            assert!(mismatch(Sent::of(&presigned).with_header("content-length", "1233").check()));
            assert!(mismatch(Sent::of(&presigned).with_uri(url.replacen(KEY, OTHER_KEY, 1)).check()));
            assert!(mismatch(
                Sent::of(&presigned)
                    .with_uri(url.replacen("X-Amz-Expires=900", "X-Amz-Expires=901", 1))
                    .check()
            ));
            assert!(mismatch(Sent::of(&presigned).with_uri(format!("{url}&x-id=PutObject")).check()));
            assert!(mismatch(Sent::of(&presigned).with_header("host", "127.0.0.1:10").check()));
            // Spaces around a value are not the value's.
            assert_eq!(
                Sent::of(&presigned).with_header("content-type", "  application/pdf ").check(),
                Ok(())
            );
            // Another secret.
            let sent = Sent::of(&presigned);
            assert!(mismatch(check(&sent.method, &sent.uri, &sent.headers, "other", signed_at())));
            // An x-amz header the signature does not name.
            assert!(matches!(
                Sent::of(&presigned).with_header("x-amz-checksum-crc32", "AAAAAA==").check(),
                Err(Refusal::HeadersNotSigned(_))
            ));
        }

        #[tokio::test]
        async fn a_link_holds_until_it_expires() {
            let sent = Sent::of(&presigned_put(crate::moto::credentials()).await);
            assert_eq!(sent.check_at(signed_at() + Duration::from_secs(900)), Ok(()));
            assert_eq!(
                sent.check_at(signed_at() + Duration::from_secs(901)),
                Err(Refusal::Expired { expires: 900 })
            );
        }

        #[tokio::test]
        async fn a_session_token_is_part_of_the_query() {
            let credentials =
                Credentials::new("testing", "testing", Some("a token/with+signs=".into()), None, "tests");
            let presigned = presigned_put(credentials).await;
            let url = presigned.uri().to_owned();
            assert!(url.contains("X-Amz-Security-Token=a%20token%2Fwith%2Bsigns%3D"), "{url}");
            assert_eq!(Sent::of(&presigned).check(), Ok(()));
            let other = url.replacen("X-Amz-Security-Token=a%20token", "X-Amz-Security-Token=b%20token", 1);
            assert!(mismatch(Sent::of(&presigned).with_uri(other).check()));
        }

        #[tokio::test]
        async fn a_presigned_get_holds() {
            let presigned = client(crate::moto::credentials())
                .await
                .get_object()
                .bucket("documents")
                .key(KEY)
                .response_content_disposition("attachment; filename*=UTF-8''%E5%85%8D%E8%A8%B1%E8%A8%BC.pdf")
                .presigned(presigning())
                .await
                .unwrap();
            assert_eq!(Sent::of(&presigned).check(), Ok(()));
            let url = presigned.uri().to_owned();
            assert!(mismatch(Sent::of(&presigned).with_uri(url.replacen("attachment", "inline", 1)).check()));
        }
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
