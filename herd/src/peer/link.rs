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

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::BytesMut;
use futures::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::{Instant, timeout};
use tokio_util::sync::CancellationToken;

use super::anti_entropy;
use super::handshake::{Reader, Writer};
use super::merge;
use super::outbox::{Outbox, Taken};
use super::registry::{Counters, Registration};
use super::spread;
use super::{LINGER, MAX_BATCH_BYTES, MAX_WRITE_STALL, PING_EVERY, READ_TIMEOUT, WRITE_TIMEOUT};
use crate::shared::Shared;
use base::logging::Events;
use proto::codec::{CodecError, Line};
use proto::location::Location;
use proto::peer::Message;

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

/// Reads lines until the link fails: applies locations, hands Olympic
/// changes to the merge loop, answers pings.
async fn read_loop<R: AsyncRead + Unpin>(
    shared: &Shared,
    peer: &str,
    mut reader: Reader<R>,
    (outbox, missing): (&Outbox, &spread::Missing),
    updates: &mpsc::Sender<Message>,
    counters: &Counters,
) -> LinkError {
    // Per-line events are handed to the log writer whenever the reader
    // would wait, and before anything is logged through `tracing`.
    let mut events = Events::new();
    loop {
        let next = match reader.next().now_or_never() {
            Some(next) => Ok(next),
            None => {
                events.flush();
                timeout(READ_TIMEOUT, reader.next()).await
            }
        };
        let line = match next {
            Err(_) => return LinkError::ReadTimeout(READ_TIMEOUT),
            Ok(None) => return LinkError::Closed,
            Ok(Some(Err(e))) => return e.into(),
            Ok(Some(Ok(Line::TooLong))) => {
                events.flush();
                tracing::warn!(event = "peer_in", peer = %peer, "overlong line ignored");
                continue;
            }
            Ok(Some(Ok(Line::Complete(line)))) => line,
        };
        counters.received.fetch_add(1, Ordering::Relaxed);
        let shown = || String::from_utf8_lossy(&line);
        match Message::parse(&line) {
            Ok(Message::At(location)) => {
                counters.at_received.fetch_add(1, Ordering::Relaxed);
                shared.peers.flow().arrived();
                let taken = apply(shared, peer, location);
                if taken {
                    counters.at_taken.fetch_add(1, Ordering::Relaxed);
                }
                events.peer_in(peer, &line, Some(taken));
                spread::arrived(peer, taken, outbox, counters);
            }
            Ok(update) if shared.replicas().iter().any(|r| r.owns(&update)) => {
                events.peer_in(peer, &line, None);
                let update = match updates.try_send(update) {
                    Ok(()) => continue,
                    Err(TrySendError::Closed(_)) => return LinkError::Closed,
                    Err(TrySendError::Full(update)) => update,
                };
                events.flush();
                if updates.send(update).await.is_err() {
                    return LinkError::Closed;
                }
            }
            Ok(Message::Ping) => {
                events.flush();
                tracing::trace!(event = "peer_in", peer = %peer, line = "PING");
                counters.note(peer, outbox.push(Message::Pong));
            }
            Ok(Message::Pong) => {
                events.flush();
                tracing::trace!(event = "peer_in", peer = %peer, line = "PONG");
            }
            Ok(
                message @ (Message::Sums { .. }
                | Message::Have { .. }
                | Message::OlympicSum(_)
                | Message::OlympicPull),
            ) => {
                events.peer_in(peer, &line, None);
                anti_entropy::answer(shared, peer, &message, outbox, counters);
            }
            Ok(message @ (Message::IHave(_) | Message::Graft(_) | Message::Prune)) => {
                events.peer_in(peer, &line, None);
                if matches!(message, Message::IHave(_)) {
                    counters.announces.fetch_add(1, Ordering::Relaxed);
                }
                spread::answer(shared, peer, message, outbox, missing, counters);
            }
            Ok(Message::Coord(line)) => {
                events.flush();
                tracing::trace!(event = "peer_in", peer = %peer, verb = line.verb());
                crate::coord::handle(shared, peer, line);
            }
            Ok(Message::Order(line)) => {
                events.flush();
                tracing::trace!(event = "peer_in", peer = %peer, verb = line.verb());
                crate::order::handle(shared, peer, line);
            }
            Ok(Message::Unknown(_)) => {
                events.flush();
                tracing::info!(event = "peer_in", peer = %peer, line = ?shown(), "unknown verb ignored");
            }
            Ok(Message::Change(_)) => {
                // Only reached if no replica takes Olympic changes.
                events.flush();
                tracing::info!(event = "peer_in", peer = %peer, line = ?shown(), "no replica takes it; ignored");
            }
            Ok(msg @ (Message::Hello { .. } | Message::Auth { .. })) => {
                events.flush();
                tracing::warn!(event = "peer_in", peer = %peer, verb = msg.verb(), "handshake message on an open link ignored");
            }
            Err(e) => {
                events.flush();
                tracing::warn!(event = "peer_in", peer = %peer, line = ?shown(), error = %e, "ignored");
            }
        }
    }
}

/// Offers a location from `peer` to the store and floods it on if it was
/// newer. Returns whether it was taken.
fn apply(shared: &Shared, peer: &str, location: Arc<Location>) -> bool {
    shared.store_and_flood(location, Some(peer))
}

