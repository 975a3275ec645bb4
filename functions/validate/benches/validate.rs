//! `POST /api/validate` on the seed application (`events/validate-valid.json`),
//! beside a baseline in the same run: reading the same body into a
//! `serde_json::Value` and writing it back (what any JSON endpoint pays).
//!   cargo bench -p validate --bench validate -- --warm-up-time 1 --measurement-time 4

use criterion::{Criterion, criterion_group, criterion_main};
use lambda_http::Request;

fn event() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/validate-valid.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn request(event: &serde_json::Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let event = event();
    let body = event["body"].as_str().unwrap().to_owned();
    let mut group = c.benchmark_group("validate");
    group.bench_function("baseline_json_value_round_trip", |b| {
        b.iter(|| {
            let value: serde_json::Value = serde_json::from_str(std::hint::black_box(&body)).unwrap();
            serde_json::to_vec(&value).unwrap()
        })
    });
    group.bench_function("handler_seed_application", |b| {
        b.iter_batched(
            || request(&event),
            |req| runtime.block_on(validate::handle(req)),
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(validate_benches, benches);
criterion_main!(validate_benches);
