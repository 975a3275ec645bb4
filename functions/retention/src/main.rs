use lambda_runtime::{Error, run, service_fn};
use shared::documents::s3::S3Files;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let policy = shared::store::retention::Policy::from_env()?;
    let bucket = std::env::var(shared::documents::settings::ENV_BUCKET)
        .map_err(|_| format!("{} is not set", shared::documents::settings::ENV_BUCKET))?;
    let clients = shared::aws::clients().await?;
    // Scan results are not read: a retention deletes whatever the scan said.
    let kept = S3Files::new(S3Files::client(&clients.sdk), bucket, false);
    let deps =
        retention::Deps { store: Box::new(clients.store), kept: Box::new(kept), key: clients.key, policy };
    run(service_fn(|event| retention::handle(&deps, event))).await
}
