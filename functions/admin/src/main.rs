//! The operator API's Lambda: the DynamoDB client, the tables (`TABLE_NAME`,
//! `AUDIT_TABLE_NAME`), the documents bucket (`DOCUMENTS_BUCKET`: documents,
//! and the CSV exports under `exports/`) and the identifier key (Secrets
//! Manager, `IDENTIFIER_KEY_SECRET`) are set up once per cold start
//! (`shared::aws::clients`). The HTTP API's JWT
//! authorizer has checked the token; the handler checks the group claim again.

use lambda_http::{Error, run, service_fn};
use shared::documents::s3::S3Files;
use shared::exports::s3::S3Exports;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let settings = admin::Settings::from_env()?;
    let bucket = std::env::var(shared::documents::settings::ENV_BUCKET)
        .map_err(|_| format!("{} is not set", shared::documents::settings::ENV_BUCKET))?;
    let clients = shared::aws::clients().await?;
    let exports = S3Exports::new(S3Exports::client(&clients.sdk), bucket.clone());
    let files = S3Files::new(S3Files::client(&clients.sdk), bucket, settings.malware_scanning);
    let directory = admin::CognitoDirectory::from_env(&clients.sdk)?;
    let handler =
        &admin::Handler::new(Arc::new(clients.store), Arc::new(files), Arc::new(clients.key), settings)
            .directory(Arc::new(directory))
            .exports_to(Arc::new(exports));
    run(service_fn(move |req| async move {
        Ok::<_, Error>(shared::http::for_api_gateway(handler.handle(req).await))
    }))
    .await
}
