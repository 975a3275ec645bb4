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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let args = Args::parse();
    let config = local::Config::new(args.port, &args.data_dir);
    let running = local::start(config).await?;
    println!("パートナー登録フォーム: {}", running.url());
    println!("applications: {}", args.data_dir.display());
    running
        .run_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
