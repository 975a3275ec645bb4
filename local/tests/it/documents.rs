//! The documents' whole way on the local server over real HTTP (contract v3,
//! *Documents*): an operator asks, the link comes from the outbox mail, the
//! applicant uploads to the local server's signed targets (refused outside
//! them), submits (a renamed executable is refused and deleted), both mails
//! go once, the operator downloads the file byte for byte, and erasure
//! leaves no file and no record.

use crate::support::{applied_and_confirmed, sign_in};
use serde_json::{Value, json};
use std::time::Duration;

/// Every mail in the outbox: its recipients, subject and text body.
fn outbox(data: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data.join("outbox")) else { return vec![] };
    entries
        .filter_map(|entry| {
            let bytes = std::fs::read(entry.unwrap().path()).ok()?;
            let message = mail_parser::MessageParser::default().parse(&bytes)?;
            let to: Vec<String> =
                message.to()?.iter().filter_map(|a| a.address().map(str::to_owned)).collect();
            Some(format!("{}\n{}\n{}", to.join(","), message.subject()?, message.body_text(0)?))
        })
        .collect()
}

async fn mails_with(data: &std::path::Path, count: usize, matches: impl Fn(&str) -> bool) -> Vec<String> {
    for _ in 0..100 {
        let found: Vec<String> = outbox(data).into_iter().filter(|m| matches(m)).collect();
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} such mails in the outbox");
}

/// A refused upload in the contract's envelope: 403 `forbidden` and a
/// message in Japanese, which is returned.
async fn refused(response: reqwest::Response) -> String {
    assert_eq!(response.status().as_u16(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
    body["error"]["message"].as_str().unwrap().to_owned()
}

/// A minimal valid PDF and PNG: what a scanner or a phone sends.
pub(crate) fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

pub(crate) fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 13]);
    bytes.extend_from_slice(b"IHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00");
    bytes.extend_from_slice(&[0x90, 0x77, 0x53, 0xDE]);
    bytes
}

