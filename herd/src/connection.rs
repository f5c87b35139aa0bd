//! One client connection: read lines, answer each in order, close cleanly.
//!
//! Replies to the commands found in one read are gathered and written
//! together, so every reply leaves whole in a single write and pipelined
//! input costs one system call per batch. A command that may wait on an
//! upstream (WHATSAT) first flushes what is already answered. The IAMAT
//! reports of a batch are stored and flooded once per client when it is
//! answered ([`ReportBatch`] says why nobody can tell). After the
//! client half-closes, the last unterminated line is still a command; every
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
use std::time::{Duration, Instant, SystemTime};

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::cmd::{Command, PING_LINE, ReportBatch, Topics, redact};
use crate::deadlines::{Deadlines, Due};
use crate::metrics::{Outcome, RequestMeter, Verb};
use crate::shared::Shared;
use base::admission::{Activity, Admitted};
use base::logging::Events;
use olympic::Update;
use proto::codec::{Line, LineCodec};
use tokio::sync::broadcast;

/// Bytes read per system call; also bounds how many replies are gathered
/// before a write.
const READ_CHUNK: usize = 16 * 1024;

/// Gathered replies are written once they pass this size, even mid-batch.
const FLUSH_AT: usize = 64 * 1024;

/// The next update of a subscribed connection; never resolves otherwise.
async fn next_update(
    updates: &mut Option<(broadcast::Receiver<Update>, Topics)>,
) -> Result<Update, broadcast::error::RecvError> {
    match updates {
        Some((rx, _)) => rx.recv().await,
        None => std::future::pending().await,
    }
}

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
        shared,
        stream,
        id,
        activity: admitted.activity,
        deadlines: Deadlines::new(&shared.limits, Instant::now()),
        codec: LineCodec::new(shared.limits.max_line),
        input: BytesMut::with_capacity(READ_CHUNK),
        output: BytesMut::new(),
        updates: None,
        events: Events::new(),
        reports: ReportBatch::default(),
        meter: RequestMeter::default(),
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
    shared: &'a Shared,
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
    /// Whole replies not yet written.
    output: BytesMut,
    /// Set once the client subscribes: the update feed and what it wants of it.
    updates: Option<(broadcast::Receiver<Update>, Topics)>,
    /// Lines in and replies out, logged and handed to the log writer once
    /// per batch; flushed before anything else about this connection is
    /// logged, and when the connection ends (on drop).
    events: Events,
    /// IAMAT reports of the batch being answered, stored and flooded once
    /// per client before any reply is written, anything is awaited, or
    /// another command is answered.
    reports: ReportBatch,
    /// Requests answered and replies not yet written, added to the server's
    /// metrics once per batch.
    meter: RequestMeter,
}

