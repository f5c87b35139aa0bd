//! Keeping up the link to one neighbour that this server dials: connect to
//! its `peer_addr`, handshake, run the link, and when it is down redial with
//! capped exponential backoff plus jitter for as long as it takes.
//!
//! Logging is per transition, not per attempt: `peer_up` when a link comes
//! up, `peer_down` when it ends (from the link) or, if the neighbour was
//! never reached, once at the first failed attempt, at `info`, and once more
//! as a warning if it is still unreachable after [`UNREACHABLE_GRACE`]
//! (servers of a herd start in any order, so a neighbour missing for a
//! moment at start-up is no cause for alarm). Attempts themselves are only
//! traced.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;

use super::handshake::{self, HandshakeError, Reader, Writer};
use super::key::LinkKey;
use super::link::{self, LinkError};
use super::transport::Transport;
use super::{BACKOFF_CAP, BACKOFF_START, CONNECT_TIMEOUT, Neighbour};
use crate::shared::Shared;
use proto::codec::LineCodec;

/// How long a neighbour that was never reached may stay unreachable before
/// it is a warning.
pub const UNREACHABLE_GRACE: Duration = Duration::from_secs(10);

/// Why one dial attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    /// The TCP connection could not be made.
    #[error("connect failed: {0}")]
    Connect(#[source] std::io::Error),
    /// The TCP connection did not complete in time.
    #[error("connect timed out after {0:?}")]
    ConnectTimeout(Duration),
    /// Connected, but the handshake failed.
    #[error("handshake failed: {0}")]
    Handshake(#[from] HandshakeError),
}

/// Delays between attempts: doubling from a start value up to a cap, each
/// drawn at random from the upper half of the current step ("equal jitter"),
/// so neighbours that lost a link together do not redial in lockstep.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    start: Duration,
    cap: Duration,
    step: Duration,
}

impl Backoff {
    pub(crate) fn new(start: Duration, cap: Duration) -> Self {
        Self {
            start,
            cap,
            step: start,
        }
    }

    /// The next delay, in `[step / 2, step]`, then doubles the step.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let step = self.step;
        self.step = (step * 2).min(self.cap);
        let half = step / 2;
        half + half.mul_f64(rand::random::<f64>())
    }

    /// Starts again from the smallest step, after a link was up.
    pub(crate) fn reset(&mut self) {
        self.step = self.start;
    }
}

/// Dials `neighbour` until `shutdown`, keeping one link up whenever possible.
pub(crate) async fn keep_dialing<T: Transport>(
    shared: Arc<Shared>,
    transport: Arc<T>,
    neighbour: Neighbour,
    key: LinkKey,
    shutdown: CancellationToken,
) {
    let Neighbour { name, peer_addr } = neighbour;
    let mut backoff = Backoff::new(BACKOFF_START, BACKOFF_CAP);
    // Whether the current outage has been logged as a warning already.
    let mut down_logged = false;
    // Since when a neighbour never reached has been failing.
    let mut unreached_since: Option<Instant> = None;
    loop {
        let attempt = tokio::select! {
            () = shutdown.cancelled() => return,
            attempt = connect(&shared, &*transport, &name, peer_addr, &key) => attempt,
        };
        if let Err(e) = &attempt {
            shared.peers.states().note_failure(&name, &dial_failure(e));
        }
        match attempt {
            Ok((reader, writer)) => {
                backoff.reset();
                let end = link::run(&shared, &name, peer_addr, reader, writer, &shutdown).await;
                if matches!(end, LinkError::Shutdown) {
                    return;
                }
                down_logged = true;
            }
            Err(e) if !down_logged => match unreached_since {
                None => {
                    unreached_since = Some(Instant::now());
                    tracing::info!(
                        event = "peer_down",
                        peer = %name,
                        addr = %peer_addr,
                        error = %e,
                        "neighbour not reachable yet; redialing with backoff"
                    );
                }
                Some(since) if since.elapsed() >= UNREACHABLE_GRACE => {
                    tracing::warn!(
                        event = "peer_down",
                        peer = %name,
                        addr = %peer_addr,
                        error = %e,
                        "neighbour still not reachable; redialing with backoff"
                    );
                    down_logged = true;
                }
                Some(_) => tracing::trace!(event = "peer_dial_failed", peer = %name, error = %e),
            },
            Err(e) => {
                tracing::trace!(event = "peer_dial_failed", peer = %name, error = %e);
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(backoff.next_delay()) => {}
        }
    }
}

/// Why an attempt failed, for the link's record; a tag that does not verify
/// almost always means the two servers hold different keys.
fn dial_failure(error: &DialError) -> String {
    match error {
        DialError::Handshake(HandshakeError::BadTag) => {
            format!(
                "{error} (its tag does not verify with our key: do both hold the same HERD_KEY?)"
            )
        }
        other => other.to_string(),
    }
}

/// One attempt: connect, then the dialer's side of the handshake.
async fn connect<T: Transport>(
    shared: &Shared,
    transport: &T,
    name: &str,
    addr: SocketAddr,
    key: &LinkKey,
) -> Result<(Reader<T::Read>, Writer<T::Write>), DialError> {
    let (r, w) = tokio::time::timeout(CONNECT_TIMEOUT, transport.connect(addr))
        .await
        .map_err(|_| DialError::ConnectTimeout(CONNECT_TIMEOUT))?
        .map_err(DialError::Connect)?;
    let mut reader = FramedRead::new(r, LineCodec::new(shared.limits.peer_max_line()));
    let mut writer = FramedWrite::new(w, LineCodec::new(shared.limits.peer_max_line()));
    handshake::dial(&mut reader, &mut writer, key, &shared.name, name).await?;
    Ok((reader, writer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap_and_resets() {
        let start = Duration::from_millis(50);
        let cap = Duration::from_secs(1);
        let mut b = Backoff::new(start, cap);
        let mut step = start;
        for _ in 0..10 {
            let d = b.next_delay();
            assert!(
                d >= step / 2 && d <= step,
                "{d:?} outside [{:?}, {step:?}]",
                step / 2
            );
            step = (step * 2).min(cap);
        }
        assert!(b.next_delay() <= cap);
        b.reset();
        assert!(b.next_delay() <= start);
    }
}
