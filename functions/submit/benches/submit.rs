//! What the submit handler costs beyond the storage round trip: the same
//! request through `Handler::handle` over a store that answers at once (an
//! in-memory map, here only), beside `/api/validate` on the same body as the
//! baseline, and over the embedded SQLite store for reference.

use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use lambda_http::Request;
use shared::keyed::{IdentifierKey, TokenHash};
use shared::mail::MailEvent;
use shared::store::sqlite::SqliteStore;
use shared::store::{ConfirmOutcome, Counter, Intake, Submission, SubmitOutcome, TokenState, Unavailable};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use submit::{Handler, Settings};

/// Accepts every submission without keeping it: zero storage cost.
struct Instant;

#[async_trait]
impl Intake for Instant {
    async fn submit(&self, submission: &Submission) -> Result<SubmitOutcome, Unavailable> {
        Ok(SubmitOutcome::Created {
            response_body: submission.response_body.clone(),
            event: MailEvent::Submitted(submission.receipt.application_id),
        })
    }
    async fn token(&self, _: &TokenHash) -> Result<TokenState, Unavailable> {
        Ok(TokenState::NotFound)
    }
    async fn confirm(&self, _: &TokenHash) -> Result<ConfirmOutcome, Unavailable> {
        Ok(ConfirmOutcome::NotFound)
    }
    async fn admit(&self, _: &Counter) -> Result<bool, Unavailable> {
        Ok(true)
    }
}

/// The handler's settings here: the contract's limits, which count in the
/// store like every request (the instant store admits all).
fn handler(store: Arc<dyn Intake>) -> Handler {
    Handler::new(store, Arc::new(IdentifierKey::for_tests()), Settings::default())
}

fn event() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/submit-valid.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn request(event: &serde_json::Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// A request with its own key and email, so that every iteration is a new application.
fn fresh(event: &serde_json::Value, n: u64) -> Request {
    let mut event = event.clone();
    let mut body: serde_json::Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    let email = format!("bench{n}@example.com");
    body["email"] = email.clone().into();
    body["emailConfirmation"] = email.into();
    event["body"] = body.to_string().into();
    event["headers"]["idempotency-key"] = format!("bench-key-{n:016}").into();
    request(&event)
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let event = event();
    let counter = AtomicU64::new(0);
    let mut group = c.benchmark_group("submit");

    let mut validate_event = event.clone();
    validate_event["rawPath"] = "/api/validate".into();
    group.bench_function("validate_baseline", |b| {
        b.iter_batched(
            || request(&validate_event),
            |req| runtime.block_on(validate::handle(req)),
            criterion::BatchSize::SmallInput,
        )
    });

    let instant = handler(Arc::new(Instant));
    group.bench_function("handler_instant_store", |b| {
        b.iter_batched(
            || fresh(&event, counter.fetch_add(1, Ordering::Relaxed)),
            |req| runtime.block_on(instant.handle(req)),
            criterion::BatchSize::SmallInput,
        )
    });

    let dir = tempfile::tempdir().unwrap();
    // No limits: every iteration comes from the same client.
    let sqlite = Handler::new(
        Arc::new(SqliteStore::open_dir(dir.path()).unwrap()),
        Arc::new(IdentifierKey::for_tests()),
        Settings::default().unlimited(),
    );
    group.bench_function("handler_sqlite_store", |b| {
        b.iter_batched(
            || fresh(&event, counter.fetch_add(1, Ordering::Relaxed)),
            |req| runtime.block_on(sqlite.handle(req)),
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(submit_benches, benches);
criterion_main!(submit_benches);