#[tokio::test]
async fn an_applicant_submits_documents_and_an_operator_downloads_them() {
    let data = tempfile::tempdir().unwrap();
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let base = running.url();
    let client = reqwest::Client::new();

    // An applicant applies and confirms.
    let id = applied_and_confirmed(
        &client,
        &running,
        data.path(),
        "docs.partner@example.com",
        "documents-path-key-00001",
    )
    .await;

    // An operator asks for documents.
    let bearer = sign_in(&client, &running).await;
    let asked = client
        .post(format!("{base}api/admin/applications/{id}/decisions"))
        .bearer_auth(&bearer)
        .header("idempotency-key", "documents-decision-0001")
        .json(&json!({ "decision": "request_documents", "expectedVersion": 2, "message": "運転免許証の両面をお送りください。" }))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status().as_u16(), 200);

    // The link comes from the mail, which asks for no attachment.
    let requested = mails_with(data.path(), 1, |m| m.contains("資料提出のお願い")).await.remove(0);
    assert!(requested.starts_with("docs.partner@example.com"));
    assert!(!requested.contains("添付してお送りください"), "no reply with attachments");
    let link =
        requested.lines().find(|l| l.contains("/documents#token=")).expect("the link").trim().to_owned();
    let token = link.split("#token=").nth(1).unwrap().to_owned();

    let preview: Value = client
        .post(format!("{base}api/document-requests/preview"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(preview["status"], "documents_requested");
    assert_eq!(preview["message"], "運転免許証の両面をお送りください。");
    assert_eq!(preview["limits"]["maxFiles"], 10);
    assert_eq!(preview["limits"]["types"], json!(["application/pdf", "image/jpeg", "image/png"]));

    let target = |name: &str, content_type: &str, size: usize| {
        client
            .post(format!("{base}api/document-requests/uploads"))
            .json(&json!({ "token": token, "fileName": name, "contentType": content_type, "size": size }))
            .send()
    };
    // Refused before any upload: type and size.
    let exe = target("setup.exe", "application/x-msdownload", 100).await.unwrap();
    assert_eq!(
        (exe.status().as_u16(), exe.json::<Value>().await.unwrap()["error"]["code"].clone()),
        (422, json!("unsupported_type"))
    );
    let huge = target("big.pdf", "application/pdf", 10 * 1024 * 1024 + 1).await.unwrap();
    assert_eq!(huge.json::<Value>().await.unwrap()["error"]["code"], "file_too_large");

    let put = |issued: &Value, bytes: Vec<u8>, content_type: Option<&str>| {
        let url = format!("{}{}", base.trim_end_matches('/'), issued["upload"]["url"].as_str().unwrap());
        let mut request = client.put(url).body(bytes);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send()
    };
    let (pdf, png) = (pdf(), png());
    let pdf_target: Value =
        target("免許証 表.pdf", "application/pdf", pdf.len()).await.unwrap().json().await.unwrap();
    assert_eq!(pdf_target["upload"]["method"], "PUT");
    assert_eq!(pdf_target["upload"]["headers"]["content-type"], "application/pdf");
    // The target takes exactly its type and length, refused in the
    // contract's envelope, and nothing is written.
    let wrong_type = put(&pdf_target, pdf.clone(), Some("image/png")).await.unwrap();
    assert_eq!(refused(wrong_type).await, "ファイルの種類がアップロード先と一致しません。");
    let shorter = put(&pdf_target, pdf[..pdf.len() - 1].to_vec(), Some("application/pdf")).await.unwrap();
    assert_eq!(refused(shorter).await, "ファイルの大きさがアップロード先と一致しません。");
    let mut longer = pdf.clone();
    longer.push(b'\n');
    let longer = put(&pdf_target, longer, Some("application/pdf")).await.unwrap();
    assert_eq!(refused(longer).await, "ファイルの大きさがアップロード先と一致しません。");
    let incoming = data.path().join("documents/incoming").join(&id);
    let pdf_id = pdf_target["documentId"].as_str().unwrap();
    assert!(!incoming.join(pdf_id).exists(), "nothing written under the target's key");
    // Another key under the same signature: another document's, or outside `incoming/`.
    let other_target: Value =
        target("未送信.pdf", "application/pdf", pdf.len()).await.unwrap().json().await.unwrap();
    let other_id = other_target["documentId"].as_str().unwrap();
    let url = pdf_target["upload"]["url"].as_str().unwrap();
    let other_key = url.replacen(&format!("/{pdf_id}?"), &format!("/{other_id}?"), 1);
    assert_ne!(other_key, url);
    let outside = url.replacen("incoming/", "documents/", 1);
    for forged in [other_key, outside] {
        let forged = client
            .put(format!("{}{forged}", base.trim_end_matches('/')))
            .header("content-type", "application/pdf")
            .body(pdf.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(refused(forged).await, "アップロード先のURLが正しくありません。");
    }
    assert!(!incoming.join(other_id).exists(), "nothing written under the other key");
    assert!(!data.path().join("documents/documents").join(&id).exists(), "nor outside incoming/");
    assert_eq!(put(&pdf_target, pdf.clone(), Some("application/pdf")).await.unwrap().status().as_u16(), 200);

    let png_target: Value = target("住民票.png", "image/png", png.len()).await.unwrap().json().await.unwrap();
    assert_eq!(put(&png_target, png.clone(), Some("image/png")).await.unwrap().status().as_u16(), 200);
    // A renamed executable: its target is a PDF's, its bytes an ELF's.
    let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    let elf_target: Value =
        target("請求書.pdf", "application/pdf", elf.len()).await.unwrap().json().await.unwrap();
    assert_eq!(put(&elf_target, elf, Some("application/pdf")).await.unwrap().status().as_u16(), 200);

    let submit = |ids: Vec<&Value>, key: &str| {
        client
            .post(format!("{base}api/document-requests/submission"))
            .header("idempotency-key", key)
            .json(&json!({ "token": token, "documentIds": ids }))
            .send()
    };
    let ids = [&pdf_target["documentId"], &png_target["documentId"], &elf_target["documentId"]];
    let mismatch = submit(ids.to_vec(), "documents-submission-001").await.unwrap();
    assert_eq!(mismatch.status().as_u16(), 422);
    let error = mismatch.json::<Value>().await.unwrap()["error"].clone();
    assert_eq!(
        (error["code"].clone(), error["documentId"].clone()),
        (json!("document_content_mismatch"), elf_target["documentId"].clone())
    );
    assert!(!incoming.join(elf_target["documentId"].as_str().unwrap()).exists(), "the mismatch is deleted");

    let accepted = submit(ids[..2].to_vec(), "documents-submission-002").await.unwrap();
    assert_eq!(accepted.status().as_u16(), 200);
    let answer: Value = accepted.json().await.unwrap();
    assert_eq!(answer["status"], "documents_submitted");
    assert_eq!(answer["documents"].as_array().unwrap().len(), 2);
    // The same key and body replay; the link takes no more uploads.
    let replay = submit(ids[..2].to_vec(), "documents-submission-002").await.unwrap();
    assert_eq!(replay.status().as_u16(), 200);
    let late = target("追加.pdf", "application/pdf", 10).await.unwrap();
    assert_eq!(late.status().as_u16(), 409);
    assert_eq!(late.json::<Value>().await.unwrap()["error"]["code"], "documents_already_submitted");

    // Both mails, once each: the applicant's names the count, the operators' no person.
    let received = mails_with(data.path(), 1, |m| m.contains("資料受領のお知らせ")).await;
    let notice = mails_with(data.path(), 1, |m| m.contains("資料が提出されました")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(outbox(data.path()).iter().filter(|m| m.contains("資料受領のお知らせ")).count(), 1);
    assert_eq!(outbox(data.path()).iter().filter(|m| m.contains("資料が提出されました")).count(), 1);
    assert!(received[0].starts_with("docs.partner@example.com") && received[0].contains("2件"));
    assert!(notice[0].starts_with("operator@example.com"));
    for personal in ["docs.partner", "免許証", "山田"] {
        assert!(!notice[0].contains(personal), "the operators' notice names no one: {personal}");
    }

    // The operator sees 資料確認待ち and downloads the PDF, byte for byte.
    let get = |path: String| client.get(format!("{base}{path}")).bearer_auth(&bearer).send();
    let counts: Value = get("api/admin/counts".into()).await.unwrap().json().await.unwrap();
    assert_eq!(counts["counts"]["documents_submitted"], 1);
    let detail: Value = get(format!("api/admin/applications/{id}")).await.unwrap().json().await.unwrap();
    assert_eq!(detail["status"], "documents_submitted");
    let documents = detail["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[0]["fileName"], "免許証 表.pdf");
    assert_eq!(documents[0]["scan"], "not_scanned");
    assert_eq!(documents[0]["size"], pdf.len());
    let document_id = documents[0]["documentId"].as_str().unwrap();
    let link: Value = get(format!("api/admin/applications/{id}/documents/{document_id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!("{}{}", base.trim_end_matches('/'), link["url"].as_str().unwrap());
    let downloaded = client.get(&url).send().await.unwrap();
    assert_eq!(downloaded.status().as_u16(), 200);
    let disposition = downloaded.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment;") && disposition.contains("UTF-8''"), "{disposition}");
    assert_eq!(downloaded.bytes().await.unwrap().to_vec(), pdf);
    // A tampered link is refused.
    let tampered =
        client.get(url.replace("type=application%2Fpdf", "type=image%2Fpng")).send().await.unwrap();
    assert_eq!(tampered.status().as_u16(), 403);
    let audit: Value = get("api/admin/audit".into()).await.unwrap().json().await.unwrap();
    assert!(audit["entries"].as_array().unwrap().iter().any(|e| e["action"] == "view_document"));

    // GuardDuty's result, fed as its EventBridge event (the local server
    // never scans): a file with threats is never handed out.
    let scan_event = |key: String, status: &str| {
        let mut event: Value =
            serde_json::from_str(include_str!("../../../events/scan-result-threats-found.json")).unwrap();
        event["detail"]["s3ObjectDetails"]["objectKey"] = json!(key);
        event["detail"]["scanResultDetails"]["scanResultStatus"] = json!(status);
        event
    };
    let feed = |body: Value, bearer: Option<&str>| {
        let mut request =
            client.post(format!("{base}{}", &shared::routes::LOCAL_SCAN_RESULTS[1..])).json(&body);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        request.send()
    };
    let png_id = documents[1]["documentId"].as_str().unwrap().to_owned();
    let png_key = format!("documents/{id}/{png_id}");
    let unsigned = feed(scan_event(png_key.clone(), "THREATS_FOUND"), None).await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401, "a supervisor's only");
    let fed = feed(scan_event(png_key.clone(), "THREATS_FOUND"), Some(&bearer)).await.unwrap();
    assert_eq!(fed.status().as_u16(), 200);
    assert_eq!(fed.json::<Value>().await.unwrap(), json!({ "recorded": true }));
    let elsewhere = format!("documents/{id}/{}", shared::domain::DocumentId::new());
    let unknown = feed(scan_event(elsewhere, "THREATS_FOUND"), Some(&bearer)).await.unwrap();
    assert_eq!(unknown.json::<Value>().await.unwrap(), json!({ "recorded": false }));
    let junk = feed(json!({ "detail-type": "Email Bounced" }), Some(&bearer)).await.unwrap();
    assert_eq!(junk.status().as_u16(), 400);
    let detail: Value = get(format!("api/admin/applications/{id}")).await.unwrap().json().await.unwrap();
    let scans: Vec<&str> =
        detail["documents"].as_array().unwrap().iter().map(|d| d["scan"].as_str().unwrap()).collect();
    assert_eq!(scans, ["not_scanned", "threats_found"]);
    let unsafe_download = get(format!("api/admin/applications/{id}/documents/{png_id}")).await.unwrap();
    assert_eq!(unsafe_download.status().as_u16(), 409);
    let body: Value = unsafe_download.json().await.unwrap();
    assert_eq!(body["error"]["code"], "document_unsafe");

    // The approval, from 資料確認待ち.
    let approved = client
        .post(format!("{base}api/admin/applications/{id}/decisions"))
        .bearer_auth(&bearer)
        .header("idempotency-key", "documents-decision-0002")
        .json(&json!({ "decision": "approve", "expectedVersion": 4 }))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status().as_u16(), 200);

    // Erasure leaves no file and no record.
    let erased = client
        .post(format!("{base}api/admin/applications/{id}/erasure"))
        .bearer_auth(&bearer)
        .json(&json!({ "reason": "applicant_request" }))
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status().as_u16(), 200);
    assert!(!data.path().join("documents/documents").join(&id).exists(), "no kept file");
    assert!(!incoming.exists(), "no upload");
    let gone = client.get(&url).send().await.unwrap();
    assert_eq!(gone.status().as_u16(), 404);
    let store = shared::store::sqlite::SqliteStore::open_dir(data.path()).unwrap();
    let application_id = shared::domain::ApplicationId::parse(&id).unwrap();
    let left = shared::store::Documents::documents_of(&store, application_id).await.unwrap();
    assert!(left.is_empty());
}
