//! What two or more functions share: the application domain and its rules,
//! the Japanese messages, HTTP glue, routes, storage, mail and the postal table.

#[cfg(feature = "aws")]
pub mod aws;
pub mod domain;
pub mod http;
pub mod messages;
pub mod normalize;
pub mod routes;
pub mod telemetry;
pub mod store;
pub mod mail;
pub mod postal;
