//! The one connection that `SUBSCRIBE`s to every event and turns the herd's
//! `UPDATE SCORE` lines into pushes and server-sent events.
//!
//! On each (re)attach it reads `TEAMS` and `EVENTS` (refreshing the
//! catalog), subscribes, and re-reads every score, so updates made while it
//! was failing over are still delivered. On `LAGGED` it re-reads every score.
//! Scores are published only when newer (by the herd's own last-writer-wins
//! order: time, then server name) than the last one seen, so re-reads and
//! duplicates never reach a tablet twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::broadcast;
use tokio_util::codec::FramedRead;

use crate::reply_lines::TextLines;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::catalog::{Catalog, Herd};
use crate::herd_link::{MAX_REPLY_LINE, WRITE_TIMEOUT};
use crate::protocol::{Reply, Score};
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
/// skips ahead (each update is an event's whole state).
pub const SSE_CAPACITY: usize = 256;

/// Where score updates go: the SSE broadcast and the push registry.
pub struct Updates {
    sse: broadcast::Sender<Arc<Score>>,
    pusher: Arc<Pusher>,
}

impl Updates {
    /// Updates that feed `pusher` and SSE streams.
    pub fn new(pusher: Arc<Pusher>) -> Self {
        Self {
            sse: broadcast::channel(SSE_CAPACITY).0,
            pusher,
        }
    }

    /// A receiver of every published update, for one SSE stream.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Score>> {
        self.sse.subscribe()
    }

    /// Sends `score` to SSE streams and queues it for its tablets; never waits.
    pub fn publish(&self, score: Arc<Score>) {
        self.pusher.publish(&score);
        let _ = self.sse.send(score);
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
    let mut seen = Seen::default();
    loop {
        let attempt = tokio::select! {
            () = shutdown.cancelled() => return,
            attempt = servers.connect() => attempt,
        };
        if let Ok((stream, index)) = attempt {
            let mut session = Session {
                herd: &herd,
                updates: &updates,
                seen: &mut seen,
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

/// The newest score seen per event.
#[derive(Default)]
struct Seen(HashMap<String, Score>);

impl Seen {
    /// Records `score`; true if it is newer than what was seen for its event.
    fn observe(&mut self, score: &Score) -> bool {
        let Some(key) = score.order_key() else {
            return false;
        };
        if let Some(old) = self.0.get(&score.event)
            && old.order_key().is_some_and(|old| old >= key)
        {
            return false;
        }
        self.0.insert(score.event.clone(), score.clone());
        true
    }
}

/// One subscription connection.
struct Session<'a> {
    herd: &'a Herd,
    updates: &'a Updates,
    seen: &'a mut Seen,
    keepalive: Duration,
}

type Lines = FramedRead<OwnedReadHalf, TextLines>;

impl Session<'_> {
    /// Subscribes and handles lines until the connection ends; returns why.
    async fn run(&mut self, stream: TcpStream, shutdown: &CancellationToken) -> &'static str {
        let (read, mut write) = stream.into_split();
        let mut lines = FramedRead::new(read, TextLines::new(MAX_REPLY_LINE));
        let events = match self.attach(&mut lines, &mut write).await {
            Ok(events) => events,
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
                    if let Err(why) = send(&mut write, "EVENTS\n").await {
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
                Reply::Score(score) | Reply::UpdateScore(score) => self.observe(score),
                Reply::Lagged(missed) => {
                    warn!(missed, "subscription lagged; re-reading every score");
                    if let Err(why) = send(&mut write, &score_requests(&events)).await {
                        return why;
                    }
                }
                Reply::Ping => {
                    if let Err(why) = send(&mut write, "PONG\n").await {
                        return why;
                    }
                }
                Reply::Events(_) | Reply::Teams(_) | Reply::Subscribed | Reply::UpdateTally(_) => {}
                _ => debug!("ignored a line on the subscription"),
            }
        }
    }

    /// Reads the catalog, subscribes to every event and asks for every score.
    async fn attach(
        &mut self,
        lines: &mut Lines,
        write: &mut OwnedWriteHalf,
    ) -> Result<Vec<String>, &'static str> {
        send(write, "TEAMS\nEVENTS\n").await?;
        let Reply::Teams(teams) = expect(lines).await? else {
            return Err("unexpected reply to TEAMS");
        };
        let Reply::Events(events) = expect(lines).await? else {
            return Err("unexpected reply to EVENTS");
        };
        self.herd.set_catalog(Catalog {
            teams,
            events: events.clone(),
        });
        if !events.is_empty() {
            let mut out = format!("SUBSCRIBE {}\n", events.join(" "));
            out.push_str(&score_requests(&events));
            send(write, &out).await?;
        }
        info!(events = events.len(), "subscribed to every event");
        Ok(events)
    }

    fn observe(&mut self, score: Score) {
        if self.seen.observe(&score) {
            debug!(event = %score.event, "score update");
            self.updates.publish(Arc::new(score));
        }
    }
}

fn score_requests(events: &[String]) -> String {
    events.iter().map(|e| format!("SCORE {e}\n")).collect()
}

/// Writes `text` in one write, under [`WRITE_TIMEOUT`].
async fn send(write: &mut OwnedWriteHalf, text: &str) -> Result<(), &'static str> {
    match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(text.as_bytes())).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn score(at: Option<&str>, by: &str, gaul: i64) -> Score {
        Score {
            event: "curling".into(),
            scores: vec![("Gaul".into(), gaul)],
            at: at.map(Into::into),
            by: Some(by.into()),
        }
    }

    #[test]
    fn only_newer_scores_are_published() {
        let mut seen = Seen::default();
        assert!(!seen.observe(&score(None, "-", 0)), "never set");
        assert!(seen.observe(&score(Some("10.000000001"), "A", 1)));
        assert!(
            !seen.observe(&score(Some("10.000000001"), "A", 1)),
            "duplicate"
        );
        assert!(!seen.observe(&score(Some("9.999999999"), "Z", 2)), "older");
        assert!(
            seen.observe(&score(Some("10.000000001"), "B", 3)),
            "same time, greater server"
        );
        assert!(seen.observe(&score(Some("11"), "A", 4)));
        assert!(!seen.observe(&score(Some("12.x"), "A", 5)), "bad time");
    }
}
