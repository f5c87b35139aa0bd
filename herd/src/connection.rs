//! One client connection: read lines, answer each in order, close cleanly.
//!
//! Replies to the commands found in one read are gathered in a [`Batch`]
//! and written together, so every reply leaves whole in a single write and
//! pipelined input costs one system call per batch. A command that may wait
//! on an upstream (WHATSAT) or a disk (MEDAL, SETSCORE) first flushes what
//! is already answered. The IAMAT reports of a batch are stored and flooded
//! once per client before any of its replies is written (the [`Batch`]
//! says why nobody can tell, and makes it so). After the client
//! half-closes, the last unterminated line is still a command; every
//! pending reply is written before the server closes its side.
//!
//! After `SUBSCRIBE`, updates of the chosen events and teams are written
//! between replies, each line whole, and a quiet subscriber is sent `PING`.
//!
//! A connection ends when its client completes no line for the idle
//! timeout, leaves a line unfinished past the line timeout, or is shed by
//! the accept loop to make room ([`crate::deadlines`], [`base::admission`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::batch::Batch;
use crate::cmd::{self, Feed};
use crate::deadlines::{Deadlines, Due};
use crate::metrics::{Outcome, RequestMeter, Verb};
use crate::shared::Shared;
use base::admission::{Activity, Admitted};
use base::logging::Events;
use proto::client::keepalive::PING_LINE;
use proto::client::{Command, RaffleCommand, redact};
use proto::codec::{Line, LineCodec};

/// Bytes read per system call; also bounds how many replies are gathered
/// before a write.
const READ_CHUNK: usize = 16 * 1024;

/// Gathered replies are written once they pass this size, even mid-batch.
const FLUSH_AT: usize = 64 * 1024;

/// Why a connection ended, for the log.
#[derive(Debug)]
enum Ended {
    /// The client half-closed and every reply was written.
    Finished,
    /// No complete line for the idle timeout.
    Idle,
    /// A line was left unfinished past the line timeout.
    SlowLine,
    /// Closed to make room for a new connection at a connection limit.
    Shed,
    /// A line passed the length limit; earlier replies were written first.
    LineTooLong,
    /// A reply could not be written within the write timeout.
    SlowReader,
    /// The server is shutting down.
    Shutdown,
    /// The socket failed.
    Io(std::io::Error),
}

/// Serves one client until it leaves, idles out, misbehaves, is shed or
/// the server stops. `admitted` registers it with the accept loop until then.
pub async fn serve(
    shared: &Shared,
    stream: TcpStream,
    peer: SocketAddr,
    admitted: Admitted,
    shutdown: CancellationToken,
) {
    let id = admitted.registration.id();
    info!(event = "client_connected", conn = id, from = %peer);
    let _open = shared.metrics.connection_opened();
    let ended = Connection {
        stream,
        id,
        activity: admitted.activity,
        deadlines: Deadlines::new(&shared.limits, Instant::now()),
        codec: LineCodec::new(shared.limits.max_line),
        input: BytesMut::with_capacity(READ_CHUNK),
        batch: Batch::new(shared),
        feed: Feed::default(),
        events: Events::new(),
        meter: RequestMeter::default(),
        requester: peer.to_string(),
        relay: false,
    }
    .run(&shutdown, &admitted.cancel)
    .await;
    match ended {
        Ended::Io(error) => warn!(event = "client_closed", conn = id, from = %peer, error = %error),
        reason => info!(event = "client_closed", conn = id, from = %peer, reason = ?reason),
    }
}

/// The state of one connection.
struct Connection<'a> {
    stream: TcpStream,
    /// Connection number, for correlating log lines.
    id: u64,
    /// What the accept loop sees of this connection when choosing whom to
    /// shed: touched whenever a line completes.
    activity: Arc<Activity>,
    /// When the client must next be heard from.
    deadlines: Deadlines,
    codec: LineCodec,
    /// Bytes read but not yet framed.
    input: BytesMut,
    /// Replies not yet written, and the IAMAT reports they answer; the
    /// only way to the server's state.
    batch: Batch<'a>,
    /// What the connection is subscribed to, once it is.
    feed: Feed,
    /// Lines in and replies out, logged and handed to the log writer once
    /// per batch; flushed before anything else about this connection is
    /// logged, and when the connection ends (on drop).
    events: Events,
    /// Requests answered and replies not yet written, added to the server's
    /// metrics once per batch.
    meter: RequestMeter,
    /// Who the raffle counts this connection's requests as: its address.
    requester: String,
    /// Set by `RELAY`: a front end that counts its requests itself with
    /// `COUNT`, so its Olympic verbs are not counted again.
    relay: bool,
}

