//! Requests to the herd over a small pool of persistent, pipelined
//! connections.
//!
//! Each connection has one writer task, fed by a bounded channel, and one
//! reader task. The herd answers every command with exactly one line, in
//! order, so each connection keeps a FIFO of waiters: the writer appends a
//! waiter just before writing its line, and each reply line goes to the
//! oldest waiter. Connections are opened lazily through [`Servers`], so a
//! connection that dropped (herd restarted, idle timeout) is replaced on the
//! next request, on the same server if it answers or the next one if not.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::FramedRead;

use crate::reply_lines::TextLines;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::protocol::{Reply, Request, Unsendable};
use crate::servers::{Servers, Unreachable};

/// Persistent connections kept to the herd.
pub const POOL_SIZE: usize = 4;
/// Requests queued for one connection's writer before senders wait.
pub const QUEUE_PER_CONNECTION: usize = 256;
/// Most requests the writer puts into one write.
const WRITE_BATCH: usize = 64;
/// Longest reply line accepted from the herd; a longer one drops the connection.
pub const MAX_REPLY_LINE: usize = 64 * 1024;
/// Longest wait for a write to the herd's socket.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Default deadline for a whole request: connect, queue, write and reply.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a request got no reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// No herd server could be reached.
    #[error("no herd server is reachable")]
    Unreachable,
    /// The herd did not answer within the request timeout.
    #[error("the herd did not answer in time")]
    Timeout,
    /// The connection dropped after the request was sent; a write may or may
    /// not have been applied.
    #[error("the connection to the herd was lost")]
    Lost,
    /// The herd answered with something the protocol does not allow here.
    #[error("the herd sent an unexpected reply")]
    Unexpected,
    /// The request cannot be written as command lines ([`Unsendable`]);
    /// nothing was sent.
    #[error("the request cannot be sent to the herd")]
    Unsendable,
}

impl From<Unsendable> for LinkError {
    fn from(_: Unsendable) -> Self {
        LinkError::Unsendable
    }
}

impl From<Unreachable> for LinkError {
    fn from(_: Unreachable) -> Self {
        LinkError::Unreachable
    }
}

/// How one attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The request never reached the socket: always safe to retry.
    NotSent,
    /// The request was written but the connection dropped before its reply.
    Lost,
}

/// Requests waiting to be written together, in one write on one
/// connection.
struct Pending {
    /// The request lines, terminators included.
    line: Vec<u8>,
    /// Where their reply lines go, one per request, in order.
    replies: Vec<oneshot::Sender<Result<String, Failure>>>,
}

impl Pending {
    /// Tells every waiter its request never reached the socket.
    fn not_sent(self) {
        for reply in self.replies {
            let _ = reply.send(Err(Failure::NotSent));
        }
    }
}

/// Waiters for replies, oldest first. Shared by one connection's reader and
/// writer behind a std mutex that is never held across `.await`.
#[derive(Default)]
struct Fifo {
    /// Set by the reader when the connection is done; no waiter is added after.
    closed: bool,
    waiters: VecDeque<oneshot::Sender<Result<String, Failure>>>,
}

/// A handle on one live connection.
#[derive(Clone)]
struct Conn {
    /// Feeds the writer task.
    tx: mpsc::Sender<Pending>,
    /// Index of the server it is attached to.
    server: usize,
    /// Cancelled when the connection is finished, by either task or a timeout.
    closed: CancellationToken,
}

/// The pool. Cheap to share behind an `Arc`.
pub struct HerdLink {
    servers: Arc<Servers>,
    /// Connection slots, used round-robin. The async mutex serialises the
    /// (re)connection of one slot; it is held only while a connection is being
    /// opened, and every request runs under a timeout.
    slots: Vec<tokio::sync::Mutex<Option<Conn>>>,
    /// Round-robin cursor over `slots`.
    next: AtomicUsize,
    /// Deadline for every request.
    timeout: Duration,
    /// Cancelled on shutdown; every connection token is a child of it.
    shutdown: CancellationToken,
}

impl HerdLink {
    /// A pool of [`POOL_SIZE`] connections over `servers`; nothing is opened
    /// until the first request.
    pub fn new(servers: Arc<Servers>, timeout: Duration, shutdown: CancellationToken) -> Self {
        Self {
            servers,
            slots: (0..POOL_SIZE)
                .map(|_| tokio::sync::Mutex::new(None))
                .collect(),
            next: AtomicUsize::new(0),
            timeout,
            shutdown,
        }
    }

    /// Sends `request` and waits for its reply line. A request that never
    /// reached the socket is retried once; one lost in flight is retried once
    /// only if [`Request::retryable`].
    pub async fn request(&self, request: &Request) -> Result<Reply, LinkError> {
        let mut replies = self
            .request_many(std::slice::from_ref(request), self.timeout)
            .await?;
        replies.pop().ok_or(LinkError::Unexpected)
    }

    /// Sends `requests` together on one connection, in order, within
    /// `timeout`, and returns their replies in order: the herd applies them
    /// one after the other, so a `VERSION` before a read is covered by what
    /// the read returns, and one after a write covers the write. Retried as
    /// [`HerdLink::request`] retries, a loss only if every request may be.
    pub async fn request_many(
        &self,
        requests: &[Request],
        timeout: Duration,
    ) -> Result<Vec<Reply>, LinkError> {
        let line = Request::encode_all(requests)?;
        let retryable = requests.iter().all(Request::retryable);
        let replies = match self.attempt(&line, requests.len(), timeout).await? {
            Ok(replies) => replies,
            Err(Failure::NotSent) => self.retry(&line, requests.len(), timeout).await?,
            Err(Failure::Lost) if retryable => self.retry(&line, requests.len(), timeout).await?,
            Err(Failure::Lost) => return Err(LinkError::Lost),
        };
        Ok(replies.iter().map(|line| Reply::parse(line)).collect())
    }

