//! The deployment and browser tests,
//! one binary (each file under `tests/` would link its own copy of the SDKs):
//! one module per suite.

mod browser;
mod cognito;
mod console;
mod documents;
mod harness;
mod template;
mod watch;
