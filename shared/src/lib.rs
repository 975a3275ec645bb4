//! What two or more functions share, in layers:
//! - domain: [`domain`] (the field table, the application, identifiers),
//!   [`messages`], [`normalize`];
//! - ports: [`store::Store`], [`mail::Mailer`], and the delivery policy over them;
//! - adapters: DynamoDB, SQLite, SES and the outbox (behind features), [`aws`];
//! - edges: [`http`], [`routes`], [`browser`] (what the pages mirror), [`postal`], [`telemetry`].

#[cfg(feature = "aws")]
pub mod aws;
pub mod browser;
pub mod documents;
pub mod domain;
pub mod exports;
pub mod http;
pub mod keyed;
pub mod limits;
pub mod mail;
pub mod messages;
pub mod normalize;
pub mod postal;
pub mod routes;
pub mod store;
pub mod telemetry;
