//! The submission and verification Lambda: the DynamoDB client, the table
//! (`TABLE_NAME`), the identifier key (Secrets Manager, `IDENTIFIER_KEY_SECRET`)
//! and the settings are set up once per cold start (`AWS_ENDPOINT_URL` for
//! local endpoints).

use lambda_http::{Error, run, service_fn};
use shared::store::dynamodb::DynamoStore;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let settings = submit::Settings::from_env()?;
    let sdk = shared::aws::load_sdk_config().await?;
    let store = DynamoStore::from_env(&sdk)?;
    let key = shared::keyed::from_env(&sdk).await?;
    let handler = &submit::Handler::new(Arc::new(store), Arc::new(key), settings);
    run(service_fn(move |req| async move {
        Ok::<_, Error>(shared::http::for_api_gateway(handler.handle(req).await))
    }))
    .await
}
