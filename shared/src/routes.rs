//! The contract's routes, defined once. The SAM template, the `cargo lambda watch`
//! router and the local server are checked against this list by tests.

use crate::domain::Role;

/// The functions that serve the contract's routes (the web function serves
/// the rest): the package a route is deployed in, derived from its
/// [`Operation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Validate,
    Submit,
    Postal,
    /// The applicant's documents (`functions/documents`): the only function
    /// that may write to the documents bucket's `incoming/`.
    Documents,
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
            Function::Documents => "documents",
            Function::Admin => "admin",
        }
    }
}

/// What a route does: one variant per route, so whoever dispatches on it (the
/// admin function, the local server) `match`es every route, with no fallback
/// arm that a new route could fall into unhandled. The function that serves
/// it and who may call it are derived from it, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Validate,
    Submit,
    /// What a verification link would confirm (no change).
    Preview,
    /// Confirms a verification link.
    Confirm,
    Postal,
    /// What a documents link asks for and what was sent (no change).
    DocumentsPreview,
    /// An upload target for one file (terms 第3条3).
    DocumentsUpload,
    /// Submits the uploaded files: the status moves to `documents_submitted`.
    DocumentsSubmission,
    /// One of the operator API's: a sub-enum, so that the admin function's
    /// `match` is total over its own operations only.
    Admin(AdminOperation),
}

/// The operator API's operations (`functions/admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminOperation {
    List,
    Detail,
    Decisions,
    Erasure,
    Export,
    Audit,
    Counts,
    /// A download link for one submitted document.
    Document,
    /// The caller's own address and roles (`GET /api/admin/me`): what the
    /// console may offer.
    Me,
    /// A note on an application (outside its version).
    Note,
    /// The application's assignee (outside its version).
    Assign,
    /// A correction of an application's fields (訂正).
    Corrections,
}

impl Operation {
    /// The function that serves it.
    pub const fn function(self) -> Function {
        match self {
            Operation::Validate => Function::Validate,
            Operation::Submit | Operation::Preview | Operation::Confirm => Function::Submit,
            Operation::Postal => Function::Postal,
            Operation::DocumentsPreview | Operation::DocumentsUpload | Operation::DocumentsSubmission => {
                Function::Documents
            }
            Operation::Admin(_) => Function::Admin,
        }
    }

    /// Who may call it.
    pub const fn access(self) -> Access {
        match self {
            Operation::Validate
            | Operation::Submit
            | Operation::Preview
            | Operation::Confirm
            | Operation::Postal
            | Operation::DocumentsPreview
            | Operation::DocumentsUpload
            | Operation::DocumentsSubmission => Access::Public,
            Operation::Admin(operation) => operation.access(),
        }
    }
}

impl AdminOperation {
    /// Who may call it: every operation is listed, so a new one is given its
    /// access on purpose.
    pub const fn access(self) -> Access {
        match self {
            AdminOperation::List
            | AdminOperation::Detail
            | AdminOperation::Decisions
            | AdminOperation::Counts
            | AdminOperation::Document
            | AdminOperation::Me
            | AdminOperation::Note
            | AdminOperation::Assign
            | AdminOperation::Corrections => Access::Operator,
            // What cannot be undone or takes every applicant's data away,
            // and the record of who did it (contract, *Who may do what*).
            AdminOperation::Erasure | AdminOperation::Export | AdminOperation::Audit => Access::Supervisor,
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Anyone: the form's routes.
    Public,
    /// Operators (and so supervisors): a bearer token of the `operators` or
    /// `supervisors` group. On AWS the HTTP API's JWT authorizer checks the
    /// token and the admin function the group; locally the local server checks
    /// both, and the admin function the group again.
    Operator,
    /// Supervisors only ([`Role::Supervisor`]). The JWT authorizer admits any
    /// valid token (it knows no groups), so the admin function refuses
    /// everyone else (403 `forbidden`), as the local server does first.
    Supervisor,
}

impl Access {
    /// Whether the caller needs an operator's session, which the authorizer
    /// (API Gateway's, or the local server) checks before the function runs.
    pub const fn needs_session(self) -> bool {
        match self {
            Access::Public => false,
            Access::Operator | Access::Supervisor => true,
        }
    }

    /// Its name in the browser's `ROUTES` (`web/js/routes.js`): the role a
    /// route needs, as `GET /api/admin/me` names roles, or `public`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Operator => Role::Operator.as_str(),
            Access::Supervisor => Role::Supervisor.as_str(),
        }
    }

    /// Whether a caller with `role` (none: no operator's group, or no
    /// session) may call a route of this access. The one place that decides
    /// it: the admin function and the local server both ask here.
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (Access::Operator, role) => role.is_some(),
            (Access::Supervisor, Some(role)) => role >= Role::Supervisor,
            (Access::Supervisor, None) => false,
        }
    }
}

