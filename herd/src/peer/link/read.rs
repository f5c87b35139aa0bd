//! The reading half of a link: reads lines until the link fails, applies
//! locations, hands Olympic changes to the merge loop, answers pings and
//! passes anti-entropy, spreading and coordination lines to their modules.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use tokio::io::AsyncRead;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::timeout;

use super::LinkError;
use crate::peer::READ_TIMEOUT;
use crate::peer::anti_entropy;
use crate::peer::handshake::Reader;
use crate::peer::outbox::Outbox;
use crate::peer::registry::Counters;
use crate::peer::spread;
use crate::shared::Shared;
use base::logging::Events;
use proto::codec::Line;
use proto::location::Location;
use proto::peer::Message;

/// Reads lines until the link fails: applies locations, hands Olympic
/// changes to the merge loop, answers pings.
pub(super) async fn read_loop<R: AsyncRead + Unpin>(
    shared: &Shared,
    peer: &str,
    mut reader: Reader<R>,
    (outbox, missing): (&Outbox, &spread::Missing),
    updates: &mpsc::Sender<Message>,
    counters: &Counters,
) -> LinkError {
    let inbound = Inbound {
        shared,
        peer,
        outbox,
        missing,
        updates,
        counters,
    };
    // Per-line events are handed to the log writer whenever the reader
    // would wait, and before anything is logged through `tracing`.
    let mut events = Events::new();
    loop {
        let line = match next_line(peer, &mut reader, &mut events).await {
            Ok(Some(line)) => line,
            Ok(None) => continue,
            Err(end) => return end,
        };
        counters.received.fetch_add(1, Ordering::Relaxed);
        if let Err(end) = inbound.take(&line, &mut events).await {
            return end;
        }
    }
}

/// The next whole line from the neighbour, within [`READ_TIMEOUT`]; `None`
/// for an overlong line, which is logged and ignored.
async fn next_line<R: AsyncRead + Unpin>(
    peer: &str,
    reader: &mut Reader<R>,
    events: &mut Events,
) -> Result<Option<Bytes>, LinkError> {
    let next = match reader.next().now_or_never() {
        Some(next) => Ok(next),
        None => {
            events.flush();
            timeout(READ_TIMEOUT, reader.next()).await
        }
    };
    match next {
        Err(_) => Err(LinkError::ReadTimeout(READ_TIMEOUT)),
        Ok(None) => Err(LinkError::Closed),
        Ok(Some(Err(e))) => Err(e.into()),
        Ok(Some(Ok(Line::TooLong))) => {
            events.flush();
            tracing::warn!(event = "peer_in", peer = %peer, "overlong line ignored");
            Ok(None)
        }
        Ok(Some(Ok(Line::Complete(line)))) => Ok(Some(line)),
    }
}

/// What the reading half of a link works with.
struct Inbound<'a> {
    shared: &'a Shared,
    /// The neighbour's name.
    peer: &'a str,
    /// Where answers (`PONG`, repairs, grafts) are queued.
    outbox: &'a Outbox,
    /// Announced locations this server lacks, heard over this link.
    missing: &'a spread::Missing,
    /// Olympic changes, handed to the merge loop.
    updates: &'a mpsc::Sender<Message>,
    counters: &'a Counters,
}

impl Inbound<'_> {
    /// Takes in one line read from the neighbour. Fails only when the merge
    /// loop is gone.
    async fn take(&self, line: &[u8], events: &mut Events) -> Result<(), LinkError> {
        let (shared, peer, outbox, counters) = (self.shared, self.peer, self.outbox, self.counters);
        let shown = || String::from_utf8_lossy(line);
        match Message::parse(line) {
            Ok(Message::At(location)) => self.take_location(location, line, events),
            Ok(update) if shared.replicas().iter().any(|r| r.owns(&update)) => {
                events.peer_in(peer, line, None);
                return self.hand_to_merge(update, events).await;
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
                events.peer_in(peer, line, None);
                anti_entropy::answer(shared, peer, &message, outbox, counters);
            }
            Ok(message @ (Message::IHave(_) | Message::Graft(_) | Message::Prune)) => {
                events.peer_in(peer, line, None);
                if matches!(message, Message::IHave(_)) {
                    counters.announces.fetch_add(1, Ordering::Relaxed);
                }
                spread::answer(shared, peer, message, outbox, self.missing, counters);
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
        Ok(())
    }

    /// An `AT` line: offers the location to the store (flooding it on if
    /// newer), counts it and tells the spreading loop.
    fn take_location(&self, location: Arc<Location>, line: &[u8], events: &mut Events) {
        let (peer, counters) = (self.peer, self.counters);
        counters.at_received.fetch_add(1, Ordering::Relaxed);
        self.shared.peers.flow().arrived();
        let taken = apply(self.shared, peer, location);
        if taken {
            counters.at_taken.fetch_add(1, Ordering::Relaxed);
        }
        events.peer_in(peer, line, Some(taken));
        spread::arrived(peer, taken, self.outbox, counters);
    }

    /// Hands a replica's update to the merge loop, waiting (events flushed
    /// first) only when its queue is full. Fails when the merge loop is gone.
    async fn hand_to_merge(&self, update: Message, events: &mut Events) -> Result<(), LinkError> {
        let update = match self.updates.try_send(update) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Closed(_)) => return Err(LinkError::Closed),
            Err(TrySendError::Full(update)) => update,
        };
        events.flush();
        if self.updates.send(update).await.is_err() {
            return Err(LinkError::Closed);
        }
        Ok(())
    }
}

/// Offers a location from `peer` to the store and floods it on if it was
/// newer. Returns whether it was taken.
fn apply(shared: &Shared, peer: &str, location: Arc<Location>) -> bool {
    shared.store_and_flood(location, Some(peer))
}
