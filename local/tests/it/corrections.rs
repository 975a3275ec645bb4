//! A correction (訂正) over real HTTP on the local server, as an operator makes
//! it: the address and the contract type refused (`field_not_correctable`), a
//! value the form refuses answered with its field errors, a valid one answered
//! with the detail (version + 1, status kept, the changed keys in the
//! history) and mailed to the applicant once, its values read back from the
//! outbox; audited `correct`.

use serde_json::{Value, json};
use shared::store::Tooling;
use std::time::Duration;

/// Every 登録内容訂正のお知らせ in the outbox: its recipients and its text body, decoded.
fn corrections(data: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data.join("outbox")) else { return vec![] };
    entries
        .filter_map(|entry| {
            let bytes = std::fs::read(entry.unwrap().path()).ok()?;
            let message = mail_parser::MessageParser::default().parse(&bytes)?;
            let subject = message.subject()?.to_owned();
            let to: Vec<String> =
                message.to()?.iter().filter_map(|a| a.address().map(str::to_owned)).collect();
            subject
                .contains("登録内容訂正のお知らせ")
                .then(|| format!("{}\n{subject}\n{}", to.join(","), message.body_text(0).unwrap_or_default()))
        })
        .collect()
}

#[tokio::test]
async fn a_correction_is_checked_by_the_forms_rules_answered_with_the_detail_and_mailed_once() {
    let data = tempfile::tempdir().unwrap();
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let base = running.url();
    let client = reqwest::Client::new();

    let mut application = test_support::seed_application();
    application["email"] = json!("corrected@example.com");
    application["emailConfirmation"] = json!("corrected@example.com");
    let submitted = client
        .post(format!("{base}api/applications"))
        .header("idempotency-key", "correction-path-key-0001")
        .json(&application)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status().as_u16(), 202);
    let store = shared::store::sqlite::SqliteStore::open_dir(data.path()).unwrap();
    let awaiting = store.list_by_status(shared::domain::Status::AwaitingVerification, 10).await.unwrap();
    let id = awaiting[0].receipt.application_id.to_string();
    let key = shared::keyed::IdentifierKey::load_or_create(data.path()).unwrap();
    let token = key.verification_token(awaiting[0].receipt.application_id);

    let operator = running.first_operator.clone().expect("the first start's operator");
    let session: Value = client
        .post(format!("{base}api/admin/sessions"))
        .json(&json!({ "email": operator.email.as_str(), "password": operator.password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = session["token"].as_str().unwrap().to_owned();
    let correct = |idempotency_key: &'static str, body: Value| {
        client
            .post(format!("{base}api/admin/applications/{id}/corrections"))
            .bearer_auth(&bearer)
            .header("idempotency-key", idempotency_key)
            .json(&body)
            .send()
    };

    // Not before the address is proven.
    let early = correct(
        "correction-key-000000001",
        json!({ "expectedVersion": 1, "reason": "operator_fix", "changes": { "addressStreet": "梅田1-2-3" } }),
    )
    .await
    .unwrap();
    assert_eq!(early.status().as_u16(), 409);
    assert_eq!(early.json::<Value>().await.unwrap()["error"]["code"], "not_correctable");
    let confirmed = client
        .post(format!("{base}api/verifications"))
        .json(&json!({ "token": token.as_str() }))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status().as_u16(), 200);

    // The address, its confirmation and the contract type are never corrected.
    for (field, value) in [
        ("email", "other@example.com"),
        ("emailConfirmation", "other@example.com"),
        ("contractType", "sole_proprietor"),
    ] {
        let refused = correct(
            "correction-key-000000002",
            json!({ "expectedVersion": 2, "reason": "applicant_request", "changes": { field: value } }),
        )
        .await
        .unwrap();
        assert_eq!(refused.status().as_u16(), 422, "{field}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "field_not_correctable", "{field}");
        assert!(!body.to_string().contains("other@example.com"), "no value echoed");
    }
    // An unknown key is a clear 400.
    let unknown = correct(
        "correction-key-000000003",
        json!({ "expectedVersion": 2, "reason": "applicant_request", "changes": { "address": "x" } }),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status().as_u16(), 400);
    let message = unknown.json::<Value>().await.unwrap()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("「address」") && message.contains("項目ではありません"), "{message}");

    // A value the form refuses: 422 with the field errors, as validation answers.
    let invalid = correct(
        "correction-key-000000004",
        json!({ "expectedVersion": 2, "reason": "applicant_request",
                "changes": { "phone": "12", "addressStreet": "梅田1-2-3" } }),
    )
    .await
    .unwrap();
    assert_eq!(invalid.status().as_u16(), 422);
    let invalid: Value = invalid.json().await.unwrap();
    assert_eq!(invalid["ok"], false);
    let fields: Vec<&str> =
        invalid["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["phone"]);

    // A valid one: the detail, version + 1, the status kept, the keys only in the history.
    let body = json!({ "expectedVersion": 2, "reason": "applicant_request",
                       "changes": { "addressStreet": "梅田1-2-3", "phone": "0662928811" } });
    let answer = correct("correction-key-000000005", body.clone()).await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let detail: Value = answer.json().await.unwrap();
    assert_eq!((&detail["version"], &detail["status"]), (&json!(3), &json!("received")));
    assert_eq!(detail["application"]["addressStreet"], "梅田1-2-3");
    let entry = &detail["history"][2];
    assert_eq!(
        (&entry["action"], &entry["fields"], &entry["reason"]),
        (&json!("correct"), &json!(["addressStreet"]), &json!("applicant_request"))
    );
    assert!(!entry.to_string().contains("梅田"), "no value in the history: {entry}");
    // The same key again: the same answer, nothing corrected or mailed twice.
    let replay = correct("correction-key-000000005", body).await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap()["version"], 3);
    // A stale version loses.
    let stale = correct(
        "correction-key-000000006",
        json!({ "expectedVersion": 2, "reason": "operator_fix", "changes": { "addressStreet": "梅田9-9-9" } }),
    )
    .await
    .unwrap();
    assert_eq!(stale.status().as_u16(), 409);
    assert_eq!(stale.json::<Value>().await.unwrap()["error"]["code"], "version_conflict");

    // 登録内容訂正のお知らせ, to the applicant, once: the corrected street under its label.
    let mut mails = Vec::new();
    for _ in 0..100 {
        mails = corrections(data.path());
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails_now = corrections(data.path());
    assert_eq!(mails_now.len(), 1, "{mails_now:?}");
    let mail = &mails[0];
    assert!(mail.starts_with("corrected@example.com\n"), "{mail}");
    assert!(mail.contains("住所(町域、丁目・番地)") && mail.contains("梅田1-2-3"), "{mail}");
    assert!(!mail.contains("電話番号"), "only what changed: {mail}");

    // Audited by id, as `correct`.
    let audit: Value = client
        .get(format!("{base}api/admin/audit"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let corrected: Vec<&Value> =
        audit["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "correct").collect();
    assert_eq!(corrected.len(), 1, "{audit}");
    assert_eq!(corrected[0]["applicationId"], json!(id));
    running.shutdown().await.unwrap();
}
