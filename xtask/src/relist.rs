//! `relist`: gives every verified application of a DynamoDB table the keys of
//! the indexes that hold verified applications only (`listing`,
//! `listedInvoiceNumber`, `listedCorporateName`) and its `searchText`, as the
//! layout writes them now ([`DynamoStore::relist`]). For a stack deployed
//! before the reviewer's check had `byInvoiceNumber` and `byCorporateName`
//! and the name search `nameSearch` (`docs/deploy.md`): the applications
//! confirmed before lack the keys, so neither would find them. Idempotent: a
//! second run writes nothing. SQLite needs no such pass (its check reads its
//! own indexes).
//!
//! ```text
//! cargo run --release -p xtask -- relist --table <TableName>
//! ```
//! It prints only a number.

use anyhow::{Result, anyhow};
use shared::store::dynamodb::DynamoStore;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The stack's table (credentials and region from the environment).
    #[arg(long)]
    pub table: String,
}

pub fn run(args: Args) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), args.table);
        let written = store.relist().await.map_err(|e| anyhow!("{e}"))?;
        println!("{written} verified applications given their index keys");
        Ok(())
    })
}
