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
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::handshake::{self, HandshakeError};
use super::key::LinkKey;
use super::link;
use super::throttle::Throttle;
use super::transport::Listener;
use super::{ACCEPT_ERROR_PAUSE, MAX_PENDING_HANDSHAKES, REJECT_LOG_EVERY};
use crate::shared::Shared;
use proto::codec::LineCodec;

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
    pub(crate) async fn serve<L: Listener>(self, mut listener: L, tracker: &TaskTracker) {
        let this = Arc::new(self);
        let pending = Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES));
        loop {
            let accepted = tokio::select! {
                () = this.shutdown.cancelled() => return,
                accepted = listener.accept() => accepted,
            };
            let (read, write, addr) = match accepted {
                Ok(accepted) => accepted,
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
                    this.connection(read, write, addr, permit).await;
                }
                .in_current_span(),
            );
        }
    }

    /// Authenticates one connection and, if it passes, runs its link.
    async fn connection<R, W>(
        &self,
        r: R,
        w: W,
        addr: SocketAddr,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let max_line = self.shared.limits.peer_max_line();
        let mut reader = FramedRead::new(r, LineCodec::new(max_line));
        let mut writer = FramedWrite::new(w, LineCodec::new(max_line));
        // The neighbour the dialer claims to be, once it is one allowed to
        // dial here, so a failed handshake can be put on its link's record.
        let claimed = OnceLock::new();
        let handshake = handshake::accept(
            &mut reader,
            &mut writer,
            &self.key,
            &self.shared.name,
            |name| {
                let allowed = self.dialers.contains(name);
                if allowed {
                    let _ = claimed.set(name.to_owned());
                }
                allowed
            },
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
            Err(e) => {
                if let Some(name) = claimed.get() {
                    self.shared
                        .peers
                        .states()
                        .note_failure(name, &accept_failure(name, &e));
                }
                self.reject(addr, &e);
            }
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

/// Why a handshake from neighbour `name` failed, for its link's record. A
/// dialer that closes after reading our tagged `HELLO` has refused our tag:
/// the usual cause is a different herd key on one side.
fn accept_failure(name: &str, error: &HandshakeError) -> String {
    match error {
        HandshakeError::Closed => format!(
            "handshake failed: {name} closed the connection after our HELLO \
             (it refused our tag: do both hold the same HERD_KEY?)"
        ),
        other => format!("handshake failed: {other}"),
    }
}
