use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::load_sdk_config().await?;
    let deps = mail_events::Deps { store: Box::new(shared::store::dynamodb::DynamoStore::from_env(&sdk)?) };
    run(service_fn(|event| mail_events::handle(&deps, event))).await
}
