//! Who calls: the operator named by the authorizer's claims. On AWS the HTTP
//! API's JWT authorizer has checked the Cognito access token and passes its
//! claims in `requestContext.authorizer.jwt.claims`; locally the local server
//! checks its session and passes the same claims the same way. Either way the
//! groups are read here, into the caller's [`Role`], so a route left without
//! its authorizer by mistake still refuses everyone who is not an operator,
//! and the JWT authorizer, which knows no groups, cannot admit an operator to
//! a supervisor's route.

use crate::directory::OperatorDirectory;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use shared::domain::{Actor, Role};
use shared::http::ApiError;

/// The claim listing the caller's groups (each role's is `Role::group`).
pub const GROUPS_CLAIM: &str = "cognito:groups";
/// The claim naming the caller (Cognito access tokens: `username`).
pub const USERNAME_CLAIM: &str = "username";
/// The caller's address, when the token carries one (an ID token, the local
/// server's claims); a Cognito access token has none.
pub const EMAIL_CLAIM: &str = "email";

const NO_SESSION: &str = "サインインしてください(セッションがないか、有効期限が切れています)。";

/// Who calls: the name the history and the audit give them, their address
/// as far as the claims tell it, and their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub actor: Actor,
    /// The `email` claim, else the sign-in name (on AWS, Cognito's `username`).
    pub email: String,
    pub role: Role,
}

impl Caller {
    /// Whether the claims named the caller only by a sign-in name that is
    /// no address (a Cognito access token's `username`, the user's `sub`
    /// when the address is the username): [`Addresses`] then asks the
    /// directory, so the history and the audit name a person.
    fn unnamed(&self) -> bool {
        !self.email.contains('@')
    }
}

/// How long a sign-in name's address is remembered: an operator's address
/// rarely changes, and a removed operator's token lives its hour anyway.
const ADDRESS_TTL: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The callers' addresses as the operators' directory gives them, remembered
/// for [`ADDRESS_TTL`], so a warm function asks Cognito once per operator
/// every few minutes rather than on each request.
#[derive(Default)]
pub struct Addresses {
    known: std::sync::Mutex<std::collections::HashMap<String, (Actor, std::time::Instant)>>,
}

impl Addresses {
    /// `caller` named by their address where the claims gave none and the
    /// directory knows one; otherwise as the claims named them (a directory
    /// that fails costs the name, never the request).
    pub async fn name(&self, directory: &dyn OperatorDirectory, caller: Caller) -> Caller {
        if !caller.unnamed() {
            return caller;
        }
        let name = caller.actor.as_str().to_owned();
        let remembered = self.known.lock().expect("not poisoned").get(&name).cloned();
        let address = match remembered {
            Some((address, at)) if at.elapsed() < ADDRESS_TTL => Some(address),
            _ => match directory.operator(&name).await {
                Ok(Some(address)) => {
                    self.known
                        .lock()
                        .expect("not poisoned")
                        .insert(name, (address.clone(), std::time::Instant::now()));
                    Some(address)
                }
                Ok(None) => None,
                Err(error) => {
                    tracing::warn!(%error, "the operators' directory did not name the caller");
                    None
                }
            },
        };
        match address {
            Some(address) => Caller { email: address.to_string(), actor: address, role: caller.role },
            None => caller,
        }
    }
}

/// The operator behind the request, or 401 (no claims, no name) or 403 (no
/// role's group). Whether the role suffices for the route is the caller's
/// question to `Access::allows`.
pub fn operator(req: &Request) -> Result<Caller, ApiError> {
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            context.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|jwt| &jwt.claims)
        }
        _ => None,
    };
    let Some(claims) = claims.filter(|claims| !claims.is_empty()) else {
        return Err(ApiError::unauthenticated(NO_SESSION));
    };
    let groups = claims.get(GROUPS_CLAIM).map(|claim| groups_of(claim)).unwrap_or_default();
    let Some(role) = Role::of_groups(groups.iter().map(String::as_str)) else {
        return Err(ApiError::forbidden());
    };
    let actor = claims
        .get(USERNAME_CLAIM)
        .or_else(|| claims.get("sub"))
        .and_then(|name| Actor::parse(name))
        .ok_or_else(|| ApiError::unauthenticated(NO_SESSION))?;
    let email = claims
        .get(EMAIL_CLAIM)
        .and_then(|email| Actor::parse(email))
        .map_or_else(|| actor.to_string(), |email| email.to_string());
    Ok(Caller { actor, email, role })
}

