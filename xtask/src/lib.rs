//! Developer tools, never deployed: the postal importer ([`postal`]) and the
//! cold-start harness ([`coldstart`]). `cargo run -p xtask -- --help`.

pub mod coldstart;
pub mod postal;
