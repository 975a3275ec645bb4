//! The documents function on moto (DynamoDB and S3), as on AWS: presigned
//! PUTs that pin the key, the type and the exact length, the submission's
//! check of the first bytes (a mismatch deleted and named), the move to
//! `documents/`, the idempotent submission, a superseded link 404, the
//! operator's presigned download, and erasure leaving no object.
//!
//! moto checks no presigned signature (its IAM emulation reads only the
//! `Authorization` header), so the handler's bucket is reached through
//! `test_support`'s signature-checking front, which checks each presigned
//! request's SigV4 as S3 does and refuses a mismatch with 403
//! `SignatureDoesNotMatch`. On it the upload with the target's headers and
//! declared length is taken, and the same URL with another type, one byte
//! more or less, or another document's key is refused and writes nothing;
//! the operator's presigned download passes the same check. The test's own
//! bucket checks (signed in `Authorization`) go to moto directly.

use documents::{Handler, Settings};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::documents::Kept;
use shared::documents::s3::S3Files;
use shared::domain::{Application, Decision, RawApplication, Timestamp};
use shared::keyed::IdentifierKey;
use shared::store::documents::RequestWrite;
use shared::store::dynamodb::DynamoStore;
use shared::store::{ConfirmOutcome, DecideOutcome, Intake, Review, StoredApplication};
use std::sync::Arc;

fn key() -> IdentifierKey {
    IdentifierKey::for_tests()
}

async fn s3() -> aws_sdk_s3::Client {
    test_support::moto::s3_client().await
}

/// The handler's client: its URLs are presigned for the signature-checking
/// front, so they are checked as S3 checks them.
async fn checked_s3() -> aws_sdk_s3::Client {
    test_support::moto::s3_client_on(test_support::moto::signature_checking_s3_endpoint()).await
}

struct Setup {
    store: Arc<DynamoStore>,
    client: aws_sdk_s3::Client,
    bucket: String,
    files: Arc<S3Files>,
    handler: Handler,
}

async fn setup() -> Setup {
    let store = Arc::new(test_support::moto::fresh_store().await);
    let client = s3().await;
    let bucket = test_support::unique("documents-").to_lowercase();
    S3Files::create_bucket(&client, &bucket).await.unwrap();
    let files = Arc::new(S3Files::new(checked_s3().await, bucket.clone(), false));
    let handler = Handler::new(
        store.clone(),
        store.clone(),
        files.clone(),
        Arc::new(key()),
        Settings::default().unlimited(),
    );
    Setup { store, client, bucket, files, handler }
}

fn request(path: &str, body: Value, idempotency_key: Option<&str>) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json");
    if let Some(key) = idempotency_key {
        builder = builder.header("idempotency-key", key);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

fn answer(response: Response<Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, serde_json::from_slice(response.body()).unwrap_or(Value::Null))
}

impl Setup {
    async fn call(&self, path: &str, body: Value, idempotency_key: Option<&str>) -> (u16, Value) {
        answer(self.handler.handle(request(path, body, idempotency_key)).await)
    }

    /// A received application (the seed's) asked for documents: its link's token.
    async fn asked(&self, email: &str) -> (StoredApplication, String) {
        let mut value = test_support::seed_application();
        value["email"] = json!(email);
        value["emailConfirmation"] = json!(email);
        let raw = RawApplication::deserialize(&value).unwrap();
        let application: Application = Application::parse(&raw).unwrap().application;
        let submission = test_support::submission(&key(), application, 3600);
        self.store.submit(&submission).await.unwrap();
        let ConfirmOutcome::Confirmed(stored) = self.store.confirm(&submission.token_hash).await.unwrap()
        else {
            panic!("confirmed")
        };
        self.ask(&stored).await
    }

