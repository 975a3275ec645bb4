//! The documents Lambda: the DynamoDB store, the bucket (`DOCUMENTS_BUCKET`),
//! the identifier key and the settings are set up once per cold start.

use lambda_http::{Error, run, service_fn};
use shared::documents::s3::S3Files;
use shared::store::dynamodb::DynamoStore;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let settings = documents::Settings::from_env()?;
    let sdk = shared::aws::load_sdk_config().await?;
    let store = Arc::new(DynamoStore::from_env(&sdk)?);
    let bucket = std::env::var(shared::documents::settings::ENV_BUCKET)
        .map_err(|_| format!("{} is not set", shared::documents::settings::ENV_BUCKET))?;
    let files = Arc::new(S3Files::new(S3Files::client(&sdk), bucket, false));
    let key = shared::keyed::from_env(&sdk).await?;
    let handler = &documents::Handler::new(store.clone(), store, files, Arc::new(key), settings);
    run(service_fn(move |req| async move {
        Ok::<_, Error>(shared::http::for_api_gateway(handler.handle(req).await))
    }))
    .await
}
