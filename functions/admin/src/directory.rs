//! Who may be assigned an application: the operators' directory, a port with
//! two adapters. On AWS the Cognito user pool (`USER_POOL_ID`, one
//! `AdminGetUser`, which the admin role may call on that pool only); locally
//! the local server's accounts (`local::operators`). Either answers an
//! operator by their address, or by their sign-in name (Cognito's username,
//! the token's `sub` when the address is the username), as their address: the
//! one form an assignee is kept in, and `?assignee=me` compared with.

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use shared::domain::Actor;
use shared::store::Unavailable;

/// The environment variable naming the pool (the template sets it).
pub const ENV_USER_POOL_ID: &str = "USER_POOL_ID";

/// The operators' directory.
#[async_trait]
pub trait OperatorDirectory: Send + Sync {
    /// The operator `name` names (an address or a sign-in name), as their
    /// address; `None` when there is no such operator.
    async fn operator(&self, name: &str) -> Result<Option<Actor>, Unavailable>;
}

/// A fixed list of addresses (tests, benchmarks): an operator is one of them.
#[derive(Debug, Clone, Default)]
pub struct Listed(pub Vec<String>);

#[async_trait]
impl OperatorDirectory for Listed {
    async fn operator(&self, name: &str) -> Result<Option<Actor>, Unavailable> {
        Ok(self.0.iter().find(|known| known.eq_ignore_ascii_case(name)).and_then(|known| Actor::parse(known)))
    }
}

/// The Cognito user pool's users.
pub struct CognitoDirectory {
    client: aws_sdk_cognitoidentityprovider::Client,
    pool_id: String,
}

impl CognitoDirectory {
    pub fn new(client: aws_sdk_cognitoidentityprovider::Client, pool_id: impl Into<String>) -> Self {
        CognitoDirectory { client, pool_id: pool_id.into() }
    }

    /// From the SDK configuration and `USER_POOL_ID`.
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, String> {
        let pool_id = std::env::var(ENV_USER_POOL_ID)
            .ok()
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| format!("{ENV_USER_POOL_ID} is not set"))?;
        Ok(Self::new(aws_sdk_cognitoidentityprovider::Client::new(sdk), pool_id))
    }
}

#[async_trait]
impl OperatorDirectory for CognitoDirectory {
    async fn operator(&self, name: &str) -> Result<Option<Actor>, Unavailable> {
        let result = self.client.admin_get_user().user_pool_id(&self.pool_id).username(name).send().await;
        let user = match result {
            Ok(user) => user,
            Err(error) if error.code() == Some("UserNotFoundException") => return Ok(None),
            Err(error) => {
                // The code only: a message may repeat the name asked for.
                return Err(Unavailable(format!(
                    "cognito AdminGetUser failed: {}",
                    error.code().unwrap_or("no error code")
                )));
            }
        };
        if !user.enabled() {
            return Ok(None);
        }
        let email = user.user_attributes().iter().find(|a| a.name() == "email").and_then(|a| a.value());
        Ok(email.or(Some(user.username())).and_then(Actor::parse))
    }
}