    async fn ask(&self, stored: &StoredApplication) -> (StoredApplication, String) {
        let id = stored.id();
        let token = key().documents_token(id, stored.version.next());
        let write = shared::store::DecisionWrite {
            application_id: id,
            decision: Decision::RequestDocuments,
            expected_version: stored.version,
            message: shared::domain::OperatorMessage::parse("本人確認書類をお送りください。").ok(),
            actor: shared::domain::Actor::parse("op@example.com").unwrap(),
            at: Timestamp::now(),
            idempotency_key: shared::domain::IdempotencyKey::parse(&test_support::unique("ask-key-00000000"))
                .unwrap(),
            request_hash: key().request_hash(test_support::unique("ask").as_bytes()),
            partner_code: None,
            retain_until: None,
            document_request: Some(RequestWrite {
                token: token.hash(),
                expires_at: Timestamp::now().plus_secs(86_400),
            }),
            audit: shared::domain::AuditEntry::now(
                shared::domain::Actor::parse("op@example.com").unwrap(),
                shared::domain::AuditAction::RequestDocuments,
                Some(id),
            ),
        };
        let DecideOutcome::Decided(asked) = self.store.decide(&write).await.unwrap() else {
            panic!("decided")
        };
        (asked, token.as_str().to_owned())
    }

    async fn target(&self, token: &str, name: &str, content_type: &str, size: usize) -> (u16, Value) {
        let body = json!({ "token": token, "fileName": name, "contentType": content_type, "size": size });
        self.call("/api/document-requests/uploads", body, None).await
    }

    async fn exists(&self, key: &str) -> bool {
        self.client.head_object().bucket(&self.bucket).key(key).send().await.is_ok()
    }
}

/// PUTs `bytes` to a presigned target with the headers it names.
async fn put(target: &Value, bytes: Vec<u8>) -> u16 {
    let mut request = reqwest::Client::new().put(target["upload"]["url"].as_str().unwrap()).body(bytes);
    for (name, value) in target["upload"]["headers"].as_object().unwrap() {
        request = request.header(name, value.as_str().unwrap());
    }
    request.send().await.unwrap().status().as_u16()
}

/// PUTs `bytes` of `content_type` to `url`: the status and S3's error code.
async fn put_to(url: &str, content_type: &str, bytes: Vec<u8>) -> (u16, Option<String>) {
    let response = reqwest::Client::new()
        .put(url)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    let code =
        body.split_once("<Code>").and_then(|(_, rest)| rest.split_once("</Code>")).map(|(c, _)| c.to_owned());
    (status, code)
}

