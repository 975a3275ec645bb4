//! The mail-events function (work in progress: the handler lands with the
//! delivery status).

use lambda_runtime::{Error, LambdaEvent};

/// What the handler needs, built once per cold start.
pub struct Deps {
    pub store: Box<dyn shared::store::Store>,
}

/// Records one SES event.
pub async fn handle(_deps: &Deps, _event: LambdaEvent<serde_json::Value>) -> Result<(), Error> {
    Ok(())
}
