use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    // The console's sign-in (COGNITO_DOMAIN, COGNITO_CLIENT_ID, PUBLIC_BASE_URL), read once.
    let site = &web::Site::from_env()?;
    run(service_fn(move |req| async move {
        Ok::<_, Error>(shared::http::for_api_gateway(site.handle(req).await))
    }))
    .await
}