impl Connection<'_> {
    async fn run(&mut self, shutdown: &CancellationToken, shed: &CancellationToken) -> Ended {
        let ended = self.serve(shutdown, shed).await;
        self.hand_off();
        ended
    }

    /// Stores and floods this batch's reports and hands its log lines to
    /// the writer.
    fn hand_off(&mut self) {
        self.reports.commit(&self.shared.db, &self.shared.peers);
        self.events.flush();
        self.meter.flush(&self.shared.metrics.requests);
    }

    async fn serve(&mut self, shutdown: &CancellationToken, shed: &CancellationToken) -> Ended {
        let mut eof = false;
        loop {
            let answered = self.answer_buffered(eof).await;
            self.hand_off();
            if let Err(ended) = answered {
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
            let (deadline, due) = self.deadlines.next(self.updates.is_some());
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
                update = next_update(&mut self.updates) => {
                    self.push_update(update);
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
    /// stream, the unterminated rest), gathering replies in `output`.
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
                    self.hand_off();
                    warn!(
                        event = "client_line_too_long",
                        conn = self.id,
                        limit = self.shared.limits.max_line
                    );
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
            let received = SystemTime::now();
            self.events.client_in(self.id, &redact(&line), received);
            let command = Command::parse(line.clone(), &self.shared.limits);
            if command.may_wait() {
                self.hand_off();
                self.flush().await?;
            }
            match command {
                Command::IAmAt(iamat) if !self.shared.db.refuses(iamat.client()) => {
                    self.answer_iamat(iamat, received)
                }
                Command::IAmAt(_) => {
                    // The store is full and this client is new: refused.
                    let reply = crate::cmd::Invalid::new(line).reply();
                    self.push_reply(Verb::IAmAt, &reply);
                }
                Command::Subscribe(subscribe) => {
                    self.reports.commit(&self.shared.db, &self.shared.peers);
                    let reply = self.subscribe(subscribe, &line);
                    self.push_reply(Verb::Subscribe, &reply);
                }
                command => {
                    self.reports.commit(&self.shared.db, &self.shared.peers);
                    let reply = command.apply(self.shared, &line).await;
                    self.push_reply(Verb::of_line(&line), &reply);
                }
            }
            if self.output.len() >= FLUSH_AT {
                self.hand_off();
                self.flush().await?;
            }
        }
    }

    /// The hot path: answers an IAMAT straight into the output and holds
    /// its report for the batch's commit.
    fn answer_iamat(&mut self, iamat: crate::cmd::IAmAt, received: SystemTime) {
        let location = iamat.answer(&self.shared.name, received);
        let start = self.output.len();
        self.output.extend_from_slice(location.at_line());
        self.output.extend_from_slice(b"\n");
        self.events
            .client_out(self.id, &redact(&self.output[start..]));
        self.meter.answered(Verb::IAmAt, Outcome::Ok);
        let shared = self.shared;
        self.reports.add(&shared.db, &shared.peers, location);
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
        self.output.extend_from_slice(PING_LINE);
    }

    /// Logs and counts the reply to a `verb` request and gathers it for the
    /// next write; an empty reply (to `PONG`) is counted only.
    fn push_reply(&mut self, verb: Verb, reply: &[u8]) {
        self.meter.answered(verb, Outcome::of_reply(reply));
        if reply.is_empty() {
            return;
        }
        self.events.client_out(self.id, &redact(reply));
        self.output.extend_from_slice(reply);
    }

    /// Starts (or widens) this connection's subscription.
    fn subscribe(&mut self, subscribe: crate::cmd::Subscribe, line: &bytes::Bytes) -> bytes::Bytes {
        let Some((reply, topics)) = subscribe.apply(self.shared) else {
            return crate::cmd::Invalid::new(line.clone()).reply();
        };
        match &mut self.updates {
            Some((_, held)) => held.extend(topics),
            None => self.updates = Some((self.shared.olympics.subscribe(), topics)),
        }
        reply
    }

    /// Queues the line for one update from the feed, if it is wanted, or
    /// `LAGGED n` if the feed overran this connection.
    fn push_update(&mut self, update: Result<Update, broadcast::error::RecvError>) {
        let line = match update {
            Ok(update) => match &self.updates {
                Some((_, topics)) if topics.wants(&update) => {
                    crate::cmd::olympic_reply::update_line(&update)
                }
                _ => return,
            },
            Err(broadcast::error::RecvError::Lagged(missed)) => format!("LAGGED {missed}\n"),
            Err(broadcast::error::RecvError::Closed) => {
                self.updates = None;
                return;
            }
        };
        self.events.client_out(self.id, line.as_bytes());
        self.output.extend_from_slice(line.as_bytes());
    }

    /// Writes all gathered replies in one write, within the write timeout.
    async fn flush(&mut self) -> Result<(), Ended> {
        if self.output.is_empty() {
            return Ok(());
        }
        let limit: Duration = self.shared.limits.write_timeout();
        match tokio::time::timeout(limit, self.stream.write_all(&self.output)).await {
            Err(_) => Err(Ended::SlowReader),
            Ok(Err(e)) => Err(Ended::Io(e)),
            Ok(Ok(())) => {
                self.output.clear();
                self.meter.written(&self.shared.metrics.reply_latency);
                Ok(())
            }
        }
    }
}
