//! The local server's integration tests,
//! one binary (each file under `tests/` would link its own copy of the SDKs):
//! one module per suite.

mod corrections;
mod documents;
mod hardening;
mod hostile;
mod logs;
mod mails;
mod operators;
mod privacy;
mod review;
mod server;
mod support;
