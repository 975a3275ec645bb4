//! Integration tests live in tests/tests/*.rs; this crate holds their helpers.

pub mod browser;
pub mod oauth;
pub mod sample_files;