/// Writes whatever is pending (queued messages, then owed anti-entropy
/// work) in as few writes as fit; sends `PING` after [`PING_EVERY`] of quiet.
async fn write_loop<W: AsyncWrite + Unpin>(
    shared: &Shared,
    peer: &str,
    mut writer: Writer<W>,
    outbox: &Outbox,
    counters: &Counters,
) -> LinkError {
    let mut batch = Batch::default();
    let mut taken = Taken::default();
    let ping = tokio::time::sleep(PING_EVERY);
    tokio::pin!(ping);
    loop {
        let mut linger = false;
        if outbox.take(&mut taken) {
            linger = taken.superseded;
            let owed = taken.repair.control_messages(shared);
            for message in taken.drain().chain(owed) {
                batch.push(peer, &message);
                if batch.is_full()
                    && let Err(e) = batch.write(&mut writer, counters).await
                {
                    return e;
                }
            }
            taken.trim();
            if let Err(e) =
                send_leaves(shared, peer, &mut taken, &mut batch, &mut writer, counters).await
            {
                return e;
            }
            outbox.repair_sent();
        } else {
            // Only the wait is raced; writes run outside `select!`, so they
            // are never cut off halfway.
            tokio::select! {
                biased;
                () = outbox.ready() => continue,
                () = &mut ping => batch.push(peer, &Message::Ping),
            }
        }
        if let Err(e) = batch.write(&mut writer, counters).await {
            return e;
        }
        ping.as_mut().reset(Instant::now() + PING_EVERY);
        if linger {
            // Updates are coming faster than this link sends them: let the
            // next ones gather (and supersede each other) for a moment, so
            // a busy link sends fewer, fuller writes. Nothing superseded,
            // nothing waits: an isolated update goes out at once.
            tokio::time::sleep(LINGER).await;
        }
    }
}

/// Sends the stored lines anti-entropy found the neighbour lacks.
async fn send_leaves<W: AsyncWrite + Unpin>(
    shared: &Shared,
    peer: &str,
    taken: &mut Taken,
    batch: &mut Batch,
    writer: &mut Writer<W>,
    counters: &Counters,
) -> Result<(), LinkError> {
    let lines = &mut taken.repair.lines;
    if lines.is_empty() {
        return Ok(());
    }
    counters
        .repaired
        .fetch_add(lines.len() as u64, Ordering::Relaxed);
    shared
        .peers
        .states()
        .note_repaired(peer, lines.len() as u64);
    for location in lines.drain(..) {
        batch.push(peer, &Message::At(location));
        if batch.is_full() {
            batch.write(writer, counters).await?;
        }
    }
    Ok(())
}

/// Whole lines gathered for one write, and their `peer_out` events.
#[derive(Debug, Default)]
struct Batch {
    buf: BytesMut,
    lines: u64,
    /// `AT` lines among `lines`.
    at_lines: u64,
    /// `IHAVE` lines among `lines`.
    announce_lines: u64,
    events: Events,
}

impl Batch {
    /// Encodes `msg` onto the batch and logs it as sent.
    fn push(&mut self, peer: &str, msg: &Message) {
        let start = self.buf.len();
        msg.encode(&mut self.buf);
        self.lines += 1;
        self.at_lines += u64::from(matches!(msg, Message::At(_)));
        self.announce_lines += u64::from(matches!(msg, Message::IHave(_)));
        let line = &self.buf[start..self.buf.len() - 1];
        match msg {
            // Liveness and coordination lines (several a second on every
            // link) are traced, not logged: elections log their outcome.
            Message::Ping | Message::Pong | Message::Coord(_) | Message::Order(_) => {
                self.events.flush();
                tracing::trace!(event = "peer_out", peer = %peer, line = msg.verb());
            }
            _ => self.events.peer_out(peer, line),
        }
    }

    fn is_full(&self) -> bool {
        self.buf.len() >= MAX_BATCH_BYTES
    }

    /// Writes and flushes everything gathered, within [`WRITE_TIMEOUT`] of
    /// silence from the neighbour and [`MAX_WRITE_STALL`] in all.
    async fn write<W: AsyncWrite + Unpin>(
        &mut self,
        writer: &mut Writer<W>,
        counters: &Counters,
    ) -> Result<(), LinkError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let bytes = self.buf.split().freeze();
        let started = Instant::now();
        let mut send = std::pin::pin!(writer.send(bytes));
        let mut heard = counters.received.load(Ordering::Relaxed);
        loop {
            match timeout(WRITE_TIMEOUT, send.as_mut()).await {
                Ok(sent) => break sent?,
                Err(_) => {
                    // A neighbour that still sends is alive, only busy:
                    // wait on, up to MAX_WRITE_STALL in all.
                    let now_heard = counters.received.load(Ordering::Relaxed);
                    if now_heard == heard || started.elapsed() >= MAX_WRITE_STALL {
                        return Err(LinkError::WriteTimeout(started.elapsed()));
                    }
                    heard = now_heard;
                }
            }
        }
        counters
            .sent
            .fetch_add(std::mem::take(&mut self.lines), Ordering::Relaxed);
        counters
            .at_sent
            .fetch_add(std::mem::take(&mut self.at_lines), Ordering::Relaxed);
        counters
            .announces
            .fetch_add(std::mem::take(&mut self.announce_lines), Ordering::Relaxed);
        self.events.flush();
        Ok(())
    }
}