    async fn retry(
        &self,
        line: &[u8],
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<String>, LinkError> {
        debug!("retrying on a fresh connection");
        match self.attempt(line, count, timeout).await? {
            Ok(replies) => Ok(replies),
            Err(_) => Err(LinkError::Lost),
        }
    }

    /// One try of `count` requests under `timeout`. On a timeout the
    /// connection is closed (its waiters would otherwise wait behind a stuck
    /// reply) and the next server becomes current.
    async fn attempt(
        &self,
        line: &[u8],
        count: usize,
        timeout: Duration,
    ) -> Result<Result<Vec<String>, Failure>, LinkError> {
        let mut used: Option<Conn> = None;
        let work = async {
            let conn = self.conn().await?;
            used = Some(conn.clone());
            let (replies, waits): (Vec<_>, Vec<_>) = (0..count).map(|_| oneshot::channel()).unzip();
            let pending = Pending {
                line: line.to_owned(),
                replies,
            };
            if conn.tx.send(pending).await.is_err() {
                return Ok(Err(Failure::NotSent));
            }
            let mut lines = Vec::with_capacity(count);
            for wait in waits {
                match wait.await.unwrap_or(Err(Failure::NotSent)) {
                    Ok(line) => lines.push(line),
                    Err(failure) => return Ok(Err(failure)),
                }
            }
            Ok(Ok(lines))
        };
        let outcome = tokio::time::timeout(timeout, work).await;
        match outcome {
            Ok(result) => result,
            Err(_) => {
                if let Some(conn) = used {
                    conn.closed.cancel();
                    self.servers.skip(conn.server);
                }
                Err(LinkError::Timeout)
            }
        }
    }

    /// The next slot's connection, opened if it is missing or finished.
    async fn conn(&self) -> Result<Conn, LinkError> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let mut slot = self.slots[index].lock().await;
        if let Some(conn) = slot.as_ref()
            && !conn.closed.is_cancelled()
        {
            return Ok(conn.clone());
        }
        let (mut stream, server) = self.servers.connect().await?;
        // The facade counts its requests itself (`COUNT`).
        if let Err(e) = crate::raffle::relay(&mut stream).await {
            debug!(error = %e, "RELAY failed");
            return Err(LinkError::Unreachable);
        }
        let conn = spawn_conn(stream, server, self.shutdown.child_token());
        *slot = Some(conn.clone());
        Ok(conn)
    }
}

/// Starts the reader and writer tasks of a new connection.
fn spawn_conn(stream: TcpStream, server: usize, closed: CancellationToken) -> Conn {
    let (read, write) = stream.into_split();
    let (tx, rx) = mpsc::channel(QUEUE_PER_CONNECTION);
    let fifo = Arc::new(Mutex::new(Fifo::default()));
    tokio::spawn(write_loop(write, rx, fifo.clone(), closed.clone()));
    tokio::spawn(read_loop(read, fifo, closed.clone()));
    Conn { tx, server, closed }
}

/// Writes queued requests, a batch per write, registering each waiter in the
/// FIFO before its bytes go out.
async fn write_loop(
    mut write: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Pending>,
    fifo: Arc<Mutex<Fifo>>,
    closed: CancellationToken,
) {
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    let mut buf = Vec::new();
    loop {
        let received = tokio::select! {
            () = closed.cancelled() => 0,
            n = rx.recv_many(&mut batch, WRITE_BATCH) => n,
        };
        if received == 0 {
            break;
        }
        buf.clear();
        {
            let mut fifo = fifo.lock().unwrap();
            if fifo.closed {
                break;
            }
            for pending in batch.drain(..) {
                buf.extend_from_slice(&pending.line);
                fifo.waiters.extend(pending.replies);
            }
        }
        match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(&buf)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                debug!(error = %e, "herd connection write failed");
                break;
            }
            Err(_) => {
                warn!("herd connection write timed out");
                break;
            }
        }
    }
    closed.cancel();
    rx.close();
    for pending in batch.drain(..) {
        pending.not_sent();
    }
    while let Ok(pending) = rx.try_recv() {
        pending.not_sent();
    }
}

/// Hands each reply line to the oldest waiter; when the connection ends,
/// fails every waiter left.
async fn read_loop(read: OwnedReadHalf, fifo: Arc<Mutex<Fifo>>, closed: CancellationToken) {
    let mut lines = FramedRead::new(read, TextLines::new(MAX_REPLY_LINE));
    loop {
        let next = tokio::select! {
            () = closed.cancelled() => break,
            next = lines.next() => next,
        };
        match next {
            Some(Ok(line)) => {
                let waiter = fifo.lock().unwrap().waiters.pop_front();
                match waiter {
                    Some(waiter) => {
                        let _ = waiter.send(Ok(line));
                    }
                    None => {
                        // The line is not logged: it is not ours to show.
                        warn!("herd sent a line nobody asked for; dropping the connection");
                        break;
                    }
                }
            }
            Some(Err(e)) => {
                warn!(error = %e, "unreadable reply from the herd; dropping the connection");
                break;
            }
            None => {
                debug!("herd closed the connection");
                break;
            }
        }
    }
    closed.cancel();
    let waiters = {
        let mut fifo = fifo.lock().unwrap();
        fifo.closed = true;
        std::mem::take(&mut fifo.waiters)
    };
    for waiter in waiters {
        let _ = waiter.send(Err(Failure::Lost));
    }
}
