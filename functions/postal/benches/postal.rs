//! `cargo bench -p postal`: one table lookup, and the whole handler from request
//! to JSON response (200 and 304).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use lambda_http::http::header;
use lambda_http::{Body, Request};
use shared::domain::PostalCode;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The handler never awaits anything: one poll completes it.
fn run_ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the handler awaited"),
    }
}

fn request(path: &str, if_none_match: Option<&str>) -> Request {
    let mut builder = lambda_http::http::Request::builder().method("GET").uri(path);
    if let Some(etag) = if_none_match {
        builder = builder.header(header::IF_NONE_MATCH, etag);
    }
    builder.body(Body::Empty).unwrap()
}

fn lookup(c: &mut Criterion) {
    let umeda = PostalCode::parse("5300011").unwrap();
    let kasuga = PostalCode::parse("4520961").unwrap();
    c.bench_function("lookup 5300011 (town of its one address)", |b| {
        b.iter(|| shared::postal::lookup(black_box(&umeda)).next().map(|a| a.town().len()))
    });
    c.bench_function("lookup 4520961 (count of its 66 addresses)", |b| {
        b.iter(|| shared::postal::lookup(black_box(&kasuga)).len())
    });
}

/// Baselines measured in the same run, so that figures from a loaded machine can
/// be compared: a std HashMap lookup over as many codes, and serialising a JSON
/// body of the 200 answer's size.
fn baselines(c: &mut Criterion) {
    let codes: std::collections::HashMap<u32, u32> = shared::postal::TABLE
        .iter()
        .map(|(code, _)| code)
        .enumerate()
        .map(|(i, code)| (code, i as u32))
        .collect();
    c.bench_function("baseline HashMap<u32, u32>::get (142,920 codes)", |b| {
        b.iter(|| codes.get(black_box(&5_300_011)).copied())
    });
    let body = serde_json::json!({"postalCode": "5300011", "dataVersion": "2026-10", "addresses": [{
        "prefecture": "大阪府", "city": "大阪市北区", "town": "大深町", "prefectureKana": "オオサカフ",
        "cityKana": "オオサカシキタク", "townKana": "オオフカチョウ", "line1": "大阪府大阪市北区", "line2": "大深町"}]});
    c.bench_function("baseline serde_json::to_vec of the 200 body (as a Value)", |b| {
        b.iter(|| serde_json::to_vec(black_box(&body)).unwrap())
    });
}

fn handler(c: &mut Criterion) {
    let etag = postal::ETAG.to_str().unwrap().to_owned();
    for (name, path, inm) in [
        ("handler 200 /api/postal/530-0011", "/api/postal/530-0011", None),
        ("handler 200 /api/postal/1008994 (office)", "/api/postal/1008994", None),
        ("handler 304 /api/postal/5300011", "/api/postal/5300011", Some(etag.as_str())),
        ("handler 404 /api/postal/0000000", "/api/postal/0000000", None),
    ] {
        c.bench_function(name, |b| {
            b.iter_batched(|| request(path, inm), |req| run_ready(postal::handle(req)), BatchSize::SmallInput)
        });
    }
}

criterion_group!(benches, baselines, lookup, handler);
criterion_main!(benches);
