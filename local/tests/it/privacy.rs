//! No personal data in any log line: every log event of a full run through the
//! local server (validate, submit, replay, duplicate, invalid, postal and the
//! mails sent after storing), at the most verbose level, is captured and
//! searched for the applicant's email, phone, names and address, and for an
//! operator's address, passwords and session token. The
//! subscriber is the process's: in this binary it also captures the events of
//! the other suites (hostile, server) running alongside, which must be just as
//! free of the seed's personal data.

use serde_json::{Value, json};
use shared::store::Tooling;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A `MakeWriter` that appends every log line to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn no_personal_data_reaches_the_logs() {
    let logs = Captured::default();
    tracing_subscriber::fmt().json().with_max_level(tracing::Level::TRACE).with_writer(logs.clone()).init();

    let application = test_support::seed_application_with_email("privacy.taro@example.com");
    // Every personal value of the application, and the phone without hyphens.
    let mut personal: Vec<String> = [
        "email",
        "corporateName",
        "corporateNameKana",
        "lastName",
        "firstName",
        "lastNameKana",
        "firstNameKana",
        "addressStreet",
        "addressBuilding",
        "phone",
        "invoiceNumber",
    ]
    .iter()
    .map(|key| application[key].as_str().expect("text field").to_owned())
    .collect();
    personal.push(personal[9].replace('-', ""));
    let mut invalid = application.clone();
    invalid["phone"] = json!(format!("{}9", personal[11]));

    let data = tempfile::tempdir().unwrap();
    let running = local::start(local::Config::new(0, data.path())).await.unwrap();
    let base = running.url();
    let client = reqwest::Client::new();
    let post = |path: &str, key: Option<&str>, body: &Value| {
        let mut request = client.post(format!("{base}{path}")).json(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send()
    };
    let statuses = [
        post("api/validate", None, &application).await.unwrap().status().as_u16(),
        post("api/validate", None, &invalid).await.unwrap().status().as_u16(),
        post("api/applications", Some("privacy-key-000000000001"), &application)
            .await
            .unwrap()
            .status()
            .as_u16(),
        post("api/applications", Some("privacy-key-000000000001"), &application)
            .await
            .unwrap()
            .status()
            .as_u16(),
        post("api/applications", Some("privacy-key-000000000002"), &application)
            .await
            .unwrap()
            .status()
            .as_u16(),
        post("api/applications", Some("privacy-key-000000000003"), &invalid).await.unwrap().status().as_u16(),
        client.get(format!("{base}api/postal/5300011")).send().await.unwrap().status().as_u16(),
    ];
    assert_eq!(statuses, [200, 422, 202, 202, 202, 422, 200]);
    // The link of the live application: previewed and confirmed.
    let store = shared::store::sqlite::SqliteStore::open_dir(data.path()).unwrap();
    let awaiting = store.list_by_status(shared::domain::Status::AwaitingVerification, 10).await.unwrap();
    let key = shared::keyed::IdentifierKey::load_or_create(data.path()).unwrap();
    let token = key.verification_token(awaiting[0].receipt.application_id);
    let body = json!({ "token": token.as_str() });
    for path in ["api/verifications/preview", "api/verifications"] {
        assert_eq!(post(path, None, &body).await.unwrap().status().as_u16(), 200, "{path}");
    }
    // An operator signs in, uses the token and signs out: no address,
    // password or token in the logs either.
    let operator = running.first_operator.clone().expect("the first start's operator");
    let wrong = "a wrong operator password";
    let body = json!({ "email": operator.email.as_str(), "password": wrong });
    assert_eq!(post("api/admin/sessions", None, &body).await.unwrap().status().as_u16(), 401);
    let body = json!({ "email": operator.email.as_str(), "password": operator.password });
    let signed_in: Value = post("api/admin/sessions", None, &body).await.unwrap().json().await.unwrap();
    let token = signed_in["token"].as_str().expect("a token").to_owned();
    let current = client.get(format!("{base}api/admin/session")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(current.status().as_u16(), 200);
    let out = client.delete(format!("{base}api/admin/sessions/current")).bearer_auth(&token).send().await;
    assert_eq!(out.unwrap().status().as_u16(), 204);
    personal.extend([operator.email.to_string(), operator.password, wrong.to_owned(), token]);
    running.shutdown().await.unwrap();
    // Two links (the second submission superseded the first), the 控え and the notice.
    assert_eq!(std::fs::read_dir(data.path().join("outbox")).unwrap().count(), 4, "the mails were sent");

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() >= 7, "every request logged an outcome:\n{logs}");
    for value in &personal {
        assert!(!logs.contains(value.as_str()), "{value:?} appears in the logs:\n{logs}");
    }
}
