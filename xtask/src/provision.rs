//! `provision`: what a deployment creates, on a local endpoint (moto) for load,
//! fault and cold-start runs: the table (the store's layout), a verified SES
//! sender identity, and the identifier key's secret (64 random characters, as
//! the template's `GenerateSecretString`).
//!
//! ```text
//! AWS_ENDPOINT_URL=http://127.0.0.1:5000 cargo run --release -p xtask -- \
//!     provision --table partner-registration-local --identity no-reply@partner.example.jp
//! ```

use anyhow::{Result, anyhow, bail};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The DynamoDB table to create (skipped if it exists).
    #[arg(long)]
    pub table: Option<String>,
    /// Sender addresses to verify in SES v2.
    #[arg(long = "identity")]
    pub identities: Vec<String>,
    /// A Secrets Manager secret to create for the identifier key (skipped if it exists).
    #[arg(long)]
    pub secret: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    if !(endpoint.starts_with("http://127.0.0.1:") || endpoint.starts_with("http://localhost:")) {
        bail!("AWS_ENDPOINT_URL must point at a local endpoint on 127.0.0.1, not {endpoint:?}");
    }
    tokio::runtime::Runtime::new()?.block_on(async {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        if let Some(table) = &args.table {
            let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
            let exists = dynamodb.describe_table().table_name(table).send().await.is_ok();
            if exists {
                println!("table {table}: exists");
            } else {
                shared::store::dynamodb::create_table(&dynamodb, table).await.map_err(|e| anyhow!("{e}"))?;
                println!("table {table}: created");
            }
        }
        let ses = aws_sdk_sesv2::Client::new(&sdk);
        for identity in &args.identities {
            ses.create_email_identity().email_identity(identity).send().await?;
            println!("identity {identity}: verified");
        }
        if let Some(name) = &args.secret {
            let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
            if secrets.describe_secret().secret_id(name).send().await.is_ok() {
                println!("secret {name}: exists");
            } else {
                const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                let value: String =
                    (0..64).map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())])).collect();
                secrets.create_secret().name(name).secret_string(value).send().await?;
                println!("secret {name}: created");
            }
        }
        Ok(())
    })
}
