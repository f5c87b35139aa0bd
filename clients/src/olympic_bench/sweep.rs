//! The pull-versus-push sweep behind `olympic-bench sweep`. For each number
//! of tablets ([`COUNTS`] by default) it starts a fresh herd and facade
//! (so no earlier step's registrations linger), then:
//!
//! - **pull**: that many pull tablets, each with its own HTTP client, poll
//!   the tallies and scores every `every` for `pull_for`, their first
//!   polls spread over one period, exactly as `tablet pull` does
//!   ([`crate::olympic::pull::poll_once`]); a sample is one GET, request to
//!   reply;
//! - **push**: that many push receivers ([`Farm`]) register for the event,
//!   then one cold `setScore` round and `rounds` warm ones; a sample is the
//!   time from sending `setScore` to a tablet receiving the push (the cold
//!   round is left out of the files).
//!
//! Every sample goes to a latency file in the tablets' own format under
//! `<latency-dir>/<N>/`, which [`crate::plot`] then draws.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinSet;
use tokio::time::{Instant, interval_at};

use super::EVENT;
use super::stack::{Binaries, Stack};
use super::tablets::Farm;
use crate::harness::run_dir::RunDir;
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
#[derive(Debug, Clone, Copy, Default)]
pub struct StepCounts {
    /// Pull reads that failed (still timed and recorded).
    pub pull_errors: usize,
    /// Push tablets the facade refused to register.
    pub refused: usize,
    /// (tablet, round) pushes that did not arrive in time.
    pub missed: usize,
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
        let pull_errors = pull_step(&url, tablets, settings, &out).await?;
        eprintln!(
            "{tablets} tablets: a cold setScore round and {} warm ones",
            settings.rounds
        );
        let (refused, missed) = push_step(&stack, tablets, settings.rounds, &out).await?;
        stack.check_alive()?;
        drop(stack);
        let counts = StepCounts {
            pull_errors,
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
/// reads failed.
async fn pull_step(
    url: &str,
    tablets: usize,
    settings: &SweepSettings,
    out: &Path,
) -> anyhow::Result<usize> {
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
        let (facade, follow) = (Facade::new(url), follow.clone());
        let first = start + settings.every.mul_f64(index as f64 / tablets as f64);
        let every = settings.every;
        running.spawn(async move {
            let (mut seen, mut errors) = (Seen::default(), 0);
            let mut ticker = interval_at(first, every);
            while ticker.tick().await < deadline {
                let round = pull::poll_once(&facade, &follow, &mut seen, &mut log).await;
                errors += round
                    .lines
                    .iter()
                    .filter(|l| l.starts_with("error"))
                    .count();
            }
            errors
        });
    }
    let mut errors = 0;
    while let Some(done) = running.join_next().await {
        errors += done.context("a pull tablet panicked")?;
    }
    Ok(errors)
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
