//! What a herd server counts about itself, and the Prometheus exporter that
//! shows it.
//!
//! The hot path only touches [`ServerMetrics`]: a fixed table of atomics per
//! (verb, outcome) fed once per batch by each connection's
//! [`RequestMeter`], a lock-free [`LatencyHistogram`] of reply latency, and
//! a count of open connections. Everything else (link state, queue depth,
//! drops, anti-entropy repairs, the journal) is read from the server's own
//! state when someone scrapes, by the collector in `export`. Nothing is
//! global: each server has its own registry, so tests can run several
//! servers in one process.
//!
//! A server serves `GET /metrics` only when the topology's `[metrics]
//! listen` table names it ([`MetricsConfig`]); [`listener`] is that HTTP
//! listener.

mod export;
mod histogram;
pub mod listener;
mod requests;

pub use base::topology::MetricsConfig;
pub use export::{CONTENT_TYPE, encode, registry};
pub use histogram::{LATENCY_BOUNDS_NS, LatencyHistogram, latency_bounds_secs};
pub use requests::{Outcome, RequestCounters, RequestMeter, Verb};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The counters the client port updates. Lives in
/// [`Shared`](crate::shared::Shared).
#[derive(Debug)]
pub struct ServerMetrics {
    /// Requests answered, by verb and outcome.
    pub requests: RequestCounters,
    /// From the read that delivered a line to the end of the write that
    /// carried its reply.
    pub reply_latency: LatencyHistogram,
    /// Time to write and fsync each batch of the Olympic journal; the
    /// journal reports into it ([`olympic::FsyncObserver`]).
    pub journal_fsync: Arc<LatencyHistogram>,
    /// Client connections being served.
    connections_open: AtomicU64,
    /// When the server started, for its uptime.
    started: Instant,
}

impl Default for ServerMetrics {
    fn default() -> Self {
        Self {
            requests: RequestCounters::default(),
            reply_latency: LatencyHistogram::new(),
            journal_fsync: Arc::new(LatencyHistogram::new()),
            connections_open: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

impl ServerMetrics {
    /// Zeroed counters; the uptime starts now.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a client connection as open until the guard is dropped.
    pub fn connection_opened(&self) -> OpenConnection<'_> {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
        OpenConnection(&self.connections_open)
    }

    /// Client connections being served.
    pub fn connections_open(&self) -> u64 {
        self.connections_open.load(Ordering::Relaxed)
    }

    /// Time since the server started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}

/// One open client connection; closes it in the count when dropped.
#[derive(Debug)]
pub struct OpenConnection<'a>(&'a AtomicU64);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_connections_are_counted_until_their_guard_drops() {
        let metrics = ServerMetrics::new();
        let a = metrics.connection_opened();
        let b = metrics.connection_opened();
        assert_eq!(metrics.connections_open(), 2);
        drop(a);
        drop(b);
        assert_eq!(metrics.connections_open(), 0);
    }
}
