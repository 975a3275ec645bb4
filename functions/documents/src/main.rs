//! The documents Lambda: the DynamoDB store, the bucket (`DOCUMENTS_BUCKET`),
//! the identifier key and the settings are set up once per cold start.

use lambda_http::{Error, run, service_fn};
use shared::documents::s3::S3Files;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let settings = documents::Settings::from_env()?;
    let bucket = std::env::var(shared::documents::settings::ENV_BUCKET)
        .map_err(|_| format!("{} is not set", shared::documents::settings::ENV_BUCKET))?;
    // The store is built while the key's read is in flight (shared::aws::clients).
    let clients = shared::aws::clients().await?;
    let store = Arc::new(clients.store);
    let files = Arc::new(S3Files::new(S3Files::client(&clients.sdk), bucket, false));
    let handler = &documents::Handler::new(store.clone(), store, files, Arc::new(clients.key), settings);
    run(service_fn(move |req| async move {
        Ok::<_, Error>(shared::http::for_api_gateway(handler.handle(req).await))
    }))
    .await
}
