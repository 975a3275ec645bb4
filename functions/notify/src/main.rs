use lambda_runtime::{Error, run, service_fn};
use shared::mail::{MailConfig, SesMailer};
use shared::aws::load_sdk_config;
use shared::store::dynamodb::{DynamoStore, TABLE_NAME_ENV};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = MailConfig::from_env()?;
    let table =
        std::env::var(TABLE_NAME_ENV).map_err(|_| format!("{TABLE_NAME_ENV} is not set"))?;
    let sdk = load_sdk_config().await?;
    let deps = notify::Deps {
        store: Box::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table)),
        mailer: Box::new(SesMailer::new(
            aws_sdk_sesv2::Client::from_conf(SesMailer::client_config(&sdk).build()),
            config.configuration_set.clone(),
        )),
        config,
    };
    run(service_fn(|event| notify::handle(&deps, event))).await
}
