//! Links between herd servers, and the flooding that runs over them.
//!
//! Each pair of neighbours keeps one persistent TCP link between their
//! `peer_addr`s (never a client port, so killing a server by its client port
//! leaves its neighbours alone). The end with the smaller name dials, the
//! other accepts ([`dials`]); if a dialer comes back while the acceptor still
//! holds its old link, the newer authenticated link replaces the older one,
//! so a restarted neighbour is back in the flood as soon as it redials.
//!
//! A link opens with an HMAC challenge–response ([`handshake`]) over the
//! herd's [`LinkKey`]; nothing from a connection is applied before it passes.
//! Then both ends send every location they hold, and from there on each
//! location that is newer than what a server holds is stored and forwarded to
//! every neighbour except the one it came from. An older or equal one stops
//! where it lands, so a flood ends on any graph, cycles included.
//!
//! Rooms: [`message`] is the wire format, [`handshake`] the authentication
//! (`proof` what its tags cover), [`key`] the secret, [`registry`] the live
//! links and [`Peers::flood`], `outbox` what one link has yet to send,
//! `link` one running link, `dial` and `accept` the two ways a link starts,
//! [`link_state`] what each neighbour's link has been doing (for STATUS and
//! metrics).

mod accept;
mod anti_entropy;
mod dial;
pub mod handshake;
pub mod key;
mod link;
pub mod link_state;
mod merge;

mod outbox;
mod proof;
pub mod registry;
pub mod replica;
mod spread;
mod throttle;
pub mod transport;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

pub use dial::DialError;
pub use handshake::HandshakeError;
pub use key::{KEY_ENV, KeyError, KeySource, LinkKey};
pub use link::LinkError;
pub use link_state::{LinkStates, LinkView};
pub use proto::peer::Message;
pub use registry::{LinkStats, Peers};
pub use replica::Replica;
pub use transport::{Listener, Tcp, Transport};

use crate::shared::Shared;
use base::topology::Topology;

/// How long a whole handshake may take, from either side.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a TCP connect to a neighbour may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A link with nothing to send for this long sends `PING`.
pub const PING_EVERY: Duration = Duration::from_secs(1);

/// A link that receives nothing for this long (several missed pings) is
/// dropped: the neighbour is dead or the connection half-open.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A write that makes no progress for this long, while nothing arrives from
/// the neighbour either, drops the link: the neighbour is gone or has
/// stopped reading, and its queue would otherwise only fill.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest a write may wait on a neighbour that still sends (a busy
/// neighbour reads slowly; one that sends but never reads is dropped).
pub const MAX_WRITE_STALL: Duration = Duration::from_secs(60);

/// First delay before redialing a neighbour that is down.
pub const BACKOFF_START: Duration = Duration::from_millis(50);

/// Longest delay between redials, so a neighbour that comes back is linked
/// again within about a second.
pub const BACKOFF_CAP: Duration = Duration::from_secs(1);

/// Unauthenticated connections handshaking at once on the peer port.
pub const MAX_PENDING_HANDSHAKES: usize = 16;

/// How long a link waits before its next write after sending locations
/// that had been superseded while they waited (updates arriving faster than
/// the link sends them), so that under load it sends fewer, fuller writes.
pub const LINGER: Duration = Duration::from_millis(5);

/// Bytes of whole lines gathered into one write.
pub const MAX_BATCH_BYTES: usize = 64 * 1024;

/// At most one "queue full, dropping" warning per link this often.
pub const DROP_LOG_EVERY: Duration = Duration::from_secs(5);

/// At most one "connection refused" warning per peer port this often.
pub const REJECT_LOG_EVERY: Duration = Duration::from_secs(5);

/// Pause after a failed `accept` (usually out of file descriptors).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// A neighbour as this server reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    /// Its server name.
    pub name: String,
    /// Its peer port, where links are made.
    pub peer_addr: SocketAddr,
}

impl Neighbour {
    /// The neighbours of `name` in `topology`, in name order.
    pub fn all_of(topology: &Topology, name: &str) -> Vec<Neighbour> {
        topology
            .neighbours(name)
            .into_iter()
            .filter_map(|n| {
                let peer_addr = topology.servers.get(&n)?.peer_addr;
                Some(Neighbour { name: n, peer_addr })
            })
            .collect()
    }
}

/// The dial rule: of two neighbours, the one whose name sorts first (byte
/// order) dials, the other accepts. Both ends compute it alike, so each pair
/// has exactly one dialer.
pub fn dials(me: &str, them: &str) -> bool {
    me < them
}

/// Runs the peer side of one server until `shutdown` is cancelled: accepts
/// links on `listener` (the server's `peer_addr`), dials through `transport` the neighbours whose
/// turn it is, redials them while down, syncs every link that comes up, and
/// applies and forwards floods. Returns once every link and task it started
/// has ended and the listener is closed. Tasks it spawns inherit the caller's
/// span, so a process running several servers can tell their logs apart.
pub async fn run<T: Transport, L: Listener>(
    shared: Arc<Shared>,
    transport: Arc<T>,
    listener: L,
    neighbours: Vec<Neighbour>,
    key: LinkKey,
    shutdown: CancellationToken,
) {
    let tracker = TaskTracker::new();
    let (to_dial, to_accept): (Vec<Neighbour>, Vec<Neighbour>) = neighbours
        .into_iter()
        .partition(|n| dials(&shared.name, &n.name));
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            event = "peer_listen",
            addr = %addr,
            dials = ?to_dial.iter().map(|n| &n.name).collect::<Vec<_>>(),
            accepts = ?to_accept.iter().map(|n| &n.name).collect::<Vec<_>>(),
        );
    }
    for neighbour in to_dial {
        tracker.spawn(
            dial::keep_dialing(
                Arc::clone(&shared),
                Arc::clone(&transport),
                neighbour,
                key.clone(),
                shutdown.clone(),
            )
            .in_current_span(),
        );
    }
    let dialers: HashSet<String> = to_accept.into_iter().map(|n| n.name).collect();
    accept::Acceptor::new(shared, key, dialers, shutdown)
        .serve(listener, &tracker)
        .await;
    tracker.close();
    tracker.wait().await;
}
