//! The throughput baseline (scripts/bench-throughput): the smallest axum server,
//! one route answering a short JSON body, on 127.0.0.1.
//!
//! ```text
//! cargo run --release -p xtask --bin axum_hello -- 3901
//! ```

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

async fn hello() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], r#"{"message":"hello"}"#)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(3901);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("axum hello on http://127.0.0.1:{port}/");
    axum::serve(listener, Router::new().route("/", get(hello)).fallback(get(hello))).await
}