impl Connection<'_> {
    async fn run(&mut self, shutdown: &CancellationToken, shed: &CancellationToken) -> Ended {
        let ended = self.serve(shutdown, shed).await;
        self.log_batch();
        ended
    }

    /// Hands this batch's log lines to the writer and its counts to the
    /// server's metrics.
    fn log_batch(&mut self) {
        self.events.flush();
        self.meter.flush(&self.batch.metrics().requests);
    }

    async fn serve(&mut self, shutdown: &CancellationToken, shed: &CancellationToken) -> Ended {
        let mut eof = false;
        loop {
            if let Err(ended) = self.answer_buffered(eof).await {
                return ended;
            }
            if let Err(ended) = self.flush().await {
                return ended;
            }
            if eof {
                let _ = self.stream.shutdown().await;
                return Ended::Finished;
            }
            self.input.reserve(READ_CHUNK);
            let (deadline, due) = self.deadlines.next(self.feed.is_on());
            let read = tokio::select! {
                read = self.stream.read_buf(&mut self.input) => read,
                () = tokio::time::sleep_until(deadline.into()) => match due {
                    Due::Ping => {
                        self.push_ping();
                        continue;
                    }
                    Due::Idle => return Ended::Idle,
                    Due::SlowLine => return Ended::SlowLine,
                },
                next = self.feed.next() => {
                    self.push_update(next);
                    continue;
                }
                () = shed.cancelled() => return Ended::Shed,
                () = shutdown.cancelled() => return Ended::Shutdown,
            };
            match read {
                Err(e) => return Ended::Io(e),
                Ok(0) => eof = true,
                Ok(_) => self.meter.read_at(Instant::now()),
            }
        }
    }

    /// Answers every complete line in the input buffer (and, at end of
    /// stream, the unterminated rest), gathering replies in the batch.
    async fn answer_buffered(&mut self, eof: bool) -> Result<(), Ended> {
        let mut completed = false;
        loop {
            let frame = if eof {
                self.codec.decode_eof(&mut self.input)
            } else {
                self.codec.decode(&mut self.input)
            };
            let line = match frame {
                Ok(Some(Line::Complete(line))) => line,
                Ok(Some(Line::TooLong)) => {
                    self.log_batch();
                    let limit = self.batch.limits().max_line;
                    warn!(event = "client_line_too_long", conn = self.id, limit);
                    self.flush().await?;
                    return Err(Ended::LineTooLong);
                }
                Ok(None) => {
                    self.framed(completed);
                    return Ok(());
                }
                Err(proto::codec::CodecError::Io(e)) => return Err(Ended::Io(e)),
            };
            completed = true;
            self.answer(line).await?;
            if self.batch.len() >= FLUSH_AT {
                self.flush().await?;
            }
        }
    }

    /// Answers one line into the batch, logging and counting it.
    async fn answer(&mut self, line: Bytes) -> Result<(), Ended> {
        let received = self.batch.now();
        self.events.client_in(self.id, &redact(&line), received);
        let command = Command::parse(line.clone(), self.batch.limits().max_client_id);
        if cmd::may_wait(&command) {
            self.flush().await?;
        }
        let verb = Verb::of(&command, &line);
        let counted = cmd::raffle::counted(&command, &self.requester).filter(|_| !self.relay);
        self.relay |= matches!(command, Command::Raffle(RaffleCommand::Relay));
        let start = self.batch.len();
        cmd::apply(command, &line, received, &mut self.batch, &mut self.feed).await;
        let reply = self.batch.since(start);
        self.meter.answered(verb, Outcome::of_reply(reply));
        if !reply.is_empty() {
            self.events.client_out(self.id, &redact(reply));
        }
        if let Some(counted) = counted
            && let Some(counted) = self.batch.order().offer(counted)
        {
            // The order's queue is full: the reply goes out first, then
            // this connection waits for room before its next line.
            self.flush().await?;
            self.batch.order().submit(counted).await;
        }
        Ok(())
    }

    /// Records that the input was framed: whether a line completed (the
    /// client was heard from) and whether an unfinished line remains.
    fn framed(&mut self, completed: bool) {
        if completed {
            self.activity.touch();
        }
        let unfinished = !self.input.is_empty();
        if completed || unfinished {
            self.deadlines.framed(Instant::now(), completed, unfinished);
        }
    }

    /// Gathers a `PING` for a quiet subscriber.
    fn push_ping(&mut self) {
        self.deadlines.pinged(Instant::now());
        self.events.client_out(self.id, PING_LINE);
        self.batch.push(PING_LINE);
    }

    /// Gathers the line for one update from the feed, if it is wanted, or
    /// `LAGGED n` if the feed overran this connection.
    fn push_update(
        &mut self,
        next: Result<olympic::Update, tokio::sync::broadcast::error::RecvError>,
    ) {
        if let Some(line) = self.feed.line(next) {
            let start = self.batch.len();
            self.batch.reply(&line);
            self.events.client_out(self.id, self.batch.since(start));
        }
    }

    /// Logs the batch, then writes all gathered replies in one write,
    /// within the write timeout; the batch stores its reports first.
    async fn flush(&mut self) -> Result<(), Ended> {
        self.log_batch();
        if self.batch.is_empty() {
            return Ok(());
        }
        let limit: Duration = self.batch.limits().write_timeout();
        match tokio::time::timeout(limit, self.stream.write_all(self.batch.to_write())).await {
            Err(_) => Err(Ended::SlowReader),
            Ok(Err(e)) => Err(Ended::Io(e)),
            Ok(Ok(())) => {
                self.batch.written();
                self.meter.written(&self.batch.metrics().reply_latency);
                Ok(())
            }
        }
    }
}
