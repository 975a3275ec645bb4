use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;

/// Runs the partner registration form and its API on this machine.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Without a command: start the server.
    #[command(subcommand)]
    command: Option<Command>,
    /// Port on 127.0.0.1.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    port: u16,
    /// Where applications, mails and operator accounts are kept.
    #[arg(long, env = "DATA_DIR", default_value = ".local", global = true)]
    data_dir: PathBuf,
    /// Use DynamoDB (TABLE_NAME) and SES v2 instead, at AWS_ENDPOINT_URL if set.
    #[arg(long, env = "LOCAL_AWS")]
    aws: bool,
    /// With --aws: create the table if it is missing (for moto).
    #[arg(long, requires = "aws")]
    create_table: bool,
    /// On the first start of a data directory, make no sample applications
    /// (by default three, to example.com addresses, for a first look at the console).
    #[arg(long, env = "NO_SAMPLES")]
    no_samples: bool,
    /// Origins of a form hosted elsewhere that may call the API (CORS),
    /// comma-separated, like the SAM parameter AllowedOrigins.
    #[arg(long, env = "ALLOWED_ORIGINS", default_value = "", value_parser = origins)]
    allowed_origins: Origins,
}

#[derive(Subcommand)]
enum Command {
    /// Operator accounts of the local server (the console's sign-in).
    #[command(subcommand)]
    Operator(OperatorCommand),
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Creates an operator, or resets its password (its sessions end).
    Add {
        /// The operator's email address (its sign-in name).
        email: String,
        /// Read the password (at least 12 characters) from the first line of
        /// standard input, instead of generating one and printing it.
        #[arg(long)]
        password_stdin: bool,
        /// What it may do: `operator` (list, view, decide) or `supervisor`
        /// (also erase, export and read the audit). Without it, a new account
        /// is an operator and an existing one keeps its role.
        #[arg(long, value_parser = role)]
        role: Option<shared::domain::Role>,
    },
}

fn role(name: &str) -> Result<shared::domain::Role, String> {
    shared::domain::Role::parse(name).ok_or_else(|| {
        let names: Vec<&str> = shared::domain::Role::ALL.iter().map(|role| role.as_str()).collect();
        format!("one of {}", names.join(", "))
    })
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
    if let Some(Command::Operator(OperatorCommand::Add { email, password_stdin, role })) = args.command {
        let password = password_stdin.then(read_password_line).transpose()?;
        let added = local::operators::add(&args.data_dir, &email, password, role)?;
        for line in added.report() {
            println!("{line}");
        }
        return Ok(());
    }
    let mut config = local::Config::new(args.port, &args.data_dir);
    config.allowed_origins = args.allowed_origins.0;
    config.settings = submit::Settings::from_env()?;
    config.admin_settings = admin::Settings::from_env().map_err(anyhow::Error::msg)?;
    config.documents = documents::Settings::from_env().map_err(anyhow::Error::msg)?;
    config.document_retention_days =
        shared::documents::settings::retention_days(&|name: &str| std::env::var(name).ok())?;
    config.undecided_retention =
        shared::store::retention::UndecidedRetention::from_env().map_err(anyhow::Error::msg)?;
    if args.aws {
        config.backend = local::Backend::Aws;
        config.create_table = args.create_table;
    }
    let embedded = config.backend == local::Backend::Embedded;
    let running = local::start(config).await?;
    for line in running.banner() {
        println!("{line}");
    }
    let kept = args.data_dir.join(local::operators::FIRST_OPERATOR_FILE);
    if running.first_operator.is_none() && kept.exists() {
        println!("運用者アカウント: 初回起動時のアカウントとパスワードは {} にあります", kept.display());
    }
    // A new data directory (its first operator was just made): something to review.
    if running.first_operator.is_some() && embedded && !args.no_samples {
        // A failed sample (a rate limit set to 1, say) leaves the server serving.
        match local::samples::create(&running.url(), &args.data_dir).await {
            Ok(count) => println!(
                "サンプルのお申し込みを{count}件作成しました(宛先は example.com、メールは outbox へ)。\
                 コンソールで審査を試せます。作成しない場合は --no-samples を付けて、新しいデータディレクトリで起動してください。"
            ),
            Err(error) => eprintln!("サンプルのお申し込みを作成できませんでした: {error}"),
        }
    }
    running.run_until(stop_requested()).await
}

/// The first line of standard input, without its line break.
fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line).to_owned())
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
