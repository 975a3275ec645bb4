//! The shared crate's integration tests, one binary (each file under `tests/`
//! would link its own copy of the SDKs): one module per suite.

mod delivery;
mod mail;
mod review_contract;
mod store_contract;
mod web_fields;
