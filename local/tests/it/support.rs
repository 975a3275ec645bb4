//! What the local server's HTTP tests share: an application that applied
//! and confirmed through the real routes, and operators' sessions.

use serde_json::{Value, json};
use shared::store::Tooling;

/// The seed's application for `email`, as the form sends it.
pub fn application(email: &str) -> Value {
    let mut application = test_support::seed_application();
    application["email"] = json!(email);
    application["emailConfirmation"] = json!(email);
    application
}

/// Applies for `email` (under `idempotency_key`) and confirms with the link,
/// as the applicant does; the application's id.
pub async fn applied_and_confirmed(
    client: &reqwest::Client,
    running: &local::Running,
    data_dir: &std::path::Path,
    email: &str,
    idempotency_key: &str,
) -> String {
    let base = running.url();
    let submitted = client
        .post(format!("{base}api/applications"))
        .header("idempotency-key", idempotency_key)
        .json(&application(email))
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status().as_u16(), 202);
    let store = shared::store::sqlite::SqliteStore::open_dir(data_dir).unwrap();
    let awaiting = store.list_by_status(shared::domain::Status::AwaitingVerification, 10).await.unwrap();
    let id = awaiting[0].receipt.application_id;
    let key = shared::keyed::IdentifierKey::load_or_create(data_dir).unwrap();
    let token = key.verification_token(id);
    let confirmed = client
        .post(format!("{base}api/verifications"))
        .json(&json!({ "token": token.as_str() }))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status().as_u16(), 200);
    id.to_string()
}

/// A session of `email`'s; its bearer token.
pub async fn sign_in_as(
    client: &reqwest::Client,
    running: &local::Running,
    email: &str,
    password: &str,
) -> String {
    let session: Value = client
        .post(format!("{}api/admin/sessions", running.url()))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session["token"].as_str().expect("a session").to_owned()
}

/// A session of the operator the first start printed (a supervisor).
pub async fn sign_in(client: &reqwest::Client, running: &local::Running) -> String {
    let operator = running.first_operator.clone().expect("the first start's operator");
    sign_in_as(client, running, operator.email.as_str(), &operator.password).await
}
