use lambda_runtime::{Error, run, service_fn};
use shared::mail::{MailConfig, SesMailer};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = MailConfig::from_env()?;
    let clients = shared::aws::clients().await?;
    let deps = notify::Deps {
        store: Box::new(clients.store),
        mailer: Box::new(SesMailer::from_sdk(&clients.sdk, config.configuration_set.clone())),
        // The verification link's token is derived from the application id under this key.
        key: clients.key,
        config,
    };
    run(service_fn(|event| notify::handle(&deps, event))).await
}
