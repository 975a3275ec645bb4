//! `recount`: counts every counted status's applications from the table and
//! writes the counters the console's tab counts read ([`Tooling::recount`]),
//! with DynamoDB's due items (rejected applications kept until their
//! retention). For a stack deployed before the counters, after a restore, or
//! after an import that failed half way (`docs/deploy.md`). Idempotent: a
//! second run finds the counters right and writes the same.
//!
//! ```text
//! cargo run --release -p xtask -- recount --backend dynamodb --table <TableName>
//! cargo run --release -p xtask -- recount --backend sqlite --data-dir ./local-data
//! ```
//! It prints only statuses and numbers.

use crate::review_bench::Backend;
use anyhow::{Context, Result, anyhow};
use shared::store::dynamodb::DynamoStore;
use shared::store::sqlite::SqliteStore;
use shared::store::{Recounted, Tooling};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum)]
    pub backend: Backend,
    /// SQLite: the local server's data directory (its applications.sqlite3 must exist).
    #[arg(long, required_if_eq("backend", "sqlite"))]
    pub data_dir: Option<PathBuf>,
    /// DynamoDB: the stack's table (credentials and region from the environment).
    #[arg(long, required_if_eq("backend", "dynamodb"))]
    pub table: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async {
        let recounted = match args.backend {
            Backend::Sqlite => {
                let dir = args.data_dir.context("--data-dir")?;
                let path = dir.join(shared::store::sqlite::FILE_NAME);
                // Opening would create an empty store: a mistyped directory must fail.
                anyhow::ensure!(path.exists(), "{} does not exist", path.display());
                recount(&SqliteStore::open_dir(&dir).map_err(|e| anyhow!("{e}"))?).await?
            }
            Backend::Dynamodb => {
                let table = args.table.context("--table")?;
                let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
                recount(&DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table)).await?
            }
        };
        print!("{}", report(&recounted));
        Ok(())
    })
}

/// Recounts `store`.
pub async fn recount(store: &dyn Tooling) -> Result<Recounted> {
    store.recount().await.map_err(|e| anyhow!("{e}"))
}

/// One line per counted status: what the counter said, what it says now.
pub fn report(recounted: &Recounted) -> String {
    recounted
        .before
        .iter()
        .zip(recounted.after.iter())
        .filter(|((status, _), _)| shared::store::plan::counted(*status))
        .map(|((status, before), (_, after))| {
            let mark = if before == after { "" } else { "  (repaired)" };
            format!("{:<20} {before:>9} -> {after:>9}{mark}\n", status.as_str())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::Status;
    use shared::store::{Imported, Review, StatusCounts};

    /// Verified applications as `bench-review` seeds them: `n` of them.
    fn imports(n: usize) -> Vec<Imported> {
        let key = shared::keyed::IdentifierKey::for_tests();
        let now = shared::domain::Timestamp::now().epoch();
        crate::review_bench::imported(0..n, &key, now).expect("seeded applications")
    }

    /// Imports, then removes what the counters and due items hold (as a
    /// stack from before them has none), recounts twice.
    async fn repairs(store: &(impl Review + Tooling), wipe: impl AsyncFnOnce()) {
        store.import(&imports(40)).await.unwrap();
        let expected = store.count_by_status().await.unwrap();
        assert_eq!(expected.iter().map(|(_, count)| count).sum::<u64>(), 40);
        wipe().await;
        assert_ne!(store.count_by_status().await.unwrap(), expected);
        let first = recount(store).await.unwrap();
        assert_ne!(first.before, first.after);
        assert!(report(&first).contains("(repaired)"));
        assert_eq!(store.count_by_status().await.unwrap(), expected);
        let second = recount(store).await.unwrap();
        assert_eq!(second.before, second.after, "idempotent");
        assert!(!report(&second).contains("(repaired)"));
        assert_eq!(store.count_by_status().await.unwrap(), expected);
    }

    #[tokio::test]
    async fn repairs_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        let path = store.path().to_owned();
        repairs(&store, async || {
            let connection = rusqlite::Connection::open(&path).unwrap();
            connection.execute_batch(r#"UPDATE status_counts SET "count" = 0"#).unwrap();
        })
        .await;
    }

    /// On moto (`AWS_ENDPOINT_URL`); skipped without it unless `REQUIRE_SERVICES=1`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn repairs_dynamodb() {
        let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
        if !endpoint.starts_with("http://127.0.0.1:") {
            assert!(std::env::var("REQUIRE_SERVICES").is_err(), "REQUIRE_SERVICES=1 without moto");
            return;
        }
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let client = aws_sdk_dynamodb::Client::new(&sdk);
        let table = format!("recount-{}", std::process::id());
        shared::store::dynamodb::create_table(&client, &table).await.unwrap();
        let store = DynamoStore::new(client.clone(), &table);
        repairs(&store, async || {
            use shared::store::layout;
            let items = client.scan().table_name(&table).send().await.unwrap();
            for item in items.items() {
                let pk = item[layout::PARTITION_KEY].as_s().unwrap();
                if pk.starts_with(layout::STATUS_COUNT_PREFIX) || pk == layout::DUE_PARTITION {
                    let key = [layout::PARTITION_KEY, layout::SORT_KEY]
                        .map(|name| (name.to_owned(), item[name].clone()));
                    client.delete_item().table_name(&table).set_key(Some(key.into())).send().await.unwrap();
                }
            }
        })
        .await;
        assert_eq!(StatusCounts::default().get(Status::Received), 0);
    }
}
