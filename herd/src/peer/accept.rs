//! The peer port: accept connections, run the acceptor's side of the
//! handshake, and hand authenticated ones to a link.
//!
//! Anyone can connect here, so nothing is trusted before the handshake: at
//! most [`MAX_PENDING_HANDSHAKES`] run at once (more are closed at once),
//! each within the handshake timeout, and only neighbours whose turn it is to
//! dial (see [`dials`](super::dials)) are answered. Rejections are logged,
//! at most one line per [`REJECT_LOG_EVERY`], with no secrets in them.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::handshake;
use super::key::LinkKey;
use super::link;
use super::throttle::Throttle;
use super::{ACCEPT_ERROR_PAUSE, MAX_PENDING_HANDSHAKES, REJECT_LOG_EVERY};
use crate::codec::LineCodec;
use crate::shared::Shared;

/// What every accepted connection's task needs.
#[derive(Debug)]
pub(crate) struct Acceptor {
    pub(crate) shared: Arc<Shared>,
    pub(crate) key: LinkKey,
    /// Neighbours that dial this server; no other name gets an answer.
    pub(crate) dialers: HashSet<String>,
    pub(crate) shutdown: CancellationToken,
    /// Keeps rejection warnings bounded.
    rejections: Mutex<Throttle>,
}

impl Acceptor {
    pub(crate) fn new(
        shared: Arc<Shared>,
        key: LinkKey,
        dialers: HashSet<String>,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            shared,
            key,
            dialers,
            shutdown,
            rejections: Mutex::new(Throttle::new(REJECT_LOG_EVERY)),
        }
    }

    /// Accepts on `listener` until shutdown, spawning each connection's task
    /// on `tracker`.
    pub(crate) async fn serve(self, listener: TcpListener, tracker: &TaskTracker) {
        let this = Arc::new(self);
        let pending = Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES));
        loop {
            let accepted = tokio::select! {
                () = this.shutdown.cancelled() => return,
                accepted = listener.accept() => accepted,
            };
            let (stream, addr) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Usually out of file descriptors: pause rather than spin.
                    tracing::warn!(event = "peer_accept_failed", error = %e);
                    tokio::select! {
                        () = this.shutdown.cancelled() => return,
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => continue,
                    }
                }
            };
            let Ok(permit) = Arc::clone(&pending).try_acquire_owned() else {
                this.reject(addr, &"too many handshakes in progress");
                continue;
            };
            let this = Arc::clone(&this);
            tracker.spawn(
                async move {
                    this.connection(stream, addr, permit).await;
                }
                .in_current_span(),
            );
        }
    }

    /// Authenticates one connection and, if it passes, runs its link.
    async fn connection(
        &self,
        stream: TcpStream,
        addr: SocketAddr,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) {
        if let Err(e) = stream.set_nodelay(true) {
            self.reject(addr, &e);
            return;
        }
        let max_line = self.shared.limits.peer_max_line();
        let (r, w) = stream.into_split();
        let mut reader = FramedRead::new(r, LineCodec::new(max_line));
        let mut writer = FramedWrite::new(w, LineCodec::new(max_line));
        let handshake = handshake::accept(
            &mut reader,
            &mut writer,
            &self.key,
            &self.shared.name,
            |name| self.dialers.contains(name),
        );
        let verdict = tokio::select! {
            () = self.shutdown.cancelled() => return,
            verdict = handshake => verdict,
        };
        drop(permit);
        match verdict {
            Ok(name) => {
                link::run(&self.shared, &name, addr, reader, writer, &self.shutdown).await;
            }
            Err(e) => self.reject(addr, &e),
        }
    }

    /// Logs a refused connection, rate-limited.
    fn reject(&self, addr: SocketAddr, reason: &dyn std::fmt::Display) {
        let report = self
            .rejections
            .lock()
            .expect("rejection log lock poisoned")
            .event(Instant::now());
        if let Some(unreported) = report {
            tracing::warn!(
                event = "peer_rejected",
                addr = %addr,
                error = %reason,
                unreported,
                "peer connection refused"
            );
        }
    }
}
