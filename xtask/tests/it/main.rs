//! xtask's integration tests,
//! one binary (each file under `tests/` would link its own copy of the SDKs):
//! one module per suite.

mod coldstart;
mod docs_images;
mod postal_table;
mod replay;
