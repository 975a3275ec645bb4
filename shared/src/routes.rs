//! The contract's routes, defined once. The SAM template, the `cargo lambda watch`
//! router and the local server are checked against this list by tests.

/// One HTTP route and the function that serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// In API Gateway's syntax: `{name}` is a path parameter.
    pub path: &'static str,
    /// The package (and binary) name under `functions/`.
    pub function: &'static str,
}

pub const VALIDATE: Route = Route { method: "POST", path: "/api/validate", function: "validate" };
pub const SUBMIT: Route = Route { method: "POST", path: "/api/applications", function: "submit" };
pub const POSTAL: Route = Route { method: "GET", path: "/api/postal/{code}", function: "postal" };

pub const ROUTES: [Route; 3] = [VALIDATE, SUBMIT, POSTAL];
