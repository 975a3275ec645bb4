//! The operator API (`shared::routes::operator_routes`).

use lambda_http::{Body, Request, Response};
use shared::http::ApiError;
use shared::keyed::IdentifierKey;
use shared::store::Store;
use std::sync::Arc;

/// The handler over an injected store and key.
pub struct Handler {
    #[allow(dead_code)]
    store: Arc<dyn Store>,
    #[allow(dead_code)]
    key: Arc<IdentifierKey>,
}

impl Handler {
    pub fn new(store: Arc<dyn Store>, key: Arc<IdentifierKey>) -> Self {
        Handler { store, key }
    }

    pub async fn handle(&self, _req: Request) -> Response<Body> {
        ApiError::not_found().into_response()
    }
}
