//! The contract's routes, defined once. The SAM template, the `cargo lambda watch`
//! router and the local server are checked against this list by tests.

/// The functions that serve the contract's routes (the web function serves
/// the rest). The local server dispatches on this enum, so a route without a
/// handler does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Validate,
    Submit,
    Postal,
    /// The operator API (`functions/admin`).
    Admin,
}

impl Function {
    /// The package (and binary) name under `functions/`.
    pub const fn name(self) -> &'static str {
        match self {
            Function::Validate => "validate",
            Function::Submit => "submit",
            Function::Postal => "postal",
            Function::Admin => "admin",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Anyone: the form's routes.
    Public,
    /// Operators only: a bearer token of the `operators` group. On AWS the HTTP
    /// API's JWT authorizer checks it (and the function again); locally the
    /// local server does.
    Operator,
}

/// One HTTP route and the function that serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The name of its constant here (`"VALIDATE"` for [`VALIDATE`]): the key
    /// of the browser's `ROUTES` (`web/js/routes.js`). A test checks each
    /// constant names itself.
    pub name: &'static str,
    pub method: &'static str,
    /// In API Gateway's syntax: `{name}` is a path parameter.
    pub path: &'static str,
    pub function: Function,
}

impl Route {
    /// Who may call it: the operator API is every route of the admin function.
    pub const fn access(&self) -> Access {
        match self.function {
            Function::Admin => Access::Operator,
            Function::Validate | Function::Submit | Function::Postal => Access::Public,
        }
    }

    /// Whether `path` matches this route's pattern (`{name}` matches one
    /// non-empty segment), as API Gateway matches it.
    pub fn matches(&self, path: &str) -> bool {
        let mut pattern = self.path.split('/');
        let mut path = path.split('/');
        loop {
            match (pattern.next(), path.next()) {
                (None, None) => return true,
                (Some(p), Some(s)) if p.starts_with('{') && p.ends_with('}') && !s.is_empty() => {}
                (Some(p), Some(s)) if p == s => {}
                _ => return false,
            }
        }
    }
}

pub const VALIDATE: Route =
    Route { name: "VALIDATE", method: "POST", path: "/api/validate", function: Function::Validate };
pub const SUBMIT: Route =
    Route { name: "SUBMIT", method: "POST", path: "/api/applications", function: Function::Submit };
/// What a verification link would confirm (no change).
pub const PREVIEW: Route =
    Route { name: "PREVIEW", method: "POST", path: "/api/verifications/preview", function: Function::Submit };
/// Confirms a verification link.
pub const CONFIRM: Route =
    Route { name: "CONFIRM", method: "POST", path: "/api/verifications", function: Function::Submit };
pub const POSTAL: Route =
    Route { name: "POSTAL", method: "GET", path: "/api/postal/{code}", function: Function::Postal };

/// The operator API: applications newest first, filtered and searched.
pub const ADMIN_LIST: Route =
    Route { name: "ADMIN_LIST", method: "GET", path: "/api/admin/applications", function: Function::Admin };
/// One application with its history.
pub const ADMIN_DETAIL: Route = Route {
    name: "ADMIN_DETAIL",
    method: "GET",
    path: "/api/admin/applications/{applicationId}",
    function: Function::Admin,
};
/// An operator's decision.
pub const ADMIN_DECISIONS: Route = Route {
    name: "ADMIN_DECISIONS",
    method: "POST",
    path: "/api/admin/applications/{applicationId}/decisions",
    function: Function::Admin,
};
/// Erasure of an application's personal data.
pub const ADMIN_ERASURE: Route = Route {
    name: "ADMIN_ERASURE",
    method: "POST",
    path: "/api/admin/applications/{applicationId}/erasure",
    function: Function::Admin,
};
/// The CSV export (a literal path: API Gateway matches it before `{applicationId}`).
pub const ADMIN_EXPORT: Route = Route {
    name: "ADMIN_EXPORT",
    method: "GET",
    path: "/api/admin/applications.csv",
    function: Function::Admin,
};
/// The audit log.
pub const ADMIN_AUDIT: Route =
    Route { name: "ADMIN_AUDIT", method: "GET", path: "/api/admin/audit", function: Function::Admin };
/// How many applications each status has (an extension: the console's tabs).
pub const ADMIN_COUNTS: Route =
    Route { name: "ADMIN_COUNTS", method: "GET", path: "/api/admin/counts", function: Function::Admin };

pub const ROUTES: [Route; 12] = [
    VALIDATE,
    SUBMIT,
    PREVIEW,
    CONFIRM,
    POSTAL,
    ADMIN_LIST,
    ADMIN_DETAIL,
    ADMIN_DECISIONS,
    ADMIN_ERASURE,
    ADMIN_EXPORT,
    ADMIN_AUDIT,
    ADMIN_COUNTS,
];