/// The groups of a `cognito:groups` claim, read exactly as it arrives: the HTTP
/// API's JWT authorizer flattens the token's array to `[a b]` (the names
/// separated by single spaces, which Cognito forbids in a group's name), and a
/// claim passed unflattened is the JSON array itself (`["a","b"]`). Anything
/// else, a bare name included, is no group at all. A comma separates nothing:
/// Cognito allows one in a name, so `[x,operators]` is the one group
/// `x,operators`, whoever made it, and not an operator.
pub fn groups_of(claim: &str) -> Vec<String> {
    if let Ok(groups) = serde_json::from_str::<Vec<String>>(claim) {
        return groups;
    }
    match claim.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')) {
        Some(inner) => inner.split(' ').filter(|group| !group.is_empty()).map(str::to_owned).collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::store::Unavailable;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A directory that knows one sign-in name, counts its questions, and
    /// fails when told to.
    #[derive(Default)]
    struct Counting {
        asked: AtomicUsize,
        failing: bool,
    }

    #[async_trait::async_trait]
    impl OperatorDirectory for Counting {
        async fn operator(&self, name: &str) -> Result<Option<Actor>, Unavailable> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            if self.failing {
                return Err(Unavailable("down".into()));
            }
            Ok((name == "5f0c1e2a-sub").then(|| Actor::parse("op@example.com").unwrap()))
        }
    }

    fn named(name: &str) -> Caller {
        Caller { actor: Actor::parse(name).unwrap(), email: name.to_owned(), role: Role::Operator }
    }

    #[tokio::test]
    async fn a_sign_in_name_is_named_by_its_address_asked_once_a_while() {
        let directory = Counting::default();
        let addresses = Addresses::default();
        for _ in 0..3 {
            let caller = addresses.name(&directory, named("5f0c1e2a-sub")).await;
            assert_eq!((caller.actor.as_str(), caller.email.as_str()), ("op@example.com", "op@example.com"));
        }
        assert_eq!(directory.asked.load(Ordering::SeqCst), 1, "remembered");
        // An address is a name already; an unknown name stays as it came.
        assert_eq!(addresses.name(&directory, named("clerk@example.com")).await, named("clerk@example.com"));
        assert_eq!(addresses.name(&directory, named("other-sub")).await, named("other-sub"));
        assert_eq!(directory.asked.load(Ordering::SeqCst), 2);
        // A directory that fails costs the name, not the request.
        let down = Counting { failing: true, ..Counting::default() };
        assert_eq!(Addresses::default().name(&down, named("5f0c1e2a-sub")).await, named("5f0c1e2a-sub"));
    }

    #[test]
    fn the_group_claim_as_the_http_api_flattens_it_or_as_json() {
        let cases: [(&str, &[&str]); 10] = [
            ("[operators]", &["operators"]),
            ("[admins operators]", &["admins", "operators"]),
            ("[]", &[]),
            ("", &[]),
            (r#"["operators"]"#, &["operators"]),
            (r#"["admins","operators"]"#, &["admins", "operators"]),
            (r#"["x,operators"]"#, &["x,operators"]),
            ("[x,operators]", &["x,operators"]),
            ("[admins,operators]", &["admins,operators"]),
            // Not a shape the authorizer passes: no group.
            ("operators", &[]),
        ];
        for (claim, want) in cases {
            assert_eq!(groups_of(claim), want, "{claim}");
        }
    }

    /// The claim as API Gateway's JWT authorizer passes a supervisor's
    /// (`cognito:groups` flattened to one string, the groups in the token's
    /// order), and an operator's.
    #[test]
    fn the_real_claim_shape_names_the_role() {
        let role = |claim: &str| Role::of_groups(groups_of(claim).iter().map(String::as_str));
        assert_eq!(role("[operators supervisors]"), Some(Role::Supervisor));
        assert_eq!(role("[supervisors operators]"), Some(Role::Supervisor));
        assert_eq!(role("[supervisors]"), Some(Role::Supervisor));
        assert_eq!(role(r#"["operators","supervisors"]"#), Some(Role::Supervisor));
        assert_eq!(role("[operators]"), Some(Role::Operator));
        assert_eq!(role("[operators x,supervisors]"), Some(Role::Operator));
        assert_eq!(role("[operators,supervisors]"), None, "one group named with a comma");
        assert_eq!(role("supervisors"), None);
    }

    #[test]
    fn a_group_that_only_contains_the_operators_name_is_not_the_group() {
        for claim in [
            "[x,operators]",
            "[operators,x]",
            r#"["x,operators"]"#,
            "operators",
            "[operators-readonly]",
            "[admins]",
            "[ operators]x",
            r#"[operators"]"#,
            r#"["operators]"#,
        ] {
            assert!(!groups_of(claim).iter().any(|g| g == Role::Operator.group()), "{claim}");
        }
    }
}
