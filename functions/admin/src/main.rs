//! The operator API's Lambda: the DynamoDB client, the tables (`TABLE_NAME`,
//! `AUDIT_TABLE_NAME`) and the identifier key (Secrets Manager,
//! `IDENTIFIER_KEY_SECRET`) are set up once per cold start
//! (`shared::aws::clients`). The HTTP API's JWT
//! authorizer has checked the token; the handler checks the group claim again.

use lambda_http::{Error, run, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let settings = admin::Settings::from_env()?;
    let clients = shared::aws::clients().await?;
    let handler = &admin::Handler::new(Arc::new(clients.store), Arc::new(clients.key), settings);
    run(service_fn(move |req| async move {
        Ok::<_, Error>(shared::http::for_api_gateway(handler.handle(req).await))
    }))
    .await
}
