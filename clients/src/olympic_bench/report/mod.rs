//! The results of an `olympic-bench` run: [`Report`] holds every
//! measurement; `summary` writes the readable summary and `table` the
//! markdown table for the README, both with the targets and whether they
//! were met.

mod summary;
mod table;
#[cfg(test)]
mod tests;

use std::time::Duration;

use super::fds::FdLimit;
use super::http_load::HttpLoadResult;
use super::tablets::{Registration, RoundResult};
use super::tally::TallyCheck;
use crate::harness::cells::{DASH, Verdict, per_second};
use crate::harness::machine::Machine;
use crate::harness::stats::Summary;

/// Facade `getMedalTally` throughput must be at least this fraction of the
/// baseline's.
pub const THROUGHPUT_TARGET: f64 = 0.8;

/// The p99 of setScore-to-push over every (tablet, round) must be below this.
pub const PUSH_P99_TARGET: Duration = Duration::from_millis(100);

/// How the run was set up, printed with the results.
#[derive(Debug, Clone)]
pub struct Settings {
    /// HTTP connections of each load run.
    pub connections: usize,
    /// Warm-up before each load run.
    pub warmup: Duration,
    /// Measured interval of each load run.
    pub duration: Duration,
    /// Push receivers.
    pub tablets: usize,
    /// Measured push rounds (after one cold round).
    pub rounds: usize,
    /// The open-file limit the run had.
    pub fds: FdLimit,
    /// The file system the journals were on.
    pub journal_fs: Option<String>,
}

/// Everything measured; `None` (or empty) for what was not run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The run's settings.
    pub settings: Settings,
    /// The machine it ran on.
    pub machine: Machine,
    /// (1) against the baseline.
    pub baseline_get: Option<HttpLoadResult>,
    /// (1) against the facade.
    pub facade_get: Option<HttpLoadResult>,
    /// (2) against the facade.
    pub increments: Option<HttpLoadResult>,
    /// (2) the tally afterwards.
    pub tally: Option<TallyCheck>,
    /// (3) how the tablets registered.
    pub registration: Option<Registration>,
    /// (3) the first round, while the facade opens its connections.
    pub cold_round: Option<RoundResult>,
    /// (3) the measured rounds.
    pub rounds: Vec<RoundResult>,
    /// (3) pushes that carried another round's scores.
    pub stale_pushes: u64,
    /// What could not be measured or did not check out; any makes the run fail.
    pub problems: Vec<String>,
}

impl Report {
    /// An empty report for `settings` on `machine`.
    pub fn new(settings: Settings, machine: Machine) -> Self {
        Self {
            settings,
            machine,
            baseline_get: None,
            facade_get: None,
            increments: None,
            tally: None,
            registration: None,
            cold_round: None,
            rounds: Vec::new(),
            stale_pushes: 0,
            problems: Vec::new(),
        }
    }

    /// Facade `getMedalTally` throughput over the baseline's, when both ran.
    pub fn ratio(&self) -> Option<f64> {
        let base = self.baseline_get.as_ref()?.ops_per_sec();
        let facade = self.facade_get.as_ref()?.ops_per_sec();
        (base > 0.0).then(|| facade / base)
    }

    /// Every (tablet, round) sample of the measured rounds, ns.
    pub fn push_samples(&self) -> Vec<u64> {
        self.rounds
            .iter()
            .flat_map(|r| r.latencies.iter().copied())
            .collect()
    }

    /// Every (tablet, round) sample, the cold round's included, ns.
    pub fn push_samples_with_cold(&self) -> Vec<u64> {
        let mut all = self.push_samples();
        if let Some(cold) = &self.cold_round {
            all.extend(&cold.latencies);
        }
        all
    }

    /// (tablet, round) pairs missed, and all pairs, over the measured rounds.
    pub fn push_missed(&self) -> (usize, usize) {
        let missed = self.rounds.iter().map(|r| r.missed).sum::<usize>();
        (missed, missed + self.push_samples().len())
    }

    /// Whether reads reached [`THROUGHPUT_TARGET`].
    fn ratio_verdict(&self) -> Verdict {
        Verdict::at_least(self.ratio(), THROUGHPUT_TARGET)
    }

    /// Met only if the p99 is under target and nothing was missed: a missed
    /// push is slower than any deadline.
    fn push_verdict(&self) -> Verdict {
        let none_missed = self.push_missed().0 == 0;
        match Summary::of(self.push_samples()) {
            Some(s) => Verdict::of(Some(
                Duration::from_nanos(s.p99) < PUSH_P99_TARGET && none_missed,
            )),
            None if !none_missed => Verdict::Missed,
            None => Verdict::NotRun,
        }
    }

    /// Whether the tally after the increments checks out.
    fn tally_verdict(&self) -> Verdict {
        Verdict::of(self.tally.as_ref().map(TallyCheck::holds))
    }

    /// The readable summary followed by the captioned markdown table.
    pub fn render(&self) -> String {
        format!(
            "{}\n_{}_\n\n{}",
            self.summary(),
            self.machine.caption("olympic-bench"),
            self.table()
        )
    }
}

/// Good replies per second of a load run, or a dash.
fn ops(load: Option<&HttpLoadResult>) -> String {
    load.map_or(DASH.into(), |l| per_second(l.ops_per_sec()))
}

/// The latency samples of a load run, if it ran.
fn latencies(load: Option<&HttpLoadResult>) -> Option<&[u64]> {
    load.map(|l| l.throughput.latencies.as_slice())
}
