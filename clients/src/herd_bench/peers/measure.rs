//! The measurements `herd-bench --peers` takes of every stack, each the
//! same for all four, reading nothing a reference herd does not have: no
//! metrics, no `STATUS`, only the protocol and `/proc`.
//!
//! * [`round_trip`]: IAMAT at one server, then WHATSAT at another until it
//!   answers with the location, each on a new connection written and
//!   half-closed the way the course's grading client does.
//! * [`cpu_of`] and [`wait_quiet`]: CPU time summed over the five
//!   processes, read once they have finished what a load left them.
//! * [`resident_per_client`]: growth of the five resident sets over the
//!   clients each server stores.

use std::time::Duration;

use anyhow::{Context, bail, ensure};
use base::process::usage;
use tokio::time::{Instant, sleep};

use crate::connection::Connection;
use crate::exchange::{Timeouts, exchange};
use crate::harness::stats::nanos;
use crate::herd_bench::COORDS;
use crate::herd_bench::memory::{client_id, report};
use crate::herd_bench::probe::{FLOOD_DEADLINE, poll_until_known};
use proto::client::{IAmAt, WhatsAt};
use proto::reply::frame::{is_at, is_invalid};
use proto::timestamp::{format_posix, now_nanos};

/// Timeouts of one grader-style exchange.
const GRADER_TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(5),
    reply: Duration::from_secs(5),
};

/// How often CPU time is read while waiting for the servers to go quiet.
const QUIET_POLL: Duration = Duration::from_millis(250);

/// The servers are quiet once they use less than this share of one core
/// between two readings.
const QUIET_SHARE: f64 = 0.1;

/// The longest wait for the servers to go quiet after a load.
const QUIET_WAIT: Duration = Duration::from_secs(30);

/// Clients checked at every server before memory is read: every
/// `1 / STORED_SAMPLE` of those reported, and the last.
const STORED_SAMPLE: usize = 64;

/// Pause between two questions whether a server stores a client yet.
const STORED_POLL: Duration = Duration::from_millis(50);

/// How long every server gets to store every reported client.
const CONVERGE: Duration = Duration::from_secs(180);

/// `samples` rounds: IAMAT for a new client at `entry`, then WHATSAT for
/// it at `far`, again while `far` answers `?` (the flood has not arrived),
/// until [`FLOOD_DEADLINE`]. A sample is the whole round, ns.
pub async fn round_trip(
    entry: std::net::SocketAddr,
    far: std::net::SocketAddr,
    samples: usize,
) -> anyhow::Result<Vec<u64>> {
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples {
        let client = format!("grader-{i}");
        let line = IAmAt::line(&client, COORDS, &format_posix(now_nanos()));
        let start = Instant::now();
        let reply = exchange(entry, line.as_bytes(), GRADER_TIMEOUTS).await?;
        ensure!(
            is_at(&reply),
            "IAMAT to {entry} got {:?}",
            String::from_utf8_lossy(&reply)
        );
        let ask = WhatsAt::line(&client, "10", "5");
        loop {
            let reply = exchange(far, ask.as_bytes(), GRADER_TIMEOUTS).await?;
            if is_at(&reply) {
                break;
            }
            ensure!(
                is_invalid(&reply) && start.elapsed() < FLOOD_DEADLINE,
                "WHATSAT at {far} for {client} got {:?} after {:?}",
                String::from_utf8_lossy(&reply),
                start.elapsed()
            );
        }
        latencies.push(nanos(start.elapsed()));
    }
    Ok(latencies)
}

/// CPU time (user and system) of the processes `pids`, summed.
pub fn cpu_of(pids: &[u32]) -> anyhow::Result<Duration> {
    let mut cpu = Duration::ZERO;
    for &pid in pids {
        cpu += usage(pid)
            .with_context(|| format!("reading process {pid}'s CPU time"))?
            .cpu;
    }
    Ok(cpu)
}

/// Waits until `pids` together use less than [`QUIET_SHARE`] of a core
/// over [`QUIET_POLL`] (they have flooded what a load left them), or
/// [`QUIET_WAIT`] has passed; returns their CPU time then, and whether
/// they went quiet.
pub async fn wait_quiet(pids: &[u32]) -> anyhow::Result<(Duration, bool)> {
    let deadline = Instant::now() + QUIET_WAIT;
    let mut last = cpu_of(pids)?;
    loop {
        sleep(QUIET_POLL).await;
        let now = cpu_of(pids)?;
        let used = now.saturating_sub(last).as_secs_f64();
        if used < QUIET_SHARE * QUIET_POLL.as_secs_f64() {
            return Ok((now, true));
        }
        if Instant::now() > deadline {
            return Ok((now, false));
        }
        last = now;
    }
}

/// Resident set bytes of `pids`, summed.
fn resident_of(pids: &[u32]) -> anyhow::Result<u64> {
    let mut rss = 0;
    for &pid in pids {
        rss += usage(pid)?.rss;
    }
    Ok(rss)
}

/// Reports `clients` new clients at `entry` and waits until every server
/// of `servers` holds a sample of them; returns the growth of the summed
/// resident sets of `pids` per client per server, bytes. Memory is read
/// `settle` after the servers go quiet, before and after.
pub async fn resident_per_client(
    entry: std::net::SocketAddr,
    servers: &[std::net::SocketAddr],
    pids: &[u32],
    clients: usize,
    settle: Duration,
) -> anyhow::Result<f64> {
    ensure!(clients > 0, "no clients to measure memory with");
    wait_quiet(pids).await?;
    sleep(settle).await;
    let before = resident_of(pids)?;
    report(entry, clients).await?;
    let deadline = Instant::now() + CONVERGE;
    let step = (clients / STORED_SAMPLE).max(1);
    let sample: Vec<String> = (0..clients)
        .step_by(step)
        .chain([clients - 1])
        .map(client_id)
        .collect();
    for addr in servers {
        let mut conn = Connection::connect(*addr).await?;
        for client in &sample {
            // One WHATSAT at a time, paced, so a slow herd is not flooded
            // with questions while it stores.
            while poll_until_known(&mut conn, client, Instant::now(), &mut Vec::new())
                .await?
                .is_none()
            {
                if Instant::now() > deadline {
                    bail!("{addr} did not store {client} within {CONVERGE:?}");
                }
                sleep(STORED_POLL).await;
            }
        }
    }
    wait_quiet(pids).await?;
    sleep(settle).await;
    let grown = resident_of(pids)?.saturating_sub(before);
    Ok(grown as f64 / (clients * servers.len()) as f64)
}
