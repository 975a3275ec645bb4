//! The accept loop: HTTP/1.1 connections served with a header-read timeout,
//! until the server is stopped, then a graceful shutdown that lets the
//! requests in flight finish. Apart from the router because it guards the
//! connections (slowloris), not the routes.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceExt;

/// Serves HTTP/1.1 until `stopped`, then waits for the requests in flight.
/// hyper's own connection builder rather than `axum::serve`, which sets no
/// timer, so no header-read timeout: a half-sent request held its connection
/// for ever. HTTP/1 only: browsers speak nothing else over plain HTTP.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    stopped: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stopped);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: back off instead of spinning.
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stopped => break,
        };
        // Small JSON answers: no Nagle delay (as axum::serve does).
        let _ = stream.set_nodelay(true);
        // The peer's address, for the handlers' `requestContext.http.sourceIp`.
        let service = app.clone().map_request(move |mut req: http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let connection =
            graceful.watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            // A timed-out, reset or malformed connection is the client's doing.
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
