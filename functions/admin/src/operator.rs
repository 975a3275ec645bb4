//! Who calls: the operator named by the authorizer's claims. On AWS the HTTP
//! API's JWT authorizer has checked the Cognito access token and passes its
//! claims in `requestContext.authorizer.jwt.claims`; locally the local server
//! checks its session and passes the same claims the same way. Either way the
//! group is checked again here, so a route left without its authorizer by
//! mistake still refuses everyone who is not an operator.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use shared::domain::Actor;
use shared::http::ApiError;

/// The group whose members are operators.
pub const OPERATORS_GROUP: &str = "operators";
/// The claim listing the caller's groups.
pub const GROUPS_CLAIM: &str = "cognito:groups";
/// The claim naming the caller (Cognito access tokens: `username`).
pub const USERNAME_CLAIM: &str = "username";

const NO_SESSION: &str = "サインインしてください(セッションがないか、有効期限が切れています)。";

/// The operator behind the request, or 401/403.
pub fn operator(req: &Request) -> Result<Actor, ApiError> {
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
    if !groups.iter().any(|group| group == OPERATORS_GROUP) {
        return Err(ApiError::forbidden());
    }
    claims
        .get(USERNAME_CLAIM)
        .or_else(|| claims.get("sub"))
        .and_then(|name| Actor::parse(name))
        .ok_or_else(|| ApiError::unauthenticated(NO_SESSION))
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
            assert!(!groups_of(claim).iter().any(|g| g == OPERATORS_GROUP), "{claim}");
        }
    }
}
