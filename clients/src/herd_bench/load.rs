//! Pipelined IAMAT load: `connections` persistent connections, each keeping
//! `window` commands in flight, for a warm-up and then a measured interval.
//!
//! Each connection reports for its own `clients_per_connection` clients in
//! turn (a herd of phones, each reporting now and then; with one client per
//! connection, one phone reporting as fast as it can), with strictly
//! increasing client times, so every IAMAT is the newest for its client and
//! a herd server stores and floods every one. A reply's latency is from the moment
//! its command was written to the read that completed it; only replies
//! completed inside the measured interval count.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::time::Instant;

use crate::connection::Connection;
use crate::harness::window::{Throughput, Window};
use proto::client::IAmAt;
use proto::reply::frame::{Shape, is_at};
use proto::timestamp::{format_posix, now_nanos};

/// The shape of a load run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Persistent connections, each driven by its own task.
    pub connections: usize,
    /// Commands in flight per connection.
    pub window: usize,
    /// Run before measuring, so connections and caches are warm.
    pub warmup: Duration,
    /// The measured interval.
    pub duration: Duration,
    /// Distinct clients each connection reports for, in turn.
    pub clients_per_connection: usize,
    /// Client IDs are `PREFIX-N` for connection N's only client, or
    /// `PREFIX-N-K` for its client K.
    pub client_prefix: String,
}

impl LoadConfig {
    /// Client `k` of connection `conn`.
    fn client_id(&self, conn: usize, k: usize) -> String {
        if self.clients_per_connection == 1 {
            format!("{}-{conn}", self.client_prefix)
        } else {
            format!("{}-{conn}-{k}", self.client_prefix)
        }
    }

    /// Every client connection `conn` reports for, in the order it does.
    fn clients_of(&self, conn: usize) -> Vec<String> {
        (0..self.clients_per_connection)
            .map(|k| self.client_id(conn, k))
            .collect()
    }

    /// Up to `most` of the load's clients, spread evenly over connections
    /// and over each connection's clients: the ones checked afterwards.
    pub fn sample_client_ids(&self, most: usize) -> Vec<String> {
        let per_conn = (most / self.connections.max(1)).clamp(1, self.clients_per_connection);
        let stride = self.clients_per_connection / per_conn;
        (0..self.connections)
            .flat_map(|conn| (0..per_conn).map(move |i| (conn, i * stride)))
            .take(most)
            .map(|(conn, k)| self.client_id(conn, k))
            .collect()
    }

    /// Every client the load reports for.
    pub fn total_clients(&self) -> usize {
        self.connections * self.clients_per_connection
    }
}

/// What a load run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Replies completed inside the measured interval, and their latencies.
    pub throughput: Throughput,
    /// Replies that were not an AT line.
    pub bad_replies: u64,
    /// The first such reply, for the report.
    pub first_bad: Option<String>,
    /// Every reply read, warm-up and drain included: the reports the herd
    /// handled, to divide its whole cost by.
    pub replies: u64,
}

impl LoadResult {
    /// Completed replies per second of the measured interval.
    pub fn ops_per_sec(&self) -> f64 {
        self.throughput.ops_per_sec()
    }

    fn merge(&mut self, other: LoadResult) {
        self.throughput.merge(other.throughput);
        self.bad_replies += other.bad_replies;
        self.replies += other.replies;
        if self.first_bad.is_none() {
            self.first_bad = other.first_bad;
        }
    }
}

/// Runs the load against `addr` and adds up every connection's result.
pub async fn pipelined_iamat(addr: SocketAddr, config: &LoadConfig) -> anyhow::Result<LoadResult> {
    let mut conns = Vec::with_capacity(config.connections);
    for _ in 0..config.connections {
        conns.push(Connection::connect(addr).await?);
    }
    let span = Window::starting_now(config.warmup, config.duration);
    let tasks: Vec<_> = (conns.into_iter().enumerate())
        .map(|(i, conn)| tokio::spawn(drive(conn, config.clients_of(i), config.window, span)))
        .collect();
    let mut total = LoadResult {
        throughput: Throughput::over(&span),
        ..LoadResult::default()
    };
    for task in tasks {
        total.merge(task.await.context("a load task panicked")??);
    }
    Ok(total)
}

