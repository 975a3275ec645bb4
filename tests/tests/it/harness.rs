//! The helpers the console tests build on (`tests/src/browser.rs`): sample
//! applications, each submitted and confirmed over HTTP as an applicant does
//! (`Site::verified_application`), the local server's first operator
//! (`Site::operator`, `Site::operator_token`) and the outbox's mails
//! (`Site::outbox_mails`, `Site::mails_with_subject`), proven against the
//! operator API.

use anyhow::{Context, Result};
use integration_tests::browser::{Site, Verified, sample_applications};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::domain::{Application, RawApplication};
use shared::routes::{ADMIN_DECISIONS, ADMIN_DETAIL, ADMIN_LIST};

/// `path` with its `{name}` filled by `value`.
fn with_id(path: &str, value: &str) -> String {
    path.replace("{applicationId}", value)
}

#[tokio::test]
async fn verified_applications_reach_the_operator_api_and_its_mails_the_outbox() -> Result<()> {
    let site = Site::start().await?;
    let samples = sample_applications("harness");
    let emails: Vec<&str> = samples.iter().map(|body| body["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["harness-1@example.com", "harness-2@example.com", "harness-3@example.com"]);
    let kinds: Vec<&str> = samples.iter().map(|body| body["contractType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["corporation", "sole_proprietor", "corporation"]);
    for body in &samples {
        let raw = RawApplication::deserialize(body)?;
        Application::parse(&raw).map_err(|invalid| anyhow::anyhow!("{}: {invalid:?}", body["email"]))?;
    }

    // Two applicants confirm; the third never opens its link.
    let corporation = site.verified_application(&samples[0]).await?;
    let sole = site.verified_application(&samples[1]).await?;
    assert_eq!(corporation.email, "harness-1@example.com");
    assert_ne!(corporation.reception_number, sole.reception_number);
    assert_ne!(corporation.application_id, sole.application_id);
    let http = reqwest::Client::new();
    let unconfirmed = http
        .post(site.api("/api/applications"))
        .header("Idempotency-Key", "harness-never-confirmed")
        .json(&samples[2])
        .send()
        .await?;
    assert_eq!(unconfirmed.status(), 202);

    // The first operator, as operator.txt keeps it, signs in.
    let (email, password) = site.operator()?;
    assert_eq!(email, "operator@example.com");
    let kept = std::fs::read_to_string(site.data.path().join("operator.txt"))?;
    assert!(kept.contains(&format!("password: {password}\n")), "{kept}");
    let token = site.operator_token().await?;

    // The list holds the two verified applications (submitted in the same
    // millisecond, so in either order), and not the unconfirmed one.
    let list: Value = http
        .get(site.api(ADMIN_LIST.path))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let items = list["items"].as_array().context("items")?;
    let mut listed: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|item| {
            (
                item["applicationId"].as_str().unwrap(),
                item["receptionNumber"].as_str().unwrap(),
                item["status"].as_str().unwrap(),
                item["displayName"].as_str().unwrap(),
            )
        })
        .collect();
    fn row<'a>(v: &'a Verified, name: &'a str) -> (&'a str, &'a str, &'a str, &'a str) {
        (v.application_id.as_str(), v.reception_number.as_str(), "received", name)
    }
    let mut expected = [row(&sole, "鈴木 一郎"), row(&corporation, "エックスサーバー株式会社")];
    listed.sort_unstable();
    expected.sort_unstable();
    assert_eq!(listed, expected);

    // The outbox: a link for each of the three, a 控え for each of the two.
    let links = site.wait_for_mails(3, |mail| mail.kind == "verification").await?;
    let verification_to: Vec<&str> = links.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(verification_to, emails);
    let copies = site.mails_with_subject("お申し込みを受け付けました", 2).await?;
    let copies_to: Vec<&str> = copies.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(copies_to, ["harness-1@example.com", "harness-2@example.com"]);
    assert!(copies[1].subject.contains(&sole.reception_number) && copies[1].kind == "acknowledgement");

    // An operator's decision: its result mail is found by its subject.
    let detail: Value = http
        .get(site.api(&with_id(ADMIN_DETAIL.path, &sole.application_id)))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let decided = http
        .post(site.api(&with_id(ADMIN_DECISIONS.path, &sole.application_id)))
        .bearer_auth(&token)
        .header("Idempotency-Key", "harness-request-documents")
        .json(&json!({
            "decision": "request_documents",
            "expectedVersion": detail["version"],
            "message": "開業届の写しをお送りください。",
        }))
        .send()
        .await?;
    assert_eq!(decided.status(), 200, "{}", decided.text().await?);
    let requests = site.mails_with_subject("資料提出のお願い", 1).await?;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].to, sole.email);
    assert_eq!(requests[0].kind, "documents-requested");
    assert!(requests[0].subject.contains(&sole.reception_number), "{}", requests[0].subject);
    assert!(requests[0].text.contains("開業届の写しをお送りください。"), "{}", requests[0].text);
    Ok(())
}

/// With the rate limits lifted (`Site::start_with`), more applications than an
/// address may submit in an hour: what a console test of paging needs.
#[tokio::test]
async fn a_site_without_rate_limits_takes_many_applications() -> Result<()> {
    let site = Site::start_with(|config| {
        config.settings.limits.submissions_per_client = None;
    })
    .await?;
    let mut numbers = Vec::new();
    for n in 0..12 {
        let body = integration_tests::browser::corporation_application(&format!("many-{n}@example.com"));
        numbers.push(site.verified_application(&body).await?.reception_number);
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 12);
    Ok(())
}
