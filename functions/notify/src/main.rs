use lambda_runtime::{Error, run, service_fn};
use shared::aws::load_sdk_config;
use shared::mail::{MailConfig, SesMailer};
use shared::store::dynamodb::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = MailConfig::from_env()?;
    let sdk = load_sdk_config().await?;
    let deps = notify::Deps {
        store: Box::new(DynamoStore::from_env(&sdk)?),
        mailer: Box::new(SesMailer::from_sdk(&sdk, config.configuration_set.clone())),
        // The verification link's token is derived from the application id under this key.
        key: shared::keyed::from_env(&sdk).await?,
        config,
    };
    run(service_fn(|event| notify::handle(&deps, event))).await
}
