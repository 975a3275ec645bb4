//! The notify function's integration tests, one binary (each file under
//! `tests/` would link its own copy of the SDKs).

mod local;
mod stream;
mod support;