fn query_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A PNG's signature and the start of its header: what the check reads.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_pinned_checked_kept_and_erased_on_s3() {
    let s = setup().await;
    let (asked, token) = s.asked("s3.docs@example.com").await;
    let id = asked.id();

    let (status, preview) = s.call("/api/document-requests/preview", json!({ "token": token }), None).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["status"], "documents_requested");
    assert_eq!(preview["receptionNumber"], asked.receipt.reception_number.to_string());

    let (status, pdf_target) = s.target(&token, "免許証.pdf", "application/pdf", PDF.len()).await;
    assert_eq!(status, 201, "{pdf_target}");
    let url = pdf_target["upload"]["url"].as_str().unwrap();
    assert_eq!(pdf_target["upload"]["method"], "PUT");
    let document_id = pdf_target["documentId"].as_str().unwrap();
    // The signature pins the key (the path), the type and the exact length.
    assert!(url.contains(&format!("/{}/incoming/{id}/{document_id}?", s.bucket)), "{url}");
    let signed: Vec<String> = query_param(url, "X-Amz-SignedHeaders").split(';').map(str::to_owned).collect();
    for header in ["content-length", "content-type", "host"] {
        assert!(signed.iter().any(|h| h == header), "{header} is signed: {signed:?}");
    }
    assert_eq!(query_param(url, "X-Amz-Expires"), "900");
    assert_eq!(
        pdf_target["upload"]["headers"],
        json!({ "content-type": "application/pdf" }),
        "no checksum header to send"
    );
    assert!(!url.contains("x-amz-checksum"), "{url}");
    // Outside its signature the URL takes nothing: another type, one byte
    // more or less, another document's key (same query) are refused as S3
    // refuses them, and no object is written.
    let refused = (403, Some("SignatureDoesNotMatch".to_owned()));
    assert_eq!(put_to(url, "image/png", PDF.to_vec()).await, refused, "another type");
    let longer = [PDF, b"\n"].concat();
    assert_eq!(put_to(url, "application/pdf", longer).await, refused, "one byte more");
    assert_eq!(put_to(url, "application/pdf", PDF[..PDF.len() - 1].to_vec()).await, refused, "one byte less");
    let pdf_key = format!("incoming/{id}/{document_id}");
    assert!(!s.exists(&pdf_key).await, "nothing written under the target's key");
    let (_, missing_target) = s.target(&token, "未送信.pdf", "application/pdf", PDF.len()).await;
    let other_id = missing_target["documentId"].as_str().unwrap();
    let forged = url.replacen(&format!("/{document_id}?"), &format!("/{other_id}?"), 1);
    assert_ne!(forged, url);
    assert_eq!(put_to(&forged, "application/pdf", PDF.to_vec()).await, refused, "another key");
    assert!(!s.exists(&format!("incoming/{id}/{other_id}")).await, "nothing written under the other key");
    // Exactly the target's headers and length: taken.
    assert_eq!(put(&pdf_target, PDF.to_vec()).await, 200);
    assert!(s.exists(&pdf_key).await);

    // A renamed executable; and the file never uploaded (`missing_target`).
    let elf = b"\x7fELF\x02\x01\x01\x00rest-of-binary".to_vec();
    let (_, elf_target) = s.target(&token, "見積書.pdf", "application/pdf", elf.len()).await;
    assert_eq!(put(&elf_target, elf).await, 200);

    let submit = |ids: Vec<&Value>, key: &'static str| {
        s.call("/api/document-requests/submission", json!({ "token": token, "documentIds": ids }), Some(key))
    };
    let (status, missing) =
        submit(vec![&pdf_target["documentId"], &missing_target["documentId"]], "s3-submission-key-0001")
            .await;
    assert_eq!((status, &missing["error"]["code"]), (422, &json!("document_missing")));
    assert_eq!(missing["error"]["documentId"], missing_target["documentId"]);
    let elf_key = format!("incoming/{id}/{}", elf_target["documentId"].as_str().unwrap());
    assert!(s.exists(&elf_key).await);
    let (status, mismatch) =
        submit(vec![&pdf_target["documentId"], &elf_target["documentId"]], "s3-submission-key-0002").await;
    assert_eq!((status, &mismatch["error"]["code"]), (422, &json!("document_content_mismatch")));
    assert!(!s.exists(&elf_key).await, "the mismatch is deleted");

    // A second file, so that the submission's cost shows per file.
    let (_, png_target) = s.target(&token, "免許証 裏.png", "image/png", PNG.len()).await;
    assert_eq!(put(&png_target, PNG.to_vec()).await, 200);
    test_support::moto::s3_calls(&s.bucket);
    let chosen = vec![&pdf_target["documentId"], &png_target["documentId"]];
    let (status, submitted) = submit(chosen.clone(), "s3-submission-key-0003").await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["status"], "documents_submitted");
    // What the check cost on S3, per file: one ranged GET answering the
    // signature's 8 bytes, a copy inside S3, and the upload's deletion.
    let calls = test_support::moto::s3_calls(&s.bucket);
    for target in [&pdf_target, &png_target] {
        let document = target["documentId"].as_str().unwrap();
        let incoming = format!("/{}/incoming/{id}/{document}", s.bucket);
        let kept = format!("/{}/documents/{id}/{document}", s.bucket);
        let of_file: Vec<_> =
            calls.iter().filter(|c| c.path == incoming || c.path == kept).cloned().collect();
        let read: usize = of_file.iter().filter(|c| c.method == "GET").map(|c| c.bytes).sum();
        assert_eq!(read, 8, "8 bytes read of {document}: {of_file:?}");
        let shape: Vec<(&str, Option<&str>, bool)> =
            of_file.iter().map(|c| (c.method.as_str(), c.range.as_deref(), c.copy)).collect();
        assert_eq!(
            shape,
            [("GET", Some("bytes=0-7"), false), ("PUT", None, true), ("DELETE", None, false)],
            "{document}"
        );
    }
    assert_eq!(calls.len(), 6, "nothing else: {calls:?}");
    assert!(s.exists(&format!("documents/{id}/{document_id}")).await, "kept under documents/");
    assert!(!s.exists(&format!("incoming/{id}/{document_id}")).await, "and no longer incoming");
    // The replay answers the same; the history has one entry of it.
    let (status, replayed) = submit(chosen, "s3-submission-key-0003").await;
    assert_eq!((status, replayed["documents"].clone()), (200, submitted["documents"].clone()));
    let (_, history) = s.store.record(id).await.unwrap().unwrap();
    assert_eq!(
        history.iter().filter(|e| e.action == shared::domain::HistoryAction::SubmitDocuments).count(),
        1
    );

    // The operator's download: a presigned GET, an attachment, byte-equal.
    let documents = shared::store::Documents::documents_of(s.store.as_ref(), id).await.unwrap();
    let link = s.files.download_link(&documents[0]).await.unwrap();
    assert_eq!(query_param(&link.url, "X-Amz-Expires"), "300");
    let downloaded = reqwest::get(&link.url).await.unwrap();
    assert_eq!(downloaded.status().as_u16(), 200);
    let disposition = downloaded.headers().get("content-disposition").map(|v| v.to_str().unwrap().to_owned());
    assert!(disposition.is_some_and(|d| d.starts_with("attachment;")));
    assert_eq!(downloaded.bytes().await.unwrap().as_ref(), PDF);

    // A second request supersedes the link: the first answers 404.
    let current = shared::store::MailLedger::get(s.store.as_ref(), id).await.unwrap().unwrap();
    let (_, second) = s.ask(&current).await;
    let (status, old) = s.call("/api/document-requests/preview", json!({ "token": token }), None).await;
    assert_eq!((status, &old["error"]["code"]), (404, &json!("document_request_not_found")));
    let (status, _) = s.call("/api/document-requests/preview", json!({ "token": second }), None).await;
    assert_eq!(status, 200);

    // Erasure's file side: nothing of the application is left in the bucket.
    s.files.delete_application(id).await.unwrap();
    let left =
        s.client.list_objects_v2().bucket(&s.bucket).prefix(format!("documents/{id}/")).send().await.unwrap();
    assert_eq!(left.key_count(), Some(0));
    let left =
        s.client.list_objects_v2().bucket(&s.bucket).prefix(format!("incoming/{id}/")).send().await.unwrap();
    assert_eq!(left.key_count(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_the_contracts_errors() {
    let s = setup().await;
    let (_, token) = s.asked("bad.input@example.com").await;
    let (status, body) =
        s.call("/api/document-requests/preview", json!({ "token": "not-a-token" }), None).await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("bad_request")));
    let unknown = "0".repeat(64);
    let (status, body) = s.call("/api/document-requests/preview", json!({ "token": unknown }), None).await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("document_request_not_found")));
    let (status, body) = s.target(&token, "a.gif", "image/gif", 10).await;
    assert_eq!((status, &body["error"]["code"]), (422, &json!("unsupported_type")));
    let (status, body) = s.target(&token, "a.pdf", "application/pdf", 0).await;
    assert_eq!((status, &body["error"]["code"]), (422, &json!("empty_file")));
    let (status, body) = s.target(&token, "a/../b.pdf", "application/pdf", 10).await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("bad_request")));
    let (status, body) = s.target(&token, "a\u{202E}fdp.exe", "application/pdf", 10).await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("bad_request")));
    let (status, body) =
        s.call("/api/document-requests/submission", json!({ "token": token, "documentIds": [] }), None).await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("missing_idempotency_key")));
    let (status, body) = s
        .call(
            "/api/document-requests/submission",
            json!({ "token": token, "documentIds": [] }),
            Some("empty-choice-key-0001"),
        )
        .await;
    assert_eq!((status, &body["error"]["code"]), (422, &json!("too_many_files")));
    let (status, body) = s
        .call(
            "/api/document-requests/submission",
            json!({ "token": token, "documentIds": ["x"] }),
            Some("bad-id-key-00000001"),
        )
        .await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("bad_request")));
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)), "Japanese: {message}");
    // Too many targets for one request.
    for n in 0..20 {
        let (status, _) = s.target(&token, &format!("{n}.pdf"), "application/pdf", 10).await;
        assert_eq!(status, 201);
    }
    let (status, body) = s.target(&token, "21.pdf", "application/pdf", 10).await;
    assert_eq!((status, &body["error"]["code"]), (422, &json!("too_many_files")));
}
