//! The pull-versus-push sweep behind `olympic-bench sweep`. For each number
//! of tablets ([`COUNTS`] by default) it starts a fresh herd and facade
//! (so no earlier step's registrations linger), then:
//!
//! - **pull**: that many pull tablets, each with its own HTTP client, poll
//!   the tallies and scores every `every` for `pull_for`, their first
//!   polls spread over one period, each from a loopback address of its own
//!   ([`tablet_address`]), exactly as `tablet pull` does
//!   ([`crate::olympic::pull::poll_once`]); a sample is one GET, request to
//!   reply;
//! - **push**: that many push receivers ([`Farm`]) register for the event,
//!   then one cold `setScore` round and `rounds` warm ones; a sample is the
//!   time from sending `setScore` to a tablet receiving the push (the cold
//!   round is left out of the files).
//!
//! Every sample goes to a latency file in the tablets' own format under
//! `<latency-dir>/<N>/`, which [`crate::plot`] then draws.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinSet;
use tokio::time::{Instant, interval_at};

use super::EVENT;
use super::stack::{Binaries, Stack};
use super::tablets::Farm;
use crate::harness::run_dir::RunDir;
use crate::harness::table::Table;
use crate::olympic::facade::Facade;
use crate::olympic::latency::LatencyLog;
use crate::olympic::pull::{self, Follow, Seen};
use crate::plot::samples::EXTENSION;

/// The numbers of tablets a sweep measures by default.
pub const COUNTS: [usize; 6] = [1, 10, 50, 100, 500, 1000];

/// The teams a pull tablet reads, as `tablet pull` by default.
pub const TEAMS: [&str; 2] = ["Gaul", "Rome"];

/// The events a pull tablet reads, as `tablet pull` by default.
pub const EVENTS: [&str; 3] = ["curling", "skating", "skiing"];

/// The loopback network pull tablets connect from, each from an address
/// of its own (`127.1.0.1`, `127.1.0.2`, …) as tablets on their own hosts
/// would: the facade keeps at most 256 connections per client address.
pub const TABLET_NET: [u8; 2] = [127, 1];

/// The address pull tablet `index` (from 0) connects from.
pub fn tablet_address(index: usize) -> IpAddr {
    let n = index + 1;
    let [a, b] = TABLET_NET;
    IpAddr::V4(Ipv4Addr::new(a, b, (n >> 8) as u8, n as u8))
}

/// How a sweep runs.
#[derive(Debug, Clone)]
pub struct SweepSettings {
    /// The numbers of tablets, in order.
    pub counts: Vec<usize>,
    /// How long the pull tablets poll at each count.
    pub pull_for: Duration,
    /// A pull tablet's period.
    pub every: Duration,
    /// Warm `setScore` rounds at each count.
    pub rounds: usize,
    /// Where the latency files go, one directory per count.
    pub latency_dir: PathBuf,
}

/// What one step counted besides its samples.
#[derive(Debug, Clone, Default)]
pub struct StepCounts {
    /// Pull reads that failed (still timed and recorded).
    pub pull_errors: usize,
    /// The first of them, as the tablet would print it.
    pub first_error: Option<String>,
    /// Push tablets the facade refused to register.
    pub refused: usize,
    /// (tablet, round) pushes that did not arrive in time.
    pub missed: usize,
}

impl StepCounts {
    /// A markdown table of what each count of tablets counted.
    pub fn table(counted: &[(usize, StepCounts)]) -> String {
        let mut table = Table::new([
            "Tablets",
            "Pull reads failed",
            "Pushes missed (> 2 s)",
            "Registrations refused",
            "First failed read",
        ]);
        for (tablets, c) in counted {
            table.row([
                tablets.to_string(),
                c.pull_errors.to_string(),
                c.missed.to_string(),
                c.refused.to_string(),
                c.first_error.clone().unwrap_or_else(|| "—".into()),
            ]);
        }
        table.to_string()
    }
}

