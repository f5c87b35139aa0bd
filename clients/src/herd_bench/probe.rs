//! Latency samples taken one at a time, with the server otherwise idle:
//! grader-style IAMAT rounds, flood propagation across the herd, and
//! WHATSAT round trips.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use tokio::time::{Instant, sleep};

use crate::connection::Connection;
use crate::exchange::{Timeouts, exchange};
use crate::harness::stats::nanos;
use proto::client::{IAmAt, WhatsAt};
use proto::reply::frame::{Shape, is_at, is_invalid};
use proto::timestamp::{format_posix, now_nanos};

/// Longest a location may take to cross the herd before a sample counts as missed.
pub const FLOOD_DEADLINE: Duration = Duration::from_secs(2);

/// Most WHATSAT polls for one flood sample, a second bound beside the deadline.
pub const MAX_POLLS: u64 = 100_000;

/// Missed flood samples after which sampling stops: the links are down,
/// and waiting out every sample's deadline would only make the run long.
pub const MAX_MISSES: usize = 3;

/// Pause between flood samples, so each starts with the herd idle.
const IDLE_GAP: Duration = Duration::from_millis(1);

/// How long after a load run the servers get to agree before the
/// disagreements are reported.
pub const AGREEMENT_WAIT: Duration = Duration::from_secs(2);

/// Pause between rounds of asking whether the servers agree.
const AGREEMENT_RETRY: Duration = Duration::from_millis(50);

/// Where the WHATSAT probe's client is, one microdegree from the spec's example.
pub const WHATSAT_COORDS: &str = "+34.068931-118.445127";

/// WHATSAT probe radius, km.
pub const WHATSAT_RADIUS: &str = "10";

/// WHATSAT probe bound.
pub const WHATSAT_BOUND: &str = "20";

/// `samples` grader-style rounds against `addr`: connect, send one IAMAT,
/// half-close, read to EOF. Each round's time covers all of that. Fails on
/// any reply that is not exactly one AT line.
pub async fn grader_style(
    addr: SocketAddr,
    samples: usize,
    prefix: &str,
) -> anyhow::Result<Vec<u64>> {
    let timeouts = Timeouts {
        connect: Duration::from_secs(5),
        reply: Duration::from_secs(5),
    };
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples {
        let line = IAmAt::line(
            &format!("{prefix}-{i}"),
            super::COORDS,
            &format_posix(now_nanos()),
        );
        let start = Instant::now();
        let reply = exchange(addr, line.as_bytes(), timeouts).await?;
        latencies.push(nanos(start.elapsed()));
        let lines = reply.iter().filter(|&&b| b == b'\n').count();
        ensure!(
            is_at(&reply) && lines == 1 && reply.ends_with(b"\n"),
            "grader-style IAMAT to {addr} got {:?}",
            String::from_utf8_lossy(&reply)
        );
    }
    Ok(latencies)
}

/// Sends `WHATSAT client 1 1` on `conn` until the answer is an AT line
/// (the server knows `client`) or `deadline` / [`MAX_POLLS`] passes.
/// Returns the number of polls, or `None` if the client never became known.
/// The round trip of every `?` answer is appended to `misses`.
pub async fn poll_until_known(
    conn: &mut Connection,
    client: &str,
    deadline: Instant,
    misses: &mut Vec<u64>,
) -> anyhow::Result<Option<u64>> {
    let line = WhatsAt::line(client, "1", "1");
    for polls in 1..=MAX_POLLS {
        let start = Instant::now();
        let reply = conn.request(line.as_bytes(), Shape::Whatsat).await?;
        if is_at(&reply) {
            return Ok(Some(polls));
        }
        misses.push(nanos(start.elapsed()));
        if !is_invalid(&reply) {
            bail!(
                "WHATSAT to {} got {:?}",
                conn.addr(),
                String::from_utf8_lossy(&reply)
            );
        }
        if Instant::now() > deadline {
            break;
        }
    }
    Ok(None)
}

/// Flood propagation samples.
#[derive(Debug, Clone, Default)]
pub struct FloodResult {
    /// From writing the IAMAT at the source to the first WHATSAT reply at
    /// the destination that carries the location, ns.
    pub latencies: Vec<u64>,
    /// WHATSAT polls each sample took.
    pub polls: Vec<u64>,
    /// Round trips of the polls answered `?` (not yet known), ns: what one
    /// poll costs, to read the latencies against.
    pub miss_rtts: Vec<u64>,
    /// Samples whose location did not arrive within [`FLOOD_DEADLINE`]
    /// (sampling stops at [`MAX_MISSES`]).
    pub missed: usize,
}

/// `samples` times: report a new client at `from`, then poll `to` with
/// WHATSAT on a persistent connection until it knows the client.
///
/// What this measures is an upper bound on propagation: it includes the
/// IAMAT's write, the flood, and the last WHATSAT round trip at `to`,
/// Places lookup included, with one round trip of polling granularity.
pub async fn flood(
    from: SocketAddr,
    to: SocketAddr,
    samples: usize,
    prefix: &str,
) -> anyhow::Result<FloodResult> {
    let mut source = Connection::connect(from).await?;
    let mut dest = Connection::connect(to).await?;
    let mut result = FloodResult::default();
    for i in 0..samples {
        let client = format!("{prefix}-{i}");
        let line = IAmAt::line(&client, super::COORDS, &format_posix(now_nanos()));
        let start = Instant::now();
        source.send(line.as_bytes()).await?;
        let deadline = start + FLOOD_DEADLINE;
        let polls = poll_until_known(&mut dest, &client, deadline, &mut result.miss_rtts).await?;
        let elapsed = start.elapsed();
        let reply = source.read_reply(Shape::Line).await?;
        ensure!(
            is_at(&reply),
            "IAMAT to {from} got {:?}",
            String::from_utf8_lossy(&reply)
        );
        match polls {
            Some(polls) => {
                result.latencies.push(nanos(elapsed));
                result.polls.push(polls);
            }
            None => {
                result.missed += 1;
                if result.missed >= MAX_MISSES {
                    break;
                }
            }
        }
        sleep(IDLE_GAP).await;
    }
    Ok(result)
}

