//! The cold-start baseline: aws-lambda-rust-runtime's hello-world `lambda_http`
//! function (its `http-basic-lambda` example), built in release beside the
//! functions it is compared with.

use lambda_http::{Body, Error, Request, Response, run, service_fn, tracing};

async fn function_handler(_event: Request) -> Result<Response<Body>, Error> {
    let response = Response::builder()
        .status(200)
        .header("content-type", "text/html")
        .body("Hello AWS Lambda HTTP request".into())
        .map_err(Box::new)?;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    run(service_fn(function_handler)).await
}
