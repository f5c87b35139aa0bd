//! The writing half of a link: whatever is pending (queued messages, then
//! owed anti-entropy work) goes out in as few whole-line writes as fit, and
//! a `PING` after [`PING_EVERY`] of quiet.

use std::sync::atomic::Ordering;

use bytes::BytesMut;
use futures::SinkExt;
use tokio::io::AsyncWrite;
use tokio::time::{Instant, timeout};

use super::LinkError;
use crate::peer::handshake::Writer;
use crate::peer::outbox::{Outbox, Taken};
use crate::peer::registry::Counters;
use crate::peer::{LINGER, MAX_BATCH_BYTES, MAX_WRITE_STALL, PING_EVERY, WRITE_TIMEOUT};
use crate::shared::Shared;
use base::logging::Events;
use proto::peer::Message;

/// Writes whatever is pending (queued messages, then owed anti-entropy
/// work) in as few writes as fit; sends `PING` after [`PING_EVERY`] of quiet.
pub(super) async fn write_loop<W: AsyncWrite + Unpin>(
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
