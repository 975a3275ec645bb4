//! The documents' cost on the local server (BENCHMARKS.md, "Documents"):
//! a 10 MiB upload streamed to the local upload target, with the process's
//! resident memory at idle and its peak during the upload, and the
//! submission check of `FILES` small files (each read: its first 8 bytes).
//!
//! `cargo run -p local --example bench_upload` (add `--release` for representative times)
//!
//! The client runs in the same process; its 10 MiB body is made before the
//! peak is reset, so the rise is what receiving it costs (the server's
//! buffering, and hyper's on both sides).

use serde_json::{Value, json};
use shared::store::Tooling;
use std::time::Instant;

const MIB: usize = 1024 * 1024;
const FILES: usize = 10;
const RUNS: usize = 5;

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Resets the peak resident size (VmHWM) to the current one.
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("Linux 4.0 or later");
}

fn pdf_of(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(size, b' ');
    bytes
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let running = local::start(local::Config::new(0, data.path())).await?;
    let base = running.url();
    let client = reqwest::Client::new();
    let mut application = test_support::seed_application();
    application["email"] = json!("bench.upload@example.com");
    application["emailConfirmation"] = json!("bench.upload@example.com");
    client
        .post(format!("{base}api/applications"))
        .header("idempotency-key", "bench-upload-0000001")
        .json(&application)
        .send()
        .await?;
    let store = shared::store::sqlite::SqliteStore::open_dir(data.path())?;
    let key = shared::keyed::IdentifierKey::load_or_create(data.path())?;
    let id = store.list_by_status(shared::domain::Status::AwaitingVerification, 1).await?[0].id();
    let token = key.verification_token(id);
    client.post(format!("{base}api/verifications")).json(&json!({ "token": token.as_str() })).send().await?;
    let operator = running.first_operator.clone().expect("an operator");
    let session: Value = client
        .post(format!("{base}api/admin/sessions"))
        .json(&json!({ "email": operator.email.as_str(), "password": operator.password }))
        .send()
        .await?
        .json()
        .await?;
    let bearer = session["token"].as_str().unwrap().to_owned();
    client
        .post(format!("{base}api/admin/applications/{id}/decisions"))
        .bearer_auth(&bearer)
        .header("idempotency-key", "bench-upload-decision-1")
        .json(&json!({ "decision": "request_documents", "expectedVersion": 2, "message": "資料をお送りください。" }))
        .send()
        .await?;
    let token = key.documents_token(id, shared::domain::Version::from_number(3).unwrap());
    let token = token.as_str().to_owned();
    let target = |size: usize, n: usize| {
        client
            .post(format!("{base}api/document-requests/uploads"))
            .json(&json!({ "token": token, "fileName": format!("{n}.pdf"), "contentType": "application/pdf", "size": size }))
            .send()
    };

    // A 10 MiB upload, streamed.
    let mut times = Vec::new();
    let mut rises = Vec::new();
    let idle = status_kib("VmRSS:");
    for run in 0..RUNS {
        let issued: Value = target(10 * MIB, run).await?.json().await?;
        let url = format!("{}{}", base.trim_end_matches('/'), issued["upload"]["url"].as_str().unwrap());
        // Made before the peak is reset: the client's own copy is not the server's.
        let body = reqwest::Body::from(pdf_of(10 * MIB));
        reset_peak();
        let before = status_kib("VmRSS:");
        let started = Instant::now();
        let answer = client.put(url).header("content-type", "application/pdf").body(body).send().await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(answer.status().as_u16(), 200);
        rises.push(status_kib("VmHWM:").saturating_sub(before));
    }
    times.sort_by(f64::total_cmp);
    rises.sort_unstable();
    println!("idle RSS: {idle} KiB");
    println!(
        "10 MiB upload: median {:.1} ms over {RUNS} runs (min {:.1}, max {:.1})",
        times[RUNS / 2],
        times[0],
        times[RUNS - 1]
    );
    println!("peak RSS rise during an upload: median {} KiB (max {} KiB)", rises[RUNS / 2], rises[RUNS - 1]);

    // The submission check of FILES files: upload them, then submit.
    let mut ids = Vec::new();
    for n in 0..FILES {
        let issued: Value = target(64 * 1024, 100 + n).await?.json().await?;
        let url = format!("{}{}", base.trim_end_matches('/'), issued["upload"]["url"].as_str().unwrap());
        client.put(url).header("content-type", "application/pdf").body(pdf_of(64 * 1024)).send().await?;
        ids.push(issued["documentId"].clone());
    }
    let started = Instant::now();
    let submitted = client
        .post(format!("{base}api/document-requests/submission"))
        .header("idempotency-key", "bench-upload-submission-1")
        .json(&json!({ "token": token, "documentIds": ids }))
        .send()
        .await?;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(submitted.status().as_u16(), 200);
    println!(
        "submission of {FILES} files: {elapsed:.1} ms ({:.2} ms a file: one read of its first {} bytes, one move, then one transaction)",
        elapsed / FILES as f64,
        shared::domain::DocumentType::SIGNATURE_BYTES
    );
    running.shutdown().await?;
    Ok(())
}
