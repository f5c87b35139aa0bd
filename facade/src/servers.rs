//! The herd servers the facade may attach to, which one it is attached to,
//! and how it fails over: round-robin from the current server, with a backoff
//! while none of them answers.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tracing::{debug, info, warn};

/// Longest wait for one TCP connect to a herd server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// First pause after every server refused; doubled on each further round.
pub const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest pause between rounds of connection attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// No server of the list could be reached.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("no herd server is reachable")]
pub struct Unreachable;

/// The ordered list of herd client addresses.
#[derive(Debug)]
pub struct Servers {
    /// `host:port` client addresses, in order of preference.
    addrs: Vec<String>,
    /// Index of the server the facade is attached to; connections start there.
    current: AtomicUsize,
    /// Set after a round in which every server refused: until `retry_at`,
    /// connection attempts fail at once instead of hammering dead servers.
    /// Never held across `.await`.
    backoff: Mutex<Backoff>,
}

#[derive(Debug, Default)]
struct Backoff {
    /// Pause used after the last failed round.
    delay: Option<Duration>,
    /// No attempt before this instant.
    retry_at: Option<Instant>,
}

impl Servers {
    /// A list of `host:port` addresses; it must not be empty.
    pub fn new(addrs: Vec<String>) -> Self {
        assert!(!addrs.is_empty(), "at least one herd server is needed");
        Self {
            addrs,
            current: AtomicUsize::new(0),
            backoff: Mutex::new(Backoff::default()),
        }
    }

    /// The address of server `index`.
    pub fn addr(&self, index: usize) -> &str {
        &self.addrs[index]
    }

    /// Every address, in order of preference.
    pub fn addrs(&self) -> &[String] {
        &self.addrs
    }

    /// Index of the server the facade is attached to.
    pub fn current(&self) -> usize {
        self.current.load(Ordering::Acquire)
    }

    /// How long the next round of attempts is held back, if at all.
    pub fn backoff_remaining(&self) -> Option<Duration> {
        let backoff = self.backoff.lock().unwrap();
        let remaining = backoff.retry_at?.checked_duration_since(Instant::now())?;
        (!remaining.is_zero()).then_some(remaining)
    }

    /// Connects to the current server, or to the next ones in turn if it does
    /// not answer; the one that answers becomes current. Returns the stream
    /// (no-delay set) and the server's index.
    pub async fn connect(&self) -> Result<(TcpStream, usize), Unreachable> {
        if self.backoff_remaining().is_some() {
            return Err(Unreachable);
        }
        let start = self.current.load(Ordering::Acquire);
        let n = self.addrs.len();
        for k in 0..n {
            let index = (start + k) % n;
            let addr = &self.addrs[index];
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        warn!(server = %addr, error = %e, "cannot set TCP_NODELAY");
                    }
                    let previous = self.current.swap(index, Ordering::AcqRel);
                    let mut backoff = self.backoff.lock().unwrap();
                    if previous != index || backoff.delay.is_some() {
                        info!(server = %addr, "attached to herd server");
                    }
                    *backoff = Backoff::default();
                    return Ok((stream, index));
                }
                Ok(Err(e)) => debug!(server = %addr, error = %e, "herd server unreachable"),
                Err(_) => debug!(server = %addr, "herd server connect timed out"),
            }
        }
        let mut backoff = self.backoff.lock().unwrap();
        if backoff.delay.is_none() {
            // Once per outage, not once per retry.
            warn!(servers = %self.addrs.join(","), "no herd server is reachable; retrying with backoff");
        }
        let delay = backoff
            .delay
            .map_or(BACKOFF_MIN, |d| (d * 2).min(BACKOFF_MAX));
        backoff.delay = Some(delay);
        backoff.retry_at = Some(Instant::now() + delay);
        Err(Unreachable)
    }

    /// Server `index` stopped answering in time: make the next one current,
    /// unless someone already moved on.
    pub fn skip(&self, index: usize) {
        let next = (index + 1) % self.addrs.len();
        if next != index
            && self
                .current
                .compare_exchange(index, next, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            warn!(from = %self.addrs[index], to = %self.addrs[next], "failing over");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connect_skips_dead_servers_and_backs_off_when_all_are_dead() {
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        let live = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let servers = Servers::new(vec![dead.clone(), live.local_addr().unwrap().to_string()]);
        let (_, index) = servers.connect().await.unwrap();
        assert_eq!(index, 1);
        drop(live);
        let all_dead = Servers::new(vec![dead]);
        assert!(all_dead.connect().await.is_err());
        assert!(all_dead.backoff_remaining().is_some());
        // Within the backoff the next attempt fails without trying.
        assert!(all_dead.connect().await.is_err());
    }
}