/// Runs every step; with `keep_dir`, the herd's and the facade's files are
/// kept. Answers each count with what it counted besides the samples.
pub async fn run(
    settings: &SweepSettings,
    bins: &Binaries,
    keep_dir: bool,
) -> anyhow::Result<Vec<(usize, StepCounts)>> {
    let dir = RunDir::create("olympic-sweep-", keep_dir)?;
    let mut counted = Vec::new();
    for &tablets in &settings.counts {
        let out = settings.latency_dir.join(tablets.to_string());
        clear_latency_files(&out)?;
        let step_dir = dir.path().join(tablets.to_string());
        std::fs::create_dir_all(&step_dir)
            .with_context(|| format!("creating {}", step_dir.display()))?;
        let mut stack = Stack::start(bins, &step_dir).await?;
        let url = format!("http://{}", stack.facade);
        eprintln!(
            "{tablets} tablets: pulling every {:?} for {:?}",
            settings.every, settings.pull_for
        );
        let (pull_errors, first_error) = pull_step(&url, tablets, settings, &out).await?;
        eprintln!(
            "{tablets} tablets: a cold setScore round and {} warm ones",
            settings.rounds
        );
        let (refused, missed) = push_step(&stack, tablets, settings.rounds, &out).await?;
        stack.check_alive()?;
        drop(stack);
        let counts = StepCounts {
            pull_errors,
            first_error,
            refused,
            missed,
        };
        eprintln!("    {counts:?}");
        counted.push((tablets, counts));
    }
    if dir.kept() {
        eprintln!("herd and facade files kept in {}", dir.path().display());
    }
    Ok(counted)
}

/// Makes `dir` and removes the latency files an earlier sweep left in it,
/// so that this run's samples are not mixed with them.
fn clear_latency_files(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == EXTENSION) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// `tablets` pull tablets against the facade at `url`; answers how many
/// reads failed, and the first failure.
async fn pull_step(
    url: &str,
    tablets: usize,
    settings: &SweepSettings,
    out: &Path,
) -> anyhow::Result<(usize, Option<String>)> {
    let start = Instant::now();
    let deadline = start + settings.pull_for;
    let follow = Follow {
        teams: TEAMS.map(String::from).to_vec(),
        events: EVENTS.map(String::from).to_vec(),
    };
    let mut running = JoinSet::new();
    for index in 0..tablets {
        let path = out.join(format!("tablet-{}-pull.latency", index + 1));
        let mut log =
            LatencyLog::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let facade = Facade::from_address(url, tablet_address(index));
        let follow = follow.clone();
        let first = start + settings.every.mul_f64(index as f64 / tablets as f64);
        let every = settings.every;
        running.spawn(async move {
            let (mut seen, mut errors) = (Seen::default(), Vec::new());
            let mut ticker = interval_at(first, every);
            while ticker.tick().await < deadline {
                let round = pull::poll_once(&facade, &follow, &mut seen, &mut log).await;
                errors.extend(round.lines.into_iter().filter(|l| l.starts_with("error")));
            }
            errors
        });
    }
    let (mut count, mut first) = (0, None);
    while let Some(done) = running.join_next().await {
        let errors = done.context("a pull tablet panicked")?;
        count += errors.len();
        first = first.or(errors.into_iter().next());
    }
    Ok((count, first))
}

/// `tablets` push receivers over a cold round and `rounds` warm ones;
/// answers how many were refused and how many pushes missed.
async fn push_step(
    stack: &Stack,
    tablets: usize,
    rounds: usize,
    out: &Path,
) -> anyhow::Result<(usize, usize)> {
    let facade = Facade::new(&format!("http://{}", stack.facade));
    let farm = Farm::start(tablets).await?;
    let registration = farm.register(&facade).await?;
    let measured = farm.rounds(&facade, &stack.cacofonix, rounds).await?;
    let path = out.join("tablets-push.latency");
    let mut log = LatencyLog::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut missed = 0;
    for round in &measured.warm {
        missed += round.missed;
        for &nanos in &round.latencies {
            log.record("push", EVENT, Duration::from_nanos(nanos))
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok((registration.refused, missed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pull_tablet_of_ten_thousand_has_a_loopback_address_of_its_own() {
        let addresses: std::collections::BTreeSet<IpAddr> =
            (0..10_000).map(tablet_address).collect();
        assert_eq!(addresses.len(), 10_000);
        assert!(addresses.iter().all(|a| a.is_loopback()));
        assert_eq!(tablet_address(0), IpAddr::V4(Ipv4Addr::new(127, 1, 0, 1)));
        assert_eq!(tablet_address(255), IpAddr::V4(Ipv4Addr::new(127, 1, 1, 0)));
    }
}
