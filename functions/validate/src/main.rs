use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    run(service_fn(|req| async {
        Ok::<_, Error>(shared::http::for_api_gateway(validate::handle(req).await))
    }))
    .await
}