/// The local server's own operator sessions (on AWS Cognito signs operators
/// in): outside [`ROUTES`] and the template. The local router serves them and
/// the console's `session.js` calls them (through `web/js/routes.js`).
pub mod local_sessions {
    /// `POST {"email", "password"}` → 201 `{"token", "expiresAt"}`.
    pub const SIGN_IN: &str = "/api/admin/sessions";
    /// `GET`: the caller's own session.
    pub const CURRENT: &str = "/api/admin/session";
    /// `DELETE`: signs out.
    pub const SIGN_OUT: &str = "/api/admin/sessions/current";
    /// Every one, by name, as the browser's module lists them.
    pub const ALL: [(&str, &str); 3] = [("SIGN_IN", SIGN_IN), ("CURRENT", CURRENT), ("SIGN_OUT", SIGN_OUT)];
}

/// The routes anyone may call (the form's).
pub fn public_routes() -> impl Iterator<Item = Route> {
    ROUTES.into_iter().filter(|r| r.access() == Access::Public)
}

/// The operator API's routes.
pub fn operator_routes() -> impl Iterator<Item = Route> {
    ROUTES.into_iter().filter(|r| r.access() == Access::Operator)
}

/// CORS for a form hosted on another origin than the API: only origins an
/// operator lists (the template's `AllowedOrigins`, the local server's
/// `--allowed-origins`) get it; the form this project serves is same-origin and
/// needs none. The template's `CorsConfiguration` is checked against this.
pub mod cors {
    pub const ALLOW_METHODS: [&str; 3] = ["GET", "POST", "OPTIONS"];
    /// What the form and the operator console send beyond the CORS-safelisted
    /// headers (the console: its bearer token).
    pub const ALLOW_HEADERS: [&str; 3] = ["authorization", "content-type", "idempotency-key"];
    /// What the form reads from answers.
    pub const EXPOSE_HEADERS: [&str; 3] = ["etag", "idempotent-replayed", "retry-after"];
    pub const MAX_AGE_SECS: u64 = 600;

    /// The comma-separated list of the template parameter and the local
    /// server's option: blanks ignored, `*` refused (an allow-list, not a wildcard).
    pub fn parse_origins(list: &str) -> Result<Vec<&str>, String> {
        let origins: Vec<&str> = list.split(',').map(str::trim).filter(|o| !o.is_empty()).collect();
        match origins.iter().find(|o| **o == "*" || !(o.starts_with("https://") || o.starts_with("http://")))
        {
            Some(bad) => {
                Err(format!("not an origin for the CORS allow-list: {bad:?} (scheme://host[:port])"))
            }
            None => Ok(origins),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn origins_are_a_comma_separated_allow_list() {
            assert_eq!(parse_origins(""), Ok(vec![]));
            assert_eq!(
                parse_origins(" https://partners.example.jp, http://localhost:8080 ,"),
                Ok(vec!["https://partners.example.jp", "http://localhost:8080"])
            );
            assert!(parse_origins("*").is_err());
            assert!(parse_origins("https://a.example, partners.example.jp").is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_patterns() {
        assert!(POSTAL.matches("/api/postal/530-0011"));
        assert!(!POSTAL.matches("/api/postal/"));
        assert!(!POSTAL.matches("/api/postal/1/2"));
        assert!(VALIDATE.matches("/api/validate"));
        assert!(!VALIDATE.matches("/api/validate/"));
        assert!(
            PREVIEW.matches("/api/verifications/preview") && !CONFIRM.matches("/api/verifications/preview")
        );
        assert!(CONFIRM.matches("/api/verifications") && !PREVIEW.matches("/api/verifications"));
        assert!(ADMIN_EXPORT.matches("/api/admin/applications.csv"));
        assert!(!ADMIN_DETAIL.matches("/api/admin/applications.csv"), "a sibling of the list, not a detail");
        assert!(!ADMIN_DETAIL.matches("/api/admin/applications/01J/decisions"));
        assert!(ADMIN_DECISIONS.matches("/api/admin/applications/01J/decisions"));
        assert!(ADMIN_COUNTS.matches("/api/admin/counts") && !ADMIN_LIST.matches("/api/admin/counts"));
    }

    /// Each `pub const X: Route` of this file is in [`ROUTES`] and named `"X"`
    /// (the browser's `ROUTES` is keyed by these names), once.
    #[test]
    fn every_route_is_listed_and_named_as_its_constant() {
        let declared: Vec<&str> = include_str!("routes.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("pub const ")?.split_once(": Route =").map(|(name, _)| name))
            .collect();
        let listed: Vec<&str> = ROUTES.iter().map(|r| r.name).collect();
        assert_eq!(listed, declared, "ROUTES lists every route constant, in their order, each named as it");
        let mut unique = listed.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), listed.len(), "one name per route");
    }

    #[test]
    fn the_operator_api_is_the_admin_functions_and_nothing_else() {
        assert!(operator_routes().all(|r| r.path.starts_with("/api/admin/")));
        assert!(public_routes().all(|r| !r.path.starts_with("/api/admin/")));
        assert_eq!(operator_routes().count() + public_routes().count(), ROUTES.len());
    }
}
