//! One `herd-bench --peers` run: every stack in turn, each herd started,
//! measured and stopped before the next, so they never share the cores.
//! A stack whose runtime is missing is skipped; one that fails is
//! reported as failed, and the others are still measured.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use super::PeersSettings;
use super::loc::count_lines;
use super::measure::{resident_per_client, round_trip, wait_quiet};
use super::report::{Outcome, PeersReport, StackResult};
use base::process::Watched;

use super::stack::{Running, Stack, runner};
use crate::harness::layout::Layout;
use crate::harness::machine::Machine;
use crate::harness::run_dir::RunDir;
use crate::harness::stats::Summary;
use crate::herd_bench::linked::wait_floods_at;
use crate::herd_bench::load::{LoadConfig, pipelined_iamat};
use crate::herd_bench::probe::flood;

/// Where the three-hop flood starts and ends (Hands, Goloman or Wilkes,
/// Holiday, Welsh).
const FLOOD_FROM: &str = "Hands";
const FLOOD_TO: &str = "Welsh";

/// Measures every stack of [`Stack::ALL`] with `settings`.
pub async fn run(settings: PeersSettings) -> anyhow::Result<PeersReport> {
    let dir = RunDir::create("herd-bench-peers-", settings.keep_dir)?;
    let mut machine = Machine::now();
    let lines = count_lines(&settings.repo);
    let peers = settings.repo.join("bench/peers");
    let mut stacks = Vec::new();
    for stack in Stack::ALL {
        let mut result = StackResult::new(stack, lines.as_ref().ok());
        match runner(stack, &settings.herd_bin, &peers, dir.path()) {
            Err(why) => {
                eprintln!("{}: skipped: {why}", stack.key());
                result.outcome = Outcome::Skipped(why);
            }
            Ok(runner) => {
                eprintln!("{}: measuring", stack.key());
                let here = dir.path().join(stack.key());
                if let Err(e) = measure(stack, &runner, &settings, &here, &mut result).await {
                    eprintln!("{}: failed: {e:#}", stack.key());
                    result.outcome = Outcome::Failed(format!("{e:#}"));
                }
            }
        }
        stacks.push(result);
    }
    if dir.kept() {
        eprintln!(
            "topologies, logs and output kept in {}",
            dir.path().display()
        );
    }
    machine.finish();
    Ok(PeersReport::new(settings, machine, stacks, lines.err()))
}

/// Every measurement of one stack, into `result`: idle probes first, then
/// the load, then memory.
async fn measure(
    stack: Stack,
    runner: &[std::ffi::OsString],
    s: &PeersSettings,
    dir: &Path,
    result: &mut StackResult,
) -> anyhow::Result<()> {
    let layout = Layout::five();
    let mut herd = Running::start(stack, runner, &layout, dir).await?;
    let pids = herd.pids();
    if let Err(e) = wait_floods_at(&herd.addrs).await {
        herd.processes.check_running()?;
        return Err(e.context("the herd did not link up"));
    }
    let entry = herd.addr(&s.entry)?;
    let far = herd.addr(&farthest(&layout, &s.entry))?;
    eprintln!("  flood {FLOOD_FROM} -> {FLOOD_TO}");
    let floods = flood(
        herd.addr(FLOOD_FROM)?,
        herd.addr(FLOOD_TO)?,
        s.samples,
        "flood",
    )
    .await?;
    result.flood = Summary::of(floods.latencies);
    result.flood_missed = Some(floods.missed);
    eprintln!("  round trips: IAMAT at {}, WHATSAT far away", s.entry);
    result.round_trip = Summary::of(round_trip(entry, far, s.samples).await?);
    eprintln!("  pipelined IAMAT at {}", s.entry);
    let config = LoadConfig {
        connections: s.connections,
        window: s.window,
        warmup: s.warmup,
        duration: s.duration,
        clients_per_connection: s.clients_per_connection,
        client_prefix: "peers-load".into(),
    };
    let (before, _) = wait_quiet(&pids).await?;
    let load = pipelined_iamat(entry, &config).await?;
    let (after, quiet) = wait_quiet(&pids).await?;
    result.throughput = Some(load.ops_per_sec());
    result.load = Summary::of(load.throughput.latencies.clone());
    result.bad_replies = Some(load.bad_replies);
    result.quiet_after_load = Some(quiet);
    if load.replies > 0 {
        let cpu = after.saturating_sub(before).as_secs_f64() * 1e6;
        result.cpu_us_per_report = Some(cpu / load.replies as f64);
    }
    eprintln!("  memory: {} new clients at {}", s.memory_clients, s.entry);
    let addrs: Vec<_> = herd.addrs.values().copied().collect();
    result.resident_per_client =
        Some(resident_per_client(entry, &addrs, &pids, s.memory_clients, s.settle).await?);
    herd.processes.check_running()?;
    Ok(())
}

/// The server the most hops from `from` (the first by name among equals).
fn farthest(layout: &Layout, from: &str) -> String {
    let mut hops = BTreeMap::from([(from.to_owned(), 0usize)]);
    let mut queue = VecDeque::from([from.to_owned()]);
    while let Some(at) = queue.pop_front() {
        let next = hops[&at] + 1;
        for (a, b) in &layout.links {
            let other = if *a == at {
                b
            } else if *b == at {
                a
            } else {
                continue;
            };
            if !hops.contains_key(other) {
                hops.insert(other.clone(), next);
                queue.push_back(other.clone());
            }
        }
    }
    let most = hops.values().copied().max().unwrap_or(0);
    let name = hops.into_iter().find(|(_, h)| *h == most).map(|(n, _)| n);
    name.unwrap_or_else(|| from.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_farthest_server_from_goloman_is_welsh_two_hops_away() {
        let five = Layout::five();
        assert_eq!(farthest(&five, "Goloman"), "Welsh");
        assert_eq!(farthest(&five, "Hands"), "Welsh");
        assert_eq!(farthest(&five, "Welsh"), "Hands");
    }
}
