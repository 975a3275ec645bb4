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
}

impl Function {
    /// The package (and binary) name under `functions/`.
    pub const fn name(self) -> &'static str {
        match self {
            Function::Validate => "validate",
            Function::Submit => "submit",
            Function::Postal => "postal",
        }
    }
}

/// One HTTP route and the function that serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// In API Gateway's syntax: `{name}` is a path parameter.
    pub path: &'static str,
    pub function: Function,
}

impl Route {
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

pub const VALIDATE: Route = Route { method: "POST", path: "/api/validate", function: Function::Validate };
pub const SUBMIT: Route = Route { method: "POST", path: "/api/applications", function: Function::Submit };
/// What a verification link would confirm (no change).
pub const PREVIEW: Route =
    Route { method: "POST", path: "/api/verifications/preview", function: Function::Submit };
/// Confirms a verification link.
pub const CONFIRM: Route = Route { method: "POST", path: "/api/verifications", function: Function::Submit };
pub const POSTAL: Route = Route { method: "GET", path: "/api/postal/{code}", function: Function::Postal };

pub const ROUTES: [Route; 5] = [VALIDATE, SUBMIT, PREVIEW, CONFIRM, POSTAL];

/// CORS for a form hosted on another origin than the API: only origins an
/// operator lists (the template's `AllowedOrigins`, the local server's
/// `--allowed-origins`) get it; the form this project serves is same-origin and
/// needs none. The template's `CorsConfiguration` is checked against this.
pub mod cors {
    pub const ALLOW_METHODS: [&str; 3] = ["GET", "POST", "OPTIONS"];
    /// What the form sends beyond the CORS-safelisted headers.
    pub const ALLOW_HEADERS: [&str; 2] = ["content-type", "idempotency-key"];
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
    }
}
