//! `GET /api/admin/me`: the caller's address and roles, so that the console
//! offers only what the roles allow (the routes refuse the rest anyway).
//!
//! Not audited: it tells the caller about themself and nothing about any
//! applicant, as the local server's own `GET /api/admin/session`, and the
//! console asks it at every start.

use crate::operator::Caller;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use shared::domain::Role;

#[derive(Serialize)]
struct Me<'a> {
    email: &'a str,
    /// Every role the caller has, weakest first: a supervisor is an operator too.
    roles: Vec<Role>,
}

pub fn me(caller: &Caller) -> Response<Body> {
    shared::http::json(StatusCode::OK, &Me { email: &caller.email, roles: caller.role.granted().collect() })
}
