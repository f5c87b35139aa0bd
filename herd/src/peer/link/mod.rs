//! One authenticated link, the same on both ends whoever dialed: register in
//! [`Peers`](super::Peers), start an anti-entropy round (which syncs the
//! two stores at the cost of their difference) and send the Olympic state,
//! then at once apply and forward what comes in and write what is queued,
//! repair what anti-entropy finds, ping when idle, and give up when the
//! neighbour falls silent or stops reading.
//!
//! Registering comes before the first round, so an update that lands in
//! between is compared in the round, queued, or both; newest-wins makes the
//! duplicate harmless.

mod read;
mod write;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::anti_entropy;
use super::handshake::{Reader, Writer};
use super::merge;
use super::registry::Registration;
use super::spread;
use crate::shared::Shared;
use proto::codec::CodecError;
use read::read_loop;
use write::write_loop;

/// Why a link ended. A link only ends for a reason, so this is what
/// [`run`] returns.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The neighbour closed the connection.
    #[error("closed by the neighbour")]
    Closed,
    /// Nothing arrived for this long: the neighbour or the path is dead.
    #[error("nothing received for {0:?}")]
    ReadTimeout(Duration),
    /// A write did not finish in this long: the neighbour stopped reading.
    #[error("write stalled for {0:?}")]
    WriteTimeout(Duration),
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] CodecError),
    /// A newer authenticated link to the same neighbour took over.
    #[error("replaced by a newer link")]
    Replaced,
    /// The server is shutting down.
    #[error("shutting down")]
    Shutdown,
}

/// Runs the link to `peer` (reached at `addr`) until it ends, logging
/// `peer_up` and `peer_down`.
pub(crate) async fn run<R, W>(
    shared: &Arc<Shared>,
    peer: &str,
    addr: SocketAddr,
    reader: Reader<R>,
    writer: Writer<W>,
    shutdown: &CancellationToken,
) -> LinkError
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let Registration {
        id,
        outbox,
        counters,
        cancel,
    } = shared.peers.register(peer, shutdown);
    let states = shared.peers.states();
    states.note_up(peer, id);
    tracing::info!(event = "peer_up", peer = %peer, addr = %addr, "link up");
    // A new link starts with an anti-entropy round, which brings the
    // neighbour every location it lacks (and asks for ours) at the cost of
    // the difference, and with the whole Olympic state (a few dozen lines).
    outbox.repair(|repair| {
        repair.round = true;
        repair.olympic_send = true;
    });
    let (changes_tx, mut changes_rx) = mpsc::channel(merge::MERGE_QUEUE);
    let every = shared.limits.anti_entropy();
    let missing = spread::Missing::new(spread::MAX_MISSING);
    let end = tokio::select! {
        end = read_loop(shared, peer, reader, (&outbox, &missing), &changes_tx, &counters) => end,
        end = write_loop(shared, peer, writer, &outbox, &counters) => end,
        end = merge::run(shared, peer, &mut changes_rx) => end,
        end = anti_entropy::run(&outbox, &counters, every) => end,
        end = spread::run(shared, peer, &outbox, &missing, &counters) => end,
        () = cancel.cancelled() => {
            if shutdown.is_cancelled() { LinkError::Shutdown } else { LinkError::Replaced }
        }
    };
    shared.peers.unregister(peer, id);
    let stats = counters.stats();
    states.note_down(peer, id, &end, stats);
    macro_rules! down {
        ($level:ident) => {
            tracing::$level!(
                event = "peer_down",
                peer = %peer,
                addr = %addr,
                error = %end,
                sent = stats.sent,
                received = stats.received,
                dropped = stats.dropped,
                "link down"
            )
        };
    }
    match end {
        LinkError::Shutdown => down!(info),
        _ => down!(warn),
    }
    end
}
