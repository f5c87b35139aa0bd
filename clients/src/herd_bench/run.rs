//! One `herd-bench` run: the baseline measured first and stopped, then the
//! five herd servers, each measurement in turn, into one [`Report`]. Every
//! process lives in the run's directory and dies with the run.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use tokio::time::{Instant, sleep};

use super::cost::{Cost, Snapshot};
use super::linked::wait_floods;
use super::load::{LoadConfig, pipelined_iamat};
use super::memory::memory_per_client;
use super::probe::{
    AGREEMENT_WAIT, FLOOD_DEADLINE, MAX_MISSES, disagreements, flood, grader_style, whatsat_latency,
};
use super::report::{Agreement, LoadShape, Report, Settings};
use crate::harness::baseline::Baseline;
use crate::harness::herd::Herd;
use crate::harness::layout::Layout;
use crate::harness::machine::Machine;
use crate::harness::run_dir::RunDir;

/// Pause after a load run so queued floods drain before latency samples.
const SETTLE: Duration = Duration::from_millis(300);

/// The warning the herd logs when a link queue drops floods.
const QUEUE_FULL: &str = "peer_queue_full";

/// Measures the baseline and then, given its binary, the herd. With
/// `keep_dir`, the run's directory (topology, logs, output) is kept.
pub async fn run(
    settings: Settings,
    herd_bin: Option<&Path>,
    keep_dir: bool,
) -> anyhow::Result<Report> {
    let dir = RunDir::create("herd-bench-", keep_dir)?;
    let mut report = Report::new(settings, Machine::now());
    measure_baseline(dir.path(), &mut report).await?;
    if let Some(bin) = herd_bin {
        measure_herd(bin, dir.path(), &mut report).await?;
    }
    note_failures(&mut report);
    if dir.kept() {
        eprintln!(
            "topology, logs and server output kept in {}",
            dir.path().display()
        );
    }
    report.machine.finish();
    Ok(report)
}

/// Clients of a load checked at every server afterwards.
const AGREEMENT_SAMPLE: usize = 256;

/// The load of `shape`, for clients named `PREFIX-…`.
fn load_config(s: &Settings, shape: &LoadShape, prefix: &str) -> LoadConfig {
    LoadConfig {
        connections: shape.connections,
        window: s.window,
        warmup: s.warmup,
        duration: s.duration,
        clients_per_connection: shape.clients_per_connection,
        client_prefix: format!("{prefix}-{}", shape.tag),
    }
}

/// (a1), (a2) and (b) against the baseline, which is stopped afterwards.
async fn measure_baseline(dir: &Path, report: &mut Report) -> anyhow::Result<()> {
    let s = report.settings.clone();
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let mut baseline = Baseline::start(&exe, &["--name", &s.target], dir).await?;
    eprintln!("baseline listening on {}", baseline.addr);
    for run in &mut report.loads {
        eprintln!("({}) pipelined IAMAT against the baseline", run.shape.tag);
        let config = load_config(&s, &run.shape, "bench-base");
        let before = Snapshot::of_process(baseline.process())?;
        let load = pipelined_iamat(baseline.addr, &config).await?;
        let after = Snapshot::of_process(baseline.process())?;
        run.baseline_cost = Some(Cost::between(before, after, load.replies));
        run.baseline = Some(load);
        sleep(SETTLE).await;
    }
    eprintln!("(b) grader-style IAMAT against the baseline");
    report.baseline_grader = Some(grader_style(baseline.addr, s.samples, "grader-base").await?);
    baseline.check_alive()
}

/// Every measurement of the herd. Its idle probes (c, d, b) come before
/// its load runs (a1, a2), so the floods the load leaves queued cannot slow them.
async fn measure_herd(bin: &Path, dir: &Path, report: &mut Report) -> anyhow::Result<()> {
    let s = report.settings.clone();
    let mut herd = Herd::start(bin, &Layout::five(), dir, &[]).await?;
    eprintln!("herd listening: {:?}", herd.addrs);
    let target = herd.addr(&s.target)?;
    if let Err(e) = herd.wait_links_up().await {
        report
            .problems
            .push(format!("not every link was seen up: {e:#}"));
    }
    match wait_floods(&mut herd).await {
        Ok(()) => {
            eprintln!("(c) flood Hands -> Welsh at idle");
            let (hands, welsh) = (herd.addr("Hands")?, herd.addr("Welsh")?);
            report.flood = Some(flood(hands, welsh, s.samples, "flood").await?);
        }
        // Measure the rest anyway: it says how far the herd has come.
        Err(e) => report
            .problems
            .push(format!("(c) not run: the herd did not link up: {e:#}")),
    }
    eprintln!("(d) WHATSAT at {}", s.target);
    report.whatsat = Some(whatsat_latency(target, s.samples, "whatsat-probe").await?);
    eprintln!("(b) grader-style IAMAT against {}", s.target);
    report.herd_grader = Some(grader_style(target, s.samples, "grader-herd").await?);
    measure_herd_load(&herd, report).await?;
    eprintln!(
        "(e) memory per stored client: {} new clients at {}",
        s.memory_clients, s.target
    );
    report.memory = Some(memory_per_client(target, &herd.servers(), s.memory_clients).await?);
    herd.check_alive()?;
    report.herd_logs = Some(herd.log_stats(QUEUE_FULL)?);
    Ok(())
}

/// (a1) and (a2) against the herd's target, each with what it cost the
/// herd and whether every other server then holds the target's newest
/// location for a sample of the load's clients.
async fn measure_herd_load(herd: &Herd, report: &mut Report) -> anyhow::Result<()> {
    let s = report.settings.clone();
    let target = herd.addr(&s.target)?;
    let others: Vec<(String, SocketAddr)> = herd
        .addrs
        .iter()
        .filter(|(name, _)| **name != s.target)
        .map(|(name, addr)| (name.clone(), *addr))
        .collect();
    for run in &mut report.loads {
        let tag = run.shape.tag;
        eprintln!("({tag}) pipelined IAMAT against {}", s.target);
        let config = load_config(&s, &run.shape, "bench-herd");
        let before = Snapshot::of_herd_when_quiet(herd).await?;
        let load = pipelined_iamat(target, &config).await?;
        let after = Snapshot::of_herd_when_quiet(herd).await?;
        run.herd_cost = Some(Cost::between(before, after, load.replies));
        run.herd = Some(load);
        eprintln!("({tag}) checking that every server holds the newest locations");
        let clients = config.sample_client_ids(AGREEMENT_SAMPLE);
        let deadline = Instant::now() + AGREEMENT_WAIT;
        run.agreement = Some(Agreement {
            pairs: clients.len() * others.len(),
            differ: disagreements(target, &others, &clients, deadline).await?,
        });
    }
    Ok(())
}

/// Turns bad replies and missed floods into problems, which fail the run.
fn note_failures(report: &mut Report) {
    for run in &report.loads {
        for (who, load) in [("baseline", &run.baseline), ("herd", &run.herd)] {
            if let Some(load) = load.as_ref().filter(|l| l.bad_replies > 0) {
                report.problems.push(format!(
                    "({}) {who}: {} replies were not AT lines, the first {:?}",
                    run.shape.tag, load.bad_replies, load.first_bad
                ));
            }
        }
    }
    if let Some(missed) = report.flood.as_ref().map(|f| f.missed).filter(|&m| m > 0) {
        report.problems.push(format!(
            "(c) {missed} locations did not reach Welsh within {FLOOD_DEADLINE:?}; \
             sampling stopped after {MAX_MISSES} such"
        ));
    }
}
