//! Runs the validate handler on the seed application in a loop, for a profiler
//! (`perf record`, `valgrind --tool=callgrind`): the request is built the way the
//! local server hands it over, so almost all time is the handler's.
//!   cargo build --release -p validate --example profile_validate
//!   perf record -g target/release/examples/profile_validate 200000

fn main() {
    let iterations: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/validate-valid.json");
    let event: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let body = event["body"].as_str().unwrap().as_bytes().to_vec();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut bytes = 0usize;
    for _ in 0..iterations {
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/api/validate")
            .header("content-type", "application/json")
            .body(lambda_http::Body::Binary(body.clone()))
            .unwrap();
        let response = runtime.block_on(validate::handle(req));
        bytes += response.body().len();
    }
    println!("{iterations} requests, {bytes} response bytes");
}
