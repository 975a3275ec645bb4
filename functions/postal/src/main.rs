use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    // The postal table is embedded and checked at compile time: nothing to load here.
    run(service_fn(|req| async { Ok::<_, Error>(shared::http::for_api_gateway(postal::handle(req).await)) }))
        .await
}