/// One connection's loop: fill the window, then for every reply read take
/// its latency and send a new command, batching the new commands of one
/// read into one write; once `span` closes, stop sending and drain. The
/// commands report for `clients` in turn.
async fn drive(
    mut conn: Connection,
    clients: Vec<String>,
    window: usize,
    span: Window,
) -> anyhow::Result<LoadResult> {
    let mut result = LoadResult::default();
    let mut in_flight: VecDeque<Instant> = VecDeque::with_capacity(window);
    let mut out = Vec::with_capacity(window * 80);
    let mut last_time = 0i128;
    let mut turn = clients.iter().cycle();
    let mut push = |out: &mut Vec<u8>, in_flight: &mut VecDeque<Instant>| {
        last_time = now_nanos().max(last_time + 1);
        let client = turn.next().expect("a connection reports for a client");
        let line = IAmAt::line(client, super::COORDS, &format_posix(last_time));
        out.extend_from_slice(line.as_bytes());
        in_flight.push_back(Instant::now());
    };
    for _ in 0..window {
        push(&mut out, &mut in_flight);
    }
    conn.send(&out).await?;
    out.clear();
    while !in_flight.is_empty() {
        conn.read_more().await?;
        let now = Instant::now();
        while let Some(reply) = conn.next_reply(Shape::Line) {
            let sent = in_flight
                .pop_front()
                .context("a reply arrived with no command in flight")?;
            result.replies += 1;
            if !is_at(&reply) {
                result.bad_replies += 1;
                result
                    .first_bad
                    .get_or_insert_with(|| String::from_utf8_lossy(&reply).into_owned());
            }
            result.throughput.record(&span, sent, now);
            if span.is_open(now) {
                push(&mut out, &mut in_flight);
            }
        }
        if !out.is_empty() {
            conn.send(&out).await?;
            out.clear();
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn load_against_baseline_counts_only_good_replies_in_window() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(crate::baseline::serve(listener, Arc::from("Base")));
        let config = LoadConfig {
            connections: 2,
            window: 4,
            warmup: Duration::from_millis(50),
            duration: Duration::from_millis(200),
            clients_per_connection: 3,
            client_prefix: "t".into(),
        };
        let result = pipelined_iamat(addr, &config).await.unwrap();
        server.abort();
        assert_eq!(result.bad_replies, 0, "{:?}", result.first_bad);
        let measured = &result.throughput;
        assert!(measured.completed > 10, "{result:?}");
        assert_eq!(measured.latencies.len() as u64, measured.completed);
        assert!(measured.latencies.iter().all(|&l| l < 1_000_000_000));
        assert!(result.replies >= measured.completed, "{result:?}");
    }

    #[test]
    fn clients_are_per_connection_and_the_sample_spreads_over_them() {
        let config = |clients_per_connection| LoadConfig {
            connections: 4,
            window: 1,
            warmup: Duration::ZERO,
            duration: Duration::ZERO,
            clients_per_connection,
            client_prefix: "p".into(),
        };
        let one = config(1);
        assert_eq!(one.clients_of(2), ["p-2"]);
        assert_eq!(one.sample_client_ids(100), ["p-0", "p-1", "p-2", "p-3"]);
        let many = config(1000);
        assert_eq!(many.total_clients(), 4000);
        assert_eq!(many.clients_of(3).len(), 1000);
        assert_eq!(many.clients_of(3)[999], "p-3-999");
        let sample = many.sample_client_ids(8);
        assert_eq!(
            sample,
            [
                "p-0-0", "p-0-500", "p-1-0", "p-1-500", "p-2-0", "p-2-500", "p-3-0", "p-3-500"
            ]
        );
    }
}
