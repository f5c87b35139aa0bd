//! The HTTP accept loop: every client is accepted, and none can lock the
//! others out.
//!
//! - A request head must arrive within the header timeout; hyper starts
//!   that clock whenever it waits for a head, so it also closes a kept-alive
//!   connection that sends no next request (the idle keep-alive timeout).
//! - Past `max_per_source` connections from one address, or
//!   `max_connections` in all, the connection idle the longest is shed to
//!   make room ([`base::admission`]); idle means no request in flight, and
//!   counts from the end of the last response, or from the accept for a
//!   connection that never completed a request head. A streaming response
//!   (server-sent events) is in flight for as long as it streams.
//!
//! Accepted sockets get `TCP_NODELAY`. On shutdown the loop stops accepting
//! and each connection finishes its request in flight, within the stop
//! timeout.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use base::admission::{Admitted, Registry};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;
use tracing::debug;

use crate::in_flight::TrackedBody;
use crate::json_rejections::JsonRejectionStream;

/// The limits the accept loop enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections held at once; past it the longest-idle one is shed.
    /// Lowered at start if the open-file limit cannot hold it.
    pub max_connections: usize,
    /// Connections held at once from one address; past it that address's
    /// longest-idle one is shed.
    pub max_per_source: usize,
    /// Longest wait for a complete request head, from the accept or from
    /// the end of the previous response.
    pub header_timeout: Duration,
    /// Longest a connection takes to finish its request once shutdown begins.
    pub stop_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown`, then waits for every
/// connection to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: CancellationToken,
) {
    let registry = Registry::within_fd_limit(limits.max_connections, limits.max_per_source);
    let connections = TaskTracker::new();
    loop {
        let (stream, peer, admitted) = tokio::select! {
            accepted = registry.accept(&listener) => accepted,
            () = shutdown.cancelled() => break,
        };
        connections.spawn(serve_connection(
            stream,
            peer,
            admitted,
            app.clone(),
            limits,
            shutdown.clone(),
        ));
    }
    connections.close();
    connections.wait().await;
}

/// Serves one connection until it closes, times out, is shed or the
/// facade stops.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    admitted: Admitted,
    app: Router,
    limits: Limits,
    shutdown: CancellationToken,
) {
    let activity = Arc::clone(&admitted.activity);
    // Each request is in flight on `activity` until its body is written.
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let in_flight = activity.begin();
        // The client's address, the raffle's requester when no tablet id is given.
        request.extensions_mut().insert(peer);
        // A `Router` is always ready, so it may be called without `poll_ready`.
        let response = app.clone().call(request.map(axum::body::Body::new));
        async move {
            let response: Response = response.await?;
            Ok::<_, Infallible>(response.map(|body| TrackedBody::new(body, in_flight)))
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    // hyper's own error replies (400, 414, 431) get JSON bodies on the way out.
    let stream = JsonRejectionStream::new(stream);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let ended = tokio::select! {
        result = conn.as_mut() => result,
        () = admitted.cancel.cancelled() => return,
        () = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            match tokio::time::timeout(limits.stop_timeout, conn).await {
                Ok(result) => result,
                Err(_) => return,
            }
        }
    };
    if let Err(e) = ended {
        debug!(from = %peer, conn = admitted.registration.id(), error = %e, "connection ended");
    }
}
