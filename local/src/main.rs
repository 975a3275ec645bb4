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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let args = Args::parse();
    let mut config = local::Config::new(args.port, &args.data_dir);
    if args.aws {
        config.backend = local::Backend::Aws;
    }
    let running = local::start(config).await?;
    println!("パートナー登録フォーム: {}", running.url());
    println!("applications: {}", running.locations.applications);
    println!("mails:        {}", running.locations.mails);
    println!("Ctrl-C stops the server after the requests in flight.");
    running
        .run_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
