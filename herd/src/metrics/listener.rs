//! The opt-in metrics listener of one herd server: `GET /metrics` over
//! HTTP/1.1 on the address the topology's `[metrics] listen` gives it.
//!
//! Anyone who can reach the address can connect, so it is bounded like the
//! other ports: at most [`MAX_CONNECTIONS`] at once (more are closed at
//! once), one request per connection, and the whole exchange within
//! [`CONNECTION_DEADLINE`]. Bind it to loopback or a monitoring network.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::shared::Shared;

/// Scrapes served at once; further connections are closed at once.
pub const MAX_CONNECTIONS: usize = 16;

/// Longest one connection may take, request and reply included.
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(5);

/// Pause after a failed `accept` (usually out of file descriptors).
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// The path that serves metrics.
pub const METRICS_PATH: &str = "/metrics";

/// Serves the metrics of the server that owns `shared` on `listener` until
/// `shutdown`; each connection runs on `tasks`.
pub async fn run(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
) {
    let registry = Arc::new(super::registry(shared));
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!(event = "metrics_accept_failed", %error);
                tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let registry = Arc::clone(&registry);
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let reply = answer(&request, &registry);
                async move { Ok::<_, Infallible>(reply) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = tokio::time::timeout(CONNECTION_DEADLINE, connection) => {}
                () = shutdown.cancelled() => {}
            }
            drop(permit);
        });
    }
}

/// The reply to one request: the metrics, or why not.
fn answer(request: &Request<Incoming>, registry: &Registry) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match (request.method(), request.uri().path()) {
        (&Method::GET, METRICS_PATH) => {
            (StatusCode::OK, super::CONTENT_TYPE, super::encode(registry))
        }
        (_, METRICS_PATH) => (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "only GET\n".to_owned(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            format!("metrics are at {METRICS_PATH}\n"),
        ),
    };
    let mut reply = Response::new(Full::new(Bytes::from(body)));
    *reply.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        reply.headers_mut().insert(CONTENT_TYPE, value);
    }
    reply
}
