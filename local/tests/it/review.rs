//! An operator's path over real HTTP, as the README tells it: start the
//! server, sign in with the printed account, list, read, decide, read the
//! result mail from the outbox, export, read the audit, erase.

use crate::support::{application, applied_and_confirmed, sign_in};
use serde_json::{Value, json};
use shared::store::Tooling;
use std::time::Duration;

/// Every mail in the outbox: its recipients and its text body, decoded.
fn outbox(data: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data.join("outbox")) else { return vec![] };
    entries
        .filter_map(|entry| {
            let bytes = std::fs::read(entry.unwrap().path()).ok()?;
            let message = mail_parser::MessageParser::default().parse(&bytes)?;
            let to: Vec<String> =
                message.to()?.iter().filter_map(|a| a.address().map(str::to_owned)).collect();
            Some(format!("{}\n{}", to.join(","), message.body_text(0)?))
        })
        .collect()
}

/// Waits for a mail that `matches` (deliveries run in the background).
async fn mail_with(data: &std::path::Path, matches: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        if let Some(mail) = outbox(data).into_iter().find(|m| matches(m)) {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no such mail in the outbox");
}

/// The first start's operator signs in: its bearer token.
#[tokio::test]
async fn an_operator_signs_in_lists_decides_exports_and_erases() {
    let data = tempfile::tempdir().unwrap();
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let base = running.url();
    let client = reqwest::Client::new();

    // An applicant applies and confirms.
    applied_and_confirmed(&client, &running, data.path(), "partner@example.com", "review-path-key-0000001")
        .await;

    // Without a session: 401 with the envelope.
    let anonymous = client.get(format!("{base}api/admin/applications")).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(anonymous.json::<Value>().await.unwrap()["error"]["code"], "unauthenticated");

    // The printed operator signs in.
    let bearer = sign_in(&client, &running).await;
    let get = |path: String| client.get(format!("{base}{path}")).bearer_auth(&bearer).send();

    let list: Value = get("api/admin/applications".into()).await.unwrap().json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "received");
    assert_eq!(items[0]["displayName"], test_support::seed_application()["corporateName"]);
    assert_eq!(list["nextCursor"], Value::Null);
    let id = items[0]["applicationId"].as_str().unwrap().to_owned();
    let number = items[0]["receptionNumber"].as_str().unwrap().to_owned();
    let searched: Value =
        get(format!("api/admin/applications?q={number}")).await.unwrap().json().await.unwrap();
    assert_eq!(searched["items"].as_array().unwrap().len(), 1);
    // The query string reaches the handler: a filter that matches nothing
    // finds nothing, and a malformed one is refused.
    let none: Value =
        get("api/admin/applications?status=approved".into()).await.unwrap().json().await.unwrap();
    assert_eq!(none["items"], json!([]), "status=approved before any approval");
    let unmatched: Value =
        get("api/admin/applications?q=PR-0000-0000".into()).await.unwrap().json().await.unwrap();
    assert_eq!(unmatched["items"], json!([]));
    let malformed = get("api/admin/applications?limit=0".into()).await.unwrap();
    assert_eq!(malformed.status().as_u16(), 400);

    let detail: Value = get(format!("api/admin/applications/{id}")).await.unwrap().json().await.unwrap();
    assert_eq!(detail["version"], 2);
    assert_eq!(detail["application"]["email"], "partner@example.com");
    let actions: Vec<&str> =
        detail["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["submitted", "confirmed"]);

    // Approve: the contract is formed and a partner code issued.
    let decide = || {
        client
            .post(format!("{base}api/admin/applications/{id}/decisions"))
            .bearer_auth(&bearer)
            .header("idempotency-key", "review-decision-key-001")
            .json(&json!({ "decision": "approve", "expectedVersion": 2 }))
            .send()
    };
    let approved = decide().await.unwrap();
    assert_eq!(approved.status().as_u16(), 200);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["status"], "approved");
    let code = approved["partnerCode"].as_str().unwrap().to_owned();
    assert!(code.starts_with("TC-"), "{code}");
    let replay = decide().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap()["version"], 3, "decided once");
    let mail = mail_with(data.path(), |mail| mail.contains(&code)).await;
    assert!(mail.contains("partner@example.com"), "to the applicant");

    // The export: a BOM, CRLF, the form's labels, the row with its code.
    let csv = get("api/admin/applications.csv".into()).await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = csv.bytes().await.unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    let text = text.strip_prefix('\u{FEFF}').expect("a BOM");
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert!(headers.iter().any(|h| h == "メールアドレス") && headers.iter().any(|h| h == "取次店コード"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].iter().any(|cell| cell == code) && rows[0].iter().any(|cell| cell == "承認"));
    // Filtered, streamed: nothing received is left, so the header row only.
    let filtered = get("api/admin/applications.csv?status=received&from=2026-01-01".into()).await.unwrap();
    assert_eq!(filtered.text().await.unwrap().matches("\r\n").count(), 1);

    // The address applies again: a notice, and its already-received mail.
    let again = client
        .post(format!("{base}api/applications"))
        .header("idempotency-key", "review-path-key-0000002")
        .json(&application("partner@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 202);
    // Every mail is out before the erasure: the link, the 控え, the operators'
    // notice, the approval, the already-received mail.
    let files = || test_support::outbox_files(data.path());
    for _ in 0..100 {
        if files().len() == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(files().len(), 5, "{:?}", files());
    assert_eq!(files().iter().filter(|name| name.contains(&id)).count(), 4, "{:?}", files());
    assert_eq!(outbox(data.path()).iter().filter(|m| m.contains("partner@example.com")).count(), 4);

    // Erasure: the application goes; what remains says that it happened.
    let erased = client
        .post(format!("{base}api/admin/applications/{id}/erasure"))
        .bearer_auth(&bearer)
        .json(&json!({ "reason": "applicant_request" }))
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status().as_u16(), 200);
    let erased: Value = erased.json().await.unwrap();
    assert_eq!(erased["application"], Value::Null);
    assert!(erased["erasedAt"].is_string());
    // Its mails leave the outbox with it, and the notice's with the notice,
    // which the erasure deleted: every mail of this run was about it.
    assert_eq!(files(), Vec::<String>::new(), "the erased application's mails remain");

    // The audit names the operator and the application, never the applicant.
    let audit = get("api/admin/audit".into()).await.unwrap().text().await.unwrap();
    let audit_json: Value = serde_json::from_str(&audit).unwrap();
    let actions: Vec<&str> =
        audit_json["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    // Four lists (the whole, by number, by status, unmatched); the refused one is not audited.
    let expected = [
        "view_audit",
        "erase",
        "export",
        "export",
        "approve",
        "view",
        "list",
        "list",
        "list",
        "list",
        "sign_in",
    ];
    assert_eq!(actions, expected);
    // Each streamed export's entry: its filters and the rows it handed over.
    let exports: Vec<&Value> =
        audit_json["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "export").collect();
    assert_eq!(
        exports[0]["export"],
        json!({ "status": "received", "from": "2026-01-01T00:00:00+09:00", "to": null, "rows": 0 })
    );
    assert_eq!(exports[1]["export"], json!({ "status": null, "from": null, "to": null, "rows": 1 }));
    assert!(!audit.contains("partner@example.com") && !audit.contains(&number));
    running.shutdown().await.unwrap();
}

/// Retention: an application the purge deletes (here an unverified one past
/// its link) takes its mails from the outbox; a live one keeps its own.
#[tokio::test]
async fn the_purge_deletes_the_mails_of_what_it_deleted() {
    let data = tempfile::tempdir().unwrap();
    let mut config = local::Config::new(0, data.path());
    config.settings.verification_ttl_secs = 1;
    config.purge_every = Duration::from_millis(200);
    let running = local::start(config).await.unwrap();
    let base = running.url();
    let client = reqwest::Client::new();
    let submit = |email: &'static str, key: &'static str| {
        client
            .post(format!("{base}api/applications"))
            .header("idempotency-key", key)
            .json(&application(email))
            .send()
    };
    assert_eq!(submit("kept@example.com", "purge-mails-key-000001").await.unwrap().status().as_u16(), 202);
    let store = shared::store::sqlite::SqliteStore::open_dir(data.path()).unwrap();
    let awaiting = store.list_by_status(shared::domain::Status::AwaitingVerification, 10).await.unwrap();
    let kept = awaiting[0].receipt.application_id.to_string();
    let key = shared::keyed::IdentifierKey::load_or_create(data.path()).unwrap();
    let token = key.verification_token(awaiting[0].receipt.application_id);
    let confirmed =
        client.post(format!("{base}api/verifications")).json(&json!({ "token": token.as_str() })).send();
    assert_eq!(confirmed.await.unwrap().status().as_u16(), 200);
    assert_eq!(submit("gone@example.com", "purge-mails-key-000002").await.unwrap().status().as_u16(), 202);
    mail_with(data.path(), |mail| mail.contains("gone@example.com")).await;

    // Its link expires after a second; a purge runs every 200 ms.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while outbox(data.path()).iter().any(|mail| mail.contains("gone@example.com")) {
        assert!(std::time::Instant::now() < deadline, "the expired application's mail remains");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let left = test_support::outbox_files(data.path());
    // The live application's link, 控え and operators' notice.
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(left.iter().all(|name| name.contains(&kept)), "{left:?}");
    running.shutdown().await.unwrap();
}

/// The first start's samples: three verified applications the console lists,
/// each one's mails in the outbox, all to example.com.
#[tokio::test]
async fn the_samples_are_applications_to_review() {
    let data = tempfile::tempdir().unwrap();
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let base = running.url();
    assert_eq!(local::samples::create(&base, data.path()).await.unwrap(), 3);
    let client = reqwest::Client::new();
    let bearer = sign_in(&client, &running).await;
    let list: Value = client
        .get(format!("{base}api/admin/applications?status=received"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i["email"].as_str().unwrap().ends_with("@example.com")));
    let kinds: Vec<&str> = items.iter().map(|i| i["contractType"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"sole_proprietor") && kinds.contains(&"corporation"), "{kinds:?}");
    running.shutdown().await.unwrap();
}
