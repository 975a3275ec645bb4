//! The shared crate's integration tests, one binary (each file under `tests/`
//! would link its own copy of the SDKs): one module per suite.

/// Declares each store contract test twice: once on SQLite, once on DynamoDB
/// (moto). The including module provides `sqlite()` and `dynamodb()`.
macro_rules! contract {
    ($($test:ident),* $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(super::sqlite().await).await
                }
            )*
        }
        mod dynamodb_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(super::dynamodb().await).await
                }
            )*
        }
    };
}

mod corrections_contract;
mod deliveries_contract;
mod delivery;
mod desk_contract;
mod documents_contract;
mod mail;
mod retention_contract;
mod review_contract;
mod store_contract;
mod web_fields;
