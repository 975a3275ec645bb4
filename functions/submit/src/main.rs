//! The submission and verification Lambda: the DynamoDB client, the table
//! (`TABLE_NAME`), the identifier key (Secrets Manager, `IDENTIFIER_KEY_SECRET`)
//! and the settings are set up once per cold start (`shared::aws::clients`;
//! `AWS_ENDPOINT_URL` for local endpoints).

use lambda_http::{Error, run, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let settings = submit::Settings::from_env()?;
    let clients = shared::aws::clients().await?;
    let handler = &submit::Handler::new(Arc::new(clients.store), Arc::new(clients.key), settings);
    run(service_fn(move |req| async move {
        Ok::<_, Error>(shared::http::for_api_gateway(handler.handle(req).await))
    }))
    .await
}
