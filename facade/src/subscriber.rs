//! The one connection that `SUBSCRIBE`s to every event and team and turns the
//! herd's `UPDATE SCORE` and `UPDATE TALLY` lines into pushes and server-sent
//! events.
//!
//! On each (re)attach it reads `TEAMS` and `EVENTS` (refreshing the
//! catalog), subscribes, and re-reads every score and tally, so updates made
//! while it was failing over are still delivered. On `LAGGED` it re-reads
//! them all. Values are published only when the [`Board`] finds them newer
//! than what it holds, so re-reads and duplicates never reach a tablet twice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use proto::client::keepalive::PONG_LINE;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::broadcast;
use tokio_util::codec::FramedRead;

use crate::reply_lines::TextLines;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::board::{Board, Change, Item};
use crate::catalog::{Catalog, Herd};
use crate::herd_link::{MAX_REPLY_LINE, WRITE_TIMEOUT};
use crate::protocol::{Reply, Request};
use crate::push::Pusher;
use crate::servers::{BACKOFF_MIN, Servers};

/// How often the subscription connection sends `EVENTS` to show it is alive
/// (the herd drops idle clients) and to check that the herd still answers.
/// A `PING` from the herd is answered `PONG` as well.
pub const KEEPALIVE: Duration = Duration::from_secs(30);
/// Longest wait for the herd's replies while (re)subscribing, and for any
/// line after a keepalive.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Updates buffered for server-sent-event streams; a stream further behind
/// catches up from the [`Board`] (each change is a topic's whole state).
pub const SSE_CAPACITY: usize = 256;

/// Where updates go: the board, the SSE broadcast and the push registry.
pub struct Updates {
    /// The newest value of every topic.
    board: Board,
    /// Every change, for SSE streams.
    sse: broadcast::Sender<Arc<Change>>,
    /// Tablets registered for pushes.
    pusher: Arc<Pusher>,
}

impl Updates {
    /// Updates that feed `pusher` and SSE streams.
    pub fn new(pusher: Arc<Pusher>) -> Self {
        Self {
            board: Board::new(),
            sse: broadcast::channel(SSE_CAPACITY).0,
            pusher,
        }
    }

    /// The board, for SSE streams' first events and catch-up.
    pub fn board(&self) -> &Board {
        &self.board
    }

    /// A receiver of every published change, for one SSE stream.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.sse.subscribe()
    }

    /// Records `item` on the board and, if it changed anything, sends the
    /// change to SSE streams and queues it for its tablets; never waits.
    pub fn observe(&self, item: Item) {
        let Some(change) = self.board.observe(item) else {
            return;
        };
        if change.pushable() {
            self.pusher.publish(&change);
        }
        let _ = self.sse.send(change);
    }
}

