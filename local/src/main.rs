use clap::Parser;
use std::path::PathBuf;

/// Runs the partner registration form and its API on this machine.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Port on 127.0.0.1.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    port: u16,
    /// Where applications and mails are kept.
    #[arg(long, env = "DATA_DIR", default_value = ".local")]
    data_dir: PathBuf,
    /// Use DynamoDB (TABLE_NAME) and SES v2 instead, at AWS_ENDPOINT_URL if set.
    #[arg(long, env = "LOCAL_AWS")]
    aws: bool,
    /// With --aws: create the table if it is missing (for moto).
    #[arg(long, requires = "aws")]
    create_table: bool,
    /// Origins of a form hosted elsewhere that may call the API (CORS),
    /// comma-separated, like the SAM parameter AllowedOrigins.
    #[arg(long, env = "ALLOWED_ORIGINS", default_value = "", value_parser = origins)]
    allowed_origins: Origins,
}

#[derive(Clone)]
struct Origins(Vec<String>);

fn origins(list: &str) -> Result<Origins, String> {
    let origins = shared::routes::cors::parse_origins(list)?;
    Ok(Origins(origins.into_iter().map(str::to_owned).collect()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let args = Args::parse();
    let mut config = local::Config::new(args.port, &args.data_dir);
    config.allowed_origins = args.allowed_origins.0;
    config.settings = submit::Settings::from_env()?;
    if args.aws {
        config.backend = local::Backend::Aws;
        config.create_table = args.create_table;
    }
    let running = local::start(config).await?;
    println!("パートナー登録フォーム: {}", running.url());
    println!("applications: {}", running.locations.applications);
    println!("mails:        {}", running.locations.mails);
    println!("Ctrl-C stops the server after the requests in flight.");
    running.run_until(stop_requested()).await
}

/// Ctrl-C, or SIGTERM from a process manager.
async fn stop_requested() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