/// WHATSAT round trips.
#[derive(Debug, Clone, Default)]
pub struct WhatsatResult {
    /// Round trip of each WHATSAT on a persistent connection, ns.
    pub latencies: Vec<u64>,
    /// Size of the last reply, bytes.
    pub reply_bytes: usize,
    /// Places in the last reply (its `"geometry"` objects).
    pub results: usize,
}

/// Reports client `client` at [`WHATSAT_COORDS`] to `addr`, then times
/// `samples` WHATSATs for it with [`WHATSAT_RADIUS`] and [`WHATSAT_BOUND`].
pub async fn whatsat_latency(
    addr: SocketAddr,
    samples: usize,
    client: &str,
) -> anyhow::Result<WhatsatResult> {
    let mut conn = Connection::connect(addr).await?;
    let line = IAmAt::line(client, WHATSAT_COORDS, &format_posix(now_nanos()));
    let reply = conn.request(line.as_bytes(), Shape::Line).await?;
    ensure!(
        is_at(&reply),
        "IAMAT got {:?}",
        String::from_utf8_lossy(&reply)
    );
    let line = WhatsAt::line(client, WHATSAT_RADIUS, WHATSAT_BOUND);
    let mut result = WhatsatResult::default();
    for _ in 0..samples {
        let start = Instant::now();
        let reply = conn.request(line.as_bytes(), Shape::Whatsat).await?;
        result.latencies.push(nanos(start.elapsed()));
        ensure!(
            is_at(&reply),
            "WHATSAT got {:?}",
            String::from_utf8_lossy(&reply)
        );
        result.reply_bytes = reply.len();
        let text = std::str::from_utf8(&reply).context("WHATSAT reply is not UTF-8")?;
        result.results = text.matches("\"geometry\"").count();
    }
    Ok(result)
}

/// The AT line `addr` holds for `client` (asked with `WHATSAT client 1 1`
/// on `conn`), or `None` if it does not know the client.
async fn held_at_line(conn: &mut Connection, client: &str) -> anyhow::Result<Option<Bytes>> {
    let reply = conn
        .request(WhatsAt::line(client, "1", "1").as_bytes(), Shape::Whatsat)
        .await?;
    if is_invalid(&reply) {
        return Ok(None);
    }
    ensure!(
        is_at(&reply),
        "WHATSAT to {} got {:?}",
        conn.addr(),
        String::from_utf8_lossy(&reply)
    );
    let end = reply
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(reply.len());
    Ok(Some(reply.slice(..end)))
}

/// Whether every server in `servers` holds the same AT line for each of
/// `clients` as `reference` does, asking again until `deadline` while they
/// differ. Returns the pairs that still differ, as `client at server`.
pub async fn disagreements(
    reference: SocketAddr,
    servers: &[(String, SocketAddr)],
    clients: &[String],
    deadline: Instant,
) -> anyhow::Result<Vec<String>> {
    let mut reference = Connection::connect(reference).await?;
    let mut conns = Vec::with_capacity(servers.len());
    for (name, addr) in servers {
        conns.push((name, Connection::connect(*addr).await?));
    }
    loop {
        let mut differ = Vec::new();
        for client in clients {
            let want = held_at_line(&mut reference, client).await?;
            for (name, conn) in &mut conns {
                if held_at_line(conn, client).await? != want {
                    differ.push(format!("{client} at {name}"));
                }
            }
        }
        if differ.is_empty() || Instant::now() > deadline {
            return Ok(differ);
        }
        sleep(AGREEMENT_RETRY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn grader_style_rounds_against_baseline_take_one_sample_each() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(crate::baseline::serve(listener, Arc::from("Base")));
        let latencies = grader_style(addr, 5, "g").await.unwrap();
        server.abort();
        assert_eq!(latencies.len(), 5);
    }

    /// A server that answers every line with `reply`.
    async fn fixed(reply: &'static [u8]) -> SocketAddr {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    while let Ok(Some(_)) = lines.next_line().await {
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn servers_holding_another_location_are_named() {
        let newest = fixed(b"AT A +0.000000000 c +1+2 5\n{\n}\n\n").await;
        let same = fixed(b"AT A +0.000000000 c +1+2 5\n{\n \"x\" : 1\n}\n\n").await;
        let older = fixed(b"AT B +0.000000000 c +1+2 4\n{\n}\n\n").await;
        let ignorant = fixed(b"? WHATSAT c 1 1\n").await;
        let servers = [
            ("Same".to_owned(), same),
            ("Older".to_owned(), older),
            ("Ignorant".to_owned(), ignorant),
        ];
        let differ = disagreements(newest, &servers, &["c".to_owned()], Instant::now())
            .await
            .unwrap();
        assert_eq!(differ, ["c at Older", "c at Ignorant"]);
    }

    #[tokio::test]
    async fn polling_an_ignorant_server_gives_up_at_the_deadline() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(crate::baseline::serve(listener, Arc::from("Base")));
        let mut conn = Connection::connect(addr).await.unwrap();
        let deadline = Instant::now() + Duration::from_millis(30);
        let mut misses = Vec::new();
        let polls = poll_until_known(&mut conn, "nobody", deadline, &mut misses)
            .await
            .unwrap();
        server.abort();
        assert_eq!(polls, None);
        assert!(!misses.is_empty());
        assert!(Instant::now() >= deadline);
    }
}
