//! The herd servers a facade uses for requests, all at once: each
//! `--herd` server is a replica with its own pools of connections
//! ([`HerdLink`]), one for reads and one for writes. Reads go to the healthy replica with the fewest requests
//! outstanding; a replica that fails or stalls is taken out for a while and
//! probed back in by the next request after that; a read that fails on one
//! is retried on another. Writes go the same way (the herd is multi-writer)
//! but are moved to another replica only when that cannot apply them twice:
//! never sent, or retryable ([`Request::retryable`]).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::herd_link::{HerdLink, LinkError};
use crate::protocol::{Reply, Request};
use crate::servers::Servers;

/// Deadline of one read attempt on one replica: a replica slower than this
/// is taken out and the read moves on to another.
pub const READ_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a failed replica is left out first; doubled on each further
/// failure in a row, up to [`OUT_MAX`].
pub const OUT_MIN: Duration = Duration::from_millis(250);
/// Longest a failed replica is left out before it is probed again.
pub const OUT_MAX: Duration = Duration::from_secs(4);

/// One herd server and what the facade knows of it.
struct Replica {
    /// Its `host:port` client address.
    addr: String,
    /// Its connection pool for reads, apart from the writes' so that a read
    /// never waits behind a write's fsync, and a read's shorter deadline
    /// never closes a connection with writes in flight.
    reads: HerdLink,
    /// Its connection pool for writes.
    writes: HerdLink,
    /// Requests sent to it and not yet answered: the balancing measure.
    outstanding: AtomicUsize,
    /// Set while it is out after a failure. Never held across `.await`.
    out: Mutex<Out>,
}

/// A replica's failures.
#[derive(Default)]
struct Out {
    /// No request before this instant, unless every replica is out.
    until: Option<Instant>,
    /// Time it is left out after the next failure.
    next: Option<Duration>,
}

/// A connection pool to the one server at `addr`.
fn pool(addr: &str, timeout: Duration, shutdown: &CancellationToken) -> HerdLink {
    let servers = Arc::new(Servers::new(vec![addr.to_owned()]));
    HerdLink::new(servers, timeout, shutdown.clone())
}

/// Every replica of `--herd`, in order.
pub struct Replicas {
    replicas: Vec<Replica>,
    /// Rotates the first replica considered, so equal loads spread.
    cursor: AtomicUsize,
}

/// A request's replies and the replica that answered.
pub struct Answer {
    /// The replies, one per request, in order.
    pub replies: Vec<Reply>,
    /// Index of the replica.
    pub replica: usize,
}

impl Replicas {
    /// One replica per address, each with a pool whose requests time out
    /// after `timeout`.
    pub fn new(addrs: &[String], timeout: Duration, shutdown: &CancellationToken) -> Self {
        let replicas = addrs
            .iter()
            .map(|addr| Replica {
                addr: addr.clone(),
                reads: pool(addr, timeout, shutdown),
                writes: pool(addr, timeout, shutdown),
                outstanding: AtomicUsize::new(0),
                out: Mutex::new(Out::default()),
            })
            .collect();
        Self {
            replicas,
            cursor: AtomicUsize::new(0),
        }
    }

    /// How many replicas there are.
    pub fn len(&self) -> usize {
        self.replicas.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.replicas.is_empty()
    }

    /// The address of replica `index`.
    pub fn addr(&self, index: usize) -> &str {
        &self.replicas[index].addr
    }

    /// The healthy replica with the fewest requests outstanding, among
    /// those not in `skip`; if every one is out, the one out the longest
    /// ago is probed; `None` if every replica is in `skip`.
    pub fn pick(&self, skip: &[usize]) -> Option<usize> {
        let n = self.replicas.len();
        let start = self.cursor.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let candidates = (0..n)
            .map(|k| (start + k) % n)
            .filter(|i| !skip.contains(i));
        let mut best: Option<(bool, usize, Option<Instant>, usize)> = None;
        for index in candidates {
            let replica = &self.replicas[index];
            let until = replica.out.lock().unwrap().until;
            let healthy = until.is_none_or(|t| t <= now);
            let load = replica.outstanding.load(Ordering::Relaxed);
            let better = match best {
                None => true,
                Some((best_healthy, best_load, best_until, _)) => match (healthy, best_healthy) {
                    (true, false) => true,
                    (false, true) => false,
                    (true, true) => load < best_load,
                    (false, false) => until < best_until,
                },
            };
            if better {
                best = Some((healthy, load, until, index));
            }
        }
        best.map(|(_, _, _, index)| index)
    }

    /// Sends `requests` together to replica `index` within `timeout`,
    /// counting it outstanding meanwhile, and takes the replica out if it
    /// failed (anything but an answer or an unexpected line).
    pub async fn send(
        &self,
        index: usize,
        requests: &[Request],
        timeout: Duration,
    ) -> Result<Vec<Reply>, LinkError> {
        let replica = &self.replicas[index];
        let link = if requests.iter().any(Request::is_write) {
            &replica.writes
        } else {
            &replica.reads
        };
        replica.outstanding.fetch_add(1, Ordering::Relaxed);
        let result = link.request_many(requests, timeout).await;
        replica.outstanding.fetch_sub(1, Ordering::Relaxed);
        match &result {
            Ok(_) => self.healthy(index),
            Err(LinkError::Unexpected | LinkError::Unsendable) => {}
            Err(error) => self.failed(index, *error),
        }
        result
    }

    /// Sends `requests` to one replica after another until one answers:
    /// a read, or a write that is moved on only when that cannot apply it
    /// twice. A write that never left the facade moves on; one lost in
    /// flight or timed out moves on only if it sets a score (setting it
    /// again is harmless). A `MEDAL` does not: even with an idempotency key,
    /// another server may not hold the key yet (the pool retries it on the
    /// same server instead). Each replica is tried at most once.
    pub async fn request(
        &self,
        requests: &[Request],
        timeout: Duration,
    ) -> Result<Answer, LinkError> {
        let retryable = !requests.iter().any(|r| matches!(r, Request::Medal(..)));
        let mut tried = Vec::with_capacity(self.replicas.len());
        let mut last = LinkError::Unreachable;
        while let Some(index) = self.pick(&tried) {
            tried.push(index);
            match self.send(index, requests, timeout).await {
                Ok(replies) => {
                    return Ok(Answer {
                        replies,
                        replica: index,
                    });
                }
                Err(LinkError::Unreachable) => last = LinkError::Unreachable,
                Err(error @ (LinkError::Lost | LinkError::Timeout)) if retryable => last = error,
                Err(error) => return Err(error),
            }
        }
        Err(last)
    }

    /// Replica `index` answered: it is back in.
    fn healthy(&self, index: usize) {
        let replica = &self.replicas[index];
        let mut out = replica.out.lock().unwrap();
        if out.until.is_some() {
            info!(server = %replica.addr, "herd server answers again");
        }
        *out = Out::default();
    }

    /// Replica `index` failed: out for a while, longer each time in a row.
    fn failed(&self, index: usize, error: LinkError) {
        let replica = &self.replicas[index];
        let mut out = replica.out.lock().unwrap();
        let now = Instant::now();
        if out.until.is_some_and(|until| until > now) {
            // Requests that were in flight when it failed: one failure.
            return;
        }
        let pause = out.next.unwrap_or(OUT_MIN);
        if out.until.is_none() {
            warn!(server = %replica.addr, %error, "herd server taken out of rotation");
        }
        out.until = Some(now + pause);
        out.next = Some((pause * 2).min(OUT_MAX));
    }
}
