//! The submit Lambda: the DynamoDB client and table are set up once per cold
//! start (`TABLE_NAME`; `AWS_ENDPOINT_URL` for local endpoints).

use lambda_http::{Error, run, service_fn};
use shared::store::dynamodb::DynamoStore;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::load_sdk_config().await?;
    let store = DynamoStore::from_env(&sdk)?;
    let handler = &submit::Handler::new(Arc::new(store));
    run(service_fn(move |req| async move {
        Ok::<_, Error>(shared::http::for_api_gateway(handler.handle(req).await))
    }))
    .await
}