/// One HTTP route and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The name of its constant here (`"VALIDATE"` for [`VALIDATE`]): the key
    /// of the browser's `ROUTES` (`web/js/routes.js`). A test checks each
    /// constant names itself.
    pub name: &'static str,
    pub method: &'static str,
    /// In API Gateway's syntax: `{name}` is a path parameter.
    pub path: &'static str,
    pub operation: Operation,
}

impl Route {
    /// The function that serves it (the template's and the watch router's).
    pub const fn function(&self) -> Function {
        self.operation.function()
    }

    /// Who may call it.
    pub const fn access(&self) -> Access {
        self.operation.access()
    }

    /// Its operation when the admin function serves it.
    pub const fn admin_operation(&self) -> Option<AdminOperation> {
        match self.operation {
            Operation::Admin(operation) => Some(operation),
            Operation::Validate
            | Operation::Submit
            | Operation::Preview
            | Operation::Confirm
            | Operation::Postal
            | Operation::DocumentsPreview
            | Operation::DocumentsUpload
            | Operation::DocumentsSubmission => None,
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
    Route { name: "VALIDATE", method: "POST", path: "/api/validate", operation: Operation::Validate };
pub const SUBMIT: Route =
    Route { name: "SUBMIT", method: "POST", path: "/api/applications", operation: Operation::Submit };
/// What a verification link would confirm (no change).
pub const PREVIEW: Route = Route {
    name: "PREVIEW",
    method: "POST",
    path: "/api/verifications/preview",
    operation: Operation::Preview,
};
/// Confirms a verification link.
pub const CONFIRM: Route =
    Route { name: "CONFIRM", method: "POST", path: "/api/verifications", operation: Operation::Confirm };
pub const POSTAL: Route =
    Route { name: "POSTAL", method: "GET", path: "/api/postal/{code}", operation: Operation::Postal };
/// What a documents link asks for, and what was sent (no change; the token is the credential).
pub const DOCUMENTS_PREVIEW: Route = Route {
    name: "DOCUMENTS_PREVIEW",
    method: "POST",
    path: "/api/document-requests/preview",
    operation: Operation::DocumentsPreview,
};
/// An upload target for exactly one file of one type and size.
pub const DOCUMENTS_UPLOAD: Route = Route {
    name: "DOCUMENTS_UPLOAD",
    method: "POST",
    path: "/api/document-requests/uploads",
    operation: Operation::DocumentsUpload,
};
/// Submits the uploaded files (idempotent, `Idempotency-Key`).
pub const DOCUMENTS_SUBMISSION: Route = Route {
    name: "DOCUMENTS_SUBMISSION",
    method: "POST",
    path: "/api/document-requests/submission",
    operation: Operation::DocumentsSubmission,
};

/// The operator API: applications newest first, filtered and searched.
pub const ADMIN_LIST: Route = Route {
    name: "ADMIN_LIST",
    method: "GET",
    path: "/api/admin/applications",
    operation: Operation::Admin(AdminOperation::List),
};
/// One application with its history.
pub const ADMIN_DETAIL: Route = Route {
    name: "ADMIN_DETAIL",
    method: "GET",
    path: "/api/admin/applications/{applicationId}",
    operation: Operation::Admin(AdminOperation::Detail),
};
/// An operator's decision.
pub const ADMIN_DECISIONS: Route = Route {
    name: "ADMIN_DECISIONS",
    method: "POST",
    path: "/api/admin/applications/{applicationId}/decisions",
    operation: Operation::Admin(AdminOperation::Decisions),
};
/// Erasure of an application's personal data.
pub const ADMIN_ERASURE: Route = Route {
    name: "ADMIN_ERASURE",
    method: "POST",
    path: "/api/admin/applications/{applicationId}/erasure",
    operation: Operation::Admin(AdminOperation::Erasure),
};
/// The CSV export (a literal path: API Gateway matches it before `{applicationId}`).
pub const ADMIN_EXPORT: Route = Route {
    name: "ADMIN_EXPORT",
    method: "GET",
    path: "/api/admin/applications.csv",
    operation: Operation::Admin(AdminOperation::Export),
};
/// The audit log.
pub const ADMIN_AUDIT: Route = Route {
    name: "ADMIN_AUDIT",
    method: "GET",
    path: "/api/admin/audit",
    operation: Operation::Admin(AdminOperation::Audit),
};
/// How many applications each status has (an extension: the console's tabs).
pub const ADMIN_COUNTS: Route = Route {
    name: "ADMIN_COUNTS",
    method: "GET",
    path: "/api/admin/counts",
    operation: Operation::Admin(AdminOperation::Counts),
};
/// A short-lived download link for one submitted document (audited `view_document`).
pub const ADMIN_DOCUMENT: Route = Route {
    name: "ADMIN_DOCUMENT",
    method: "GET",
    path: "/api/admin/applications/{applicationId}/documents/{documentId}",
    operation: Operation::Admin(AdminOperation::Document),
};

/// The caller's own address and roles (an operator's, whatever the role).
pub const ADMIN_ME: Route = Route {
    name: "ADMIN_ME",
    method: "GET",
    path: "/api/admin/me",
    operation: Operation::Admin(AdminOperation::Me),
};

/// An operator's note on an application (internal, never mailed; audited `note`).
pub const ADMIN_NOTES: Route = Route {
    name: "ADMIN_NOTES",
    method: "POST",
    path: "/api/admin/applications/{applicationId}/notes",
    operation: Operation::Admin(AdminOperation::Note),
};

/// Who the application is assigned to (audited `assign`).
pub const ADMIN_ASSIGNEE: Route = Route {
    name: "ADMIN_ASSIGNEE",
    method: "PUT",
    path: "/api/admin/applications/{applicationId}/assignee",
    operation: Operation::Admin(AdminOperation::Assign),
};

/// A correction of an application's fields (訂正, privacy notice (8)).
pub const ADMIN_CORRECTIONS: Route = Route {
    name: "ADMIN_CORRECTIONS",
    method: "POST",
    path: "/api/admin/applications/{applicationId}/corrections",
    operation: Operation::Admin(AdminOperation::Corrections),
};

pub const ROUTES: [Route; 20] = [
    VALIDATE,
    SUBMIT,
    PREVIEW,
    CONFIRM,
    POSTAL,
    DOCUMENTS_PREVIEW,
    DOCUMENTS_UPLOAD,
    DOCUMENTS_SUBMISSION,
    ADMIN_LIST,
    ADMIN_DETAIL,
    ADMIN_DECISIONS,
    ADMIN_ERASURE,
    ADMIN_EXPORT,
    ADMIN_AUDIT,
    ADMIN_COUNTS,
    ADMIN_DOCUMENT,
    ADMIN_ME,
    ADMIN_NOTES,
    ADMIN_ASSIGNEE,
    ADMIN_CORRECTIONS,
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

/// Where a supervisor feeds SES's delivery events to the local server (on
/// AWS the configuration set publishes them to EventBridge, whose rule calls
/// the mail-events function): local only, like [`local_sessions`].
pub const LOCAL_SES_EVENTS: &str = "/local/ses-events";

/// Where a supervisor feeds GuardDuty's malware scan results to the local
/// server, which never scans (on AWS GuardDuty tags the object itself):
/// local only, like [`LOCAL_SES_EVENTS`].
pub const LOCAL_SCAN_RESULTS: &str = "/local/scan-results";

/// The routes anyone may call (the form's).
pub fn public_routes() -> impl Iterator<Item = Route> {
    ROUTES.into_iter().filter(|r| !r.access().needs_session())
}

/// The operator API's routes (the admin function's), with their operations.
pub fn operator_routes() -> impl Iterator<Item = (Route, AdminOperation)> {
    ROUTES.into_iter().filter_map(|r| Some((r, r.admin_operation()?)))
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
        assert!(operator_routes().all(|(r, _)| r.path.starts_with("/api/admin/")));
        assert!(
            operator_routes().all(|(r, _)| r.function() == Function::Admin && r.access().needs_session())
        );
        assert!(
            public_routes().all(|r| !r.path.starts_with("/api/admin/") && r.function() != Function::Admin)
        );
        assert_eq!(operator_routes().count() + public_routes().count(), ROUTES.len());
    }

    /// One route per operation: a dispatch on the operation reaches every
    /// route, and only it.
    #[test]
    fn each_operation_is_one_route() {
        let operations: std::collections::HashSet<Operation> = ROUTES.iter().map(|r| r.operation).collect();
        assert_eq!(operations.len(), ROUTES.len());
    }

    /// The contract's *Who may do what*: erasure, export and the audit are
    /// the supervisors'; every other operator route any operator's.
    #[test]
    fn supervisors_alone_erase_export_and_read_the_audit() {
        let supervisors: Vec<&str> =
            ROUTES.iter().filter(|r| r.access() == Access::Supervisor).map(|r| r.name).collect();
        assert_eq!(supervisors, ["ADMIN_ERASURE", "ADMIN_EXPORT", "ADMIN_AUDIT"]);
        for route in ROUTES {
            let access = route.access();
            assert!(access.allows(Some(Role::Supervisor)), "{}", route.name);
            assert_eq!(access.allows(Some(Role::Operator)), access != Access::Supervisor, "{}", route.name);
            assert_eq!(access.allows(None), access == Access::Public, "{}", route.name);
        }
    }
}
