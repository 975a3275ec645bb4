//! Developer tools, never deployed: the postal importer ([`postal`]) and the
//! cold-start harness ([`coldstart`]), the artefact's smoke test ([`smoke`]),
//! erasures replayed after a restore ([`replay`]). `cargo run -p xtask -- --help`.

pub mod coldstart;
pub mod load;
pub mod postal;
pub mod provision;
pub mod proxy;
pub mod reads;
pub mod recount;
pub mod relist;
pub mod replay;
pub mod review_bench;
pub mod smoke;