/// Keeps a subscription open until `shutdown`, failing over with `servers`.
pub async fn run(
    servers: Arc<Servers>,
    herd: Arc<Herd>,
    updates: Arc<Updates>,
    keepalive: Duration,
    shutdown: CancellationToken,
) {
    loop {
        let attempt = tokio::select! {
            () = shutdown.cancelled() => return,
            attempt = servers.connect() => attempt,
        };
        if let Ok((stream, index)) = attempt {
            let mut session = Session {
                herd: &herd,
                updates: &updates,
                keepalive,
            };
            let end = session.run(stream, &shutdown).await;
            if shutdown.is_cancelled() {
                return;
            }
            warn!(server = %servers.addr(index), reason = end, "subscription lost; resubscribing");
        }
        let pause = servers.backoff_remaining().unwrap_or(BACKOFF_MIN);
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// One subscription connection.
struct Session<'a> {
    herd: &'a Herd,
    updates: &'a Updates,
    keepalive: Duration,
}

type Lines = FramedRead<OwnedReadHalf, TextLines>;

impl Session<'_> {
    /// Subscribes and handles lines until the connection ends; returns why.
    async fn run(&mut self, stream: TcpStream, shutdown: &CancellationToken) -> &'static str {
        let (read, mut write) = stream.into_split();
        let mut lines = FramedRead::new(read, TextLines::new(MAX_REPLY_LINE));
        let rereads = match self.attach(&mut lines, &mut write).await {
            Ok(rereads) => rereads,
            Err(why) => return why,
        };
        let mut tick = tokio::time::interval(self.keepalive);
        tick.tick().await;
        let mut last_heard = Instant::now();
        loop {
            let next = tokio::select! {
                () = shutdown.cancelled() => return "shutting down",
                _ = tick.tick() => None,
                line = lines.next() => Some(line),
            };
            let line = match next {
                None => {
                    if last_heard.elapsed() > self.keepalive + REPLY_TIMEOUT {
                        return "the herd stopped answering";
                    }
                    if let Err(why) = send(&mut write, &[Request::Events]).await {
                        return why;
                    }
                    continue;
                }
                Some(None) => return "the herd closed the connection",
                Some(Some(Err(_))) => return "unreadable line from the herd",
                Some(Some(Ok(line))) => line,
            };
            last_heard = Instant::now();
            match Reply::parse(&line) {
                Reply::Score(score) | Reply::UpdateScore(score) => self.observe(Item::Score(score)),
                Reply::Tally(tally) | Reply::UpdateTally(tally) => self.observe(Item::Tally(tally)),
                Reply::Lagged(missed) => {
                    warn!(
                        missed,
                        "subscription lagged; re-reading every score and tally"
                    );
                    if let Err(why) = send(&mut write, &rereads).await {
                        return why;
                    }
                }
                Reply::Ping => {
                    if let Err(why) = write_all(&mut write, PONG_LINE).await {
                        return why;
                    }
                }
                Reply::Events(_) | Reply::Teams(_) | Reply::Subscribed => {}
                _ => debug!("ignored a line on the subscription"),
            }
        }
    }

    /// Reads the catalog, subscribes to every event and team and asks for
    /// every score and tally; returns those requests, for re-reads.
    async fn attach(
        &mut self,
        lines: &mut Lines,
        write: &mut OwnedWriteHalf,
    ) -> Result<Vec<Request>, &'static str> {
        // `RELAY` first: the re-reads below are the facade's, not counted
        // in the raffle; its one reply line is skipped.
        send(write, &[Request::Relay, Request::Teams, Request::Events]).await?;
        expect(lines).await?;
        let Reply::Teams(teams) = expect(lines).await? else {
            return Err("unexpected reply to TEAMS");
        };
        let Reply::Events(events) = expect(lines).await? else {
            return Err("unexpected reply to EVENTS");
        };
        let rereads = rereads(&teams, &events);
        let names: Vec<String> = events.iter().chain(&teams).cloned().collect();
        self.herd.set_catalog(Catalog { teams, events });
        if !names.is_empty() {
            let subscribe = std::iter::once(Request::Subscribe(names.clone()));
            let out: Vec<Request> = subscribe.chain(rereads.iter().cloned()).collect();
            send(write, &out).await?;
        }
        info!(names = names.len(), "subscribed to every event and team");
        Ok(rereads)
    }

    fn observe(&mut self, item: Item) {
        debug!(topic = ?item.topic(), "update");
        self.updates.observe(item);
    }
}

/// `SCORE` of every event and `TALLY` of every team.
fn rereads(teams: &[String], events: &[String]) -> Vec<Request> {
    let scores = events.iter().cloned().map(Request::Score);
    scores
        .chain(teams.iter().cloned().map(Request::Tally))
        .collect()
}

/// Writes `requests` in one write, under [`WRITE_TIMEOUT`].
async fn send(write: &mut OwnedWriteHalf, requests: &[Request]) -> Result<(), &'static str> {
    let bytes = Request::encode_all(requests).map_err(|_| "a name cannot be sent to the herd")?;
    write_all(write, &bytes).await
}

/// Writes `bytes` in one write, under [`WRITE_TIMEOUT`].
async fn write_all(write: &mut OwnedWriteHalf, bytes: &[u8]) -> Result<(), &'static str> {
    match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err("write to the herd failed"),
        Err(_) => Err("write to the herd timed out"),
    }
}

/// The next line, under [`REPLY_TIMEOUT`].
async fn expect(lines: &mut Lines) -> Result<Reply, &'static str> {
    match tokio::time::timeout(REPLY_TIMEOUT, lines.next()).await {
        Ok(Some(Ok(line))) => Ok(Reply::parse(&line)),
        Ok(Some(Err(_))) => Err("unreadable line from the herd"),
        Ok(None) => Err("the herd closed the connection"),
        Err(_) => Err("the herd did not answer in time"),
    }
}
