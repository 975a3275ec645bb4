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
    let groups = claims.get(GROUPS_CLAIM).map(String::as_str).unwrap_or_default();
    if !groups_of(groups).any(|group| group == OPERATORS_GROUP) {
        return Err(ApiError::forbidden());
    }
    claims
        .get(USERNAME_CLAIM)
        .or_else(|| claims.get("sub"))
        .and_then(|name| Actor::parse(name))
        .ok_or_else(|| ApiError::unauthenticated(NO_SESSION))
}

/// The groups of a `cognito:groups` claim as the HTTP API passes it: a JSON
/// array is flattened to `[a b]` (or `[a, b]`); a single group may come bare.
pub fn groups_of(claim: &str) -> impl Iterator<Item = &str> {
    claim
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split([' ', ','])
        .map(|group| group.trim().trim_matches('"'))
        .filter(|group| !group.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_claim_in_its_flattened_forms() {
        for claim in
            ["[operators]", "[admins operators]", "[admins, operators]", "operators", "[\"operators\"]"]
        {
            assert!(groups_of(claim).any(|g| g == OPERATORS_GROUP), "{claim}");
        }
        for claim in ["", "[]", "[operators-readonly]", "[admins]"] {
            assert!(!groups_of(claim).any(|g| g == OPERATORS_GROUP), "{claim}");
        }
    }
}
