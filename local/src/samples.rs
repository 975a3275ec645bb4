//! Sample applications, so that a first start has something to review: the
//! console can be tried (list, detail, checks, a decision and its mail) a
//! minute after `cargo run --release -p local`. They are made as an
//! applicant makes them, over HTTP against the server just started: submitted,
//! then confirmed with their link's token. Every address is `example.com`
//! (RFC 2606), so their mails reach nobody; they go to the outbox like any.
//!
//! Made on the first start of a data directory only (embedded backend), and
//! never with `--no-samples`.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use shared::domain::Status;
use shared::keyed::IdentifierKey;
use shared::store::Tooling;
use shared::store::sqlite::SqliteStore;
use std::path::Path;

/// The seed form's examples (the body of `events/validate-valid.json`).
fn seed() -> anyhow::Result<Value> {
    let event: Value = serde_json::from_str(include_str!("../../events/validate-valid.json"))?;
    Ok(serde_json::from_str(event["body"].as_str().context("the event has a body")?)?)
}

/// Three applicants: a corporation, a sole proprietor, and a second
/// corporation sharing the first one's phone (the detail's check shows it).
fn applications() -> anyhow::Result<Vec<Value>> {
    let base = seed()?;
    let with = |email: &str, edit: &dyn Fn(&mut Value)| {
        let mut application = base.clone();
        application["email"] = json!(email);
        application["emailConfirmation"] = json!(email);
        edit(&mut application);
        application
    };
    Ok(vec![
        with("sample-corporation@example.com", &|a| {
            a["corporateName"] = json!("サンプル商事株式会社");
            a["corporateNameKana"] = json!("サンプルショウジカブシキガイシャ");
        }),
        with("sample-sole@example.com", &|a| {
            a["contractType"] = json!("sole_proprietor");
            a["corporateName"] = json!("");
            a["corporateNameKana"] = json!("");
            a["lastName"] = json!("見本");
            a["firstName"] = json!("花子");
            a["lastNameKana"] = json!("ミホン");
            a["firstNameKana"] = json!("ハナコ");
            a["invoiceNumber"] = json!("");
            a["postalCode"] = json!("100-0005");
            a["addressRegion"] = json!("東京都千代田区");
            a["addressStreet"] = json!("丸の内1-1-1");
            a["addressBuilding"] = json!("");
            a["phone"] = json!("090-1234-5678");
        }),
        with("sample-second@example.com", &|a| {
            a["corporateName"] = json!("見本システム合同会社");
            a["corporateNameKana"] = json!("ミホンシステムゴウドウガイシャ");
            a["invoiceNumber"] = json!("");
            a["addressRegion"] = json!("大阪府大阪市中央区");
        }),
    ])
}

/// Submits and confirms the samples against the server at `base` (its URL,
/// ending in `/`) over the data directory `data_dir`. Returns how many.
pub async fn create(base: &str, data_dir: &Path) -> anyhow::Result<usize> {
    let client = reqwest::Client::new();
    let key = IdentifierKey::load_or_create(data_dir)?;
    let store = SqliteStore::open_dir(data_dir)?;
    let applications = applications()?;
    for (n, application) in applications.iter().enumerate() {
        let submitted = client
            .post(format!("{base}api/applications"))
            .header("idempotency-key", format!("local-sample-application-{n:04}"))
            .json(application)
            .send()
            .await?;
        if submitted.status() != reqwest::StatusCode::ACCEPTED {
            bail!("a sample application was answered {}", submitted.status());
        }
        let email = application["email"].as_str().unwrap_or_default();
        let awaiting = store.list_by_status(Status::AwaitingVerification, 100).await?;
        let stored = awaiting
            .iter()
            .find(|s| s.application.email.as_str() == email)
            .context("the sample application is stored")?;
        let token = key.verification_token(stored.receipt.application_id);
        let confirmed = client
            .post(format!("{base}api/verifications"))
            .json(&json!({ "token": token.as_str() }))
            .send()
            .await?;
        if !confirmed.status().is_success() {
            bail!("a sample confirmation was answered {}", confirmed.status());
        }
    }
    Ok(applications.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_samples_are_valid_applications_to_nobody() {
        let applications = applications().unwrap();
        assert_eq!(applications.len(), 3);
        for application in applications {
            let text = application.to_string();
            let raw: shared::domain::RawApplication = serde_json::from_str(&text).unwrap();
            let parsed = shared::domain::Application::parse(&raw);
            assert!(parsed.is_ok(), "{application}: {:?}", parsed.err());
            assert!(application["email"].as_str().unwrap().ends_with("@example.com"));
        }
    }
}
