//! The results of a run: a readable summary and a markdown table to paste
//! into the README, with the targets and whether they were met.

use std::fmt::Write as _;
use std::time::Duration;

use super::fds::FdLimit;
use super::http_load::HttpLoadResult;
use super::tablets::{ROUND_DEADLINE, Registration, RoundResult};
use super::tally::TallyCheck;
use super::{EVENT, MEDAL, TEAM};
use crate::harness::stats::{Nanos, Summary};
use crate::herd_bench::report::{p50_90_99, p50_99, per_second};

/// Facade `getMedalTally` throughput must be at least this fraction of the
/// baseline's.
pub const THROUGHPUT_TARGET: f64 = 0.5;

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
    /// One-minute load average before the run: the machine is shared.
    pub load_before: Option<f64>,
    /// Whether this is a debug build, whose numbers mean little.
    pub debug_build: bool,
}

/// Everything measured; `None` (or empty) for what was not run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The run's settings.
    pub settings: Settings,
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
    /// One-minute load average after the run.
    pub load_after: Option<f64>,
    /// What could not be measured or did not check out; any makes the run fail.
    pub problems: Vec<String>,
}

impl Report {
    /// An empty report for `settings`.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            baseline_get: None,
            facade_get: None,
            increments: None,
            tally: None,
            registration: None,
            cold_round: None,
            rounds: Vec::new(),
            stale_pushes: 0,
            load_after: None,
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

    fn ratio_verdict(&self) -> &'static str {
        match self.ratio() {
            Some(r) if r >= THROUGHPUT_TARGET => "met",
            Some(_) => "missed",
            None => "not run",
        }
    }

    /// Met only if the p99 is under target and nothing was missed: a missed
    /// push is slower than any deadline.
    fn push_verdict(&self) -> &'static str {
        match Summary::of(self.push_samples()) {
            Some(s)
                if Duration::from_nanos(s.p99) < PUSH_P99_TARGET && self.push_missed().0 == 0 =>
            {
                "met"
            }
            Some(_) => "missed",
            None if self.push_missed().0 > 0 => "missed",
            None => "not run",
        }
    }

    fn tally_verdict(&self) -> &'static str {
        match &self.tally {
            Some(t) if t.holds() => "met",
            Some(_) => "missed",
            None => "not run",
        }
    }

    /// The readable summary followed by the markdown table.
    pub fn render(&self) -> String {
        let s = &self.settings;
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.caption());
        let _ = writeln!(
            out,
            "    {}; journals on {}",
            s.fds,
            s.journal_fs.as_deref().unwrap_or("an unknown file system")
        );
        let _ = writeln!(
            out,
            "(1) getMedalTally/{TEAM}: {} keep-alive connections, one request at a time each, \
             {:?} measured after {:?} warm-up",
            s.connections, s.duration, s.warmup
        );
        for (who, load) in [
            ("baseline", &self.baseline_get),
            ("facade", &self.facade_get),
        ] {
            if let Some(load) = load {
                let _ = writeln!(out, "    {who:<8} {}", load_line(load));
            }
        }
        let _ = writeln!(
            out,
            "    facade / baseline = {} (target >= {THROUGHPUT_TARGET}: {})",
            self.ratio().map_or("—".into(), |r| format!("{r:.2}")),
            self.ratio_verdict()
        );
        let _ = writeln!(
            out,
            "(2) incrementMedalTally/{TEAM}/{MEDAL}, each acknowledged after the herd's fsync \
             (group commit): {} connections, {:?} after {:?}",
            s.connections, s.duration, s.warmup
        );
        if let Some(load) = &self.increments {
            let _ = writeln!(out, "    facade   {}", load_line(load));
            let _ = writeln!(
                out,
                "    acknowledged over the whole run (warm-up included): {}",
                load.accepted_total
            );
        }
        if let Some(t) = &self.tally {
            let _ = writeln!(out, "    tally check: {}", t.describe());
        }
        let push = Summary::of(self.push_samples());
        let (missed, pairs) = self.push_missed();
        let _ = writeln!(
            out,
            "(3) push fan-out of setScore/{EVENT} to {} tablets, each its own listener: \
             {} measured rounds after one cold round",
            s.tablets, s.rounds
        );
        if let Some(r) = &self.registration {
            let _ = writeln!(
                out,
                "    registered {} tablets, refused {}{}",
                r.registered,
                r.refused,
                r.first_refusal
                    .as_ref()
                    .map_or(String::new(), |e| format!(" (first: {e})"))
            );
        }
        let _ = writeln!(
            out,
            "    setScore sent -> tablet pushed, over every (tablet, round): p50/p90/p99 {}, max {}\n    \
             missed (not pushed within {ROUND_DEADLINE:?}) {missed} of {pairs} (target p99 < {PUSH_P99_TARGET:?}: {})",
            p50_90_99(Some(&self.push_samples())),
            push.map_or("—".into(), |p| Nanos(p.max).to_string()),
            self.push_verdict()
        );
        let set_score: Vec<u64> = self.rounds.iter().map(|r| r.set_score).collect();
        let last: Vec<u64> = self
            .rounds
            .iter()
            .filter_map(|r| r.latencies.iter().max().copied())
            .collect();
        let first: Vec<u64> = self
            .rounds
            .iter()
            .filter_map(|r| r.latencies.iter().min().copied())
            .collect();
        let _ = writeln!(
            out,
            "    per round, p50/p99: setScore reply {}; first tablet pushed {}; last tablet pushed {}",
            p50_99(Some(&set_score)),
            p50_99(Some(&first)),
            p50_99(Some(&last))
        );
        if let Some(cold) = &self.cold_round {
            let _ = writeln!(
                out,
                "    cold round (the facade opens a connection per tablet): p50/p99 {}, missed {}; \
                 every round with it: p50/p99 {}",
                p50_99(Some(&cold.latencies)),
                cold.missed,
                p50_99(Some(&self.push_samples_with_cold()))
            );
        }
        let _ = writeln!(
            out,
            "    pushes carrying another round's scores (late): {}",
            self.stale_pushes
        );
        for problem in &self.problems {
            let _ = writeln!(out, "PROBLEM: {problem}");
        }
        out.push('\n');
        out.push_str(&self.markdown());
        out
    }

    /// `olympic-bench, release build, 2 cores, load average 3.1 before, 2.9 after`.
    fn caption(&self) -> String {
        let s = &self.settings;
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let load = |l: Option<f64>| l.map_or("?".into(), |l| format!("{l:.2}"));
        format!(
            "olympic-bench, {} build, {cores} cores, load average {} before the run, {} after; \
             everything on loopback",
            if s.debug_build { "DEBUG" } else { "release" },
            load(s.load_before),
            load(self.load_after)
        )
    }

    /// The markdown table, under a one-line caption.
    fn markdown(&self) -> String {
        let s = &self.settings;
        let push = self.push_samples();
        let (missed, pairs) = self.push_missed();
        let dash = || "—".to_owned();
        let tally = self.tally.as_ref().map_or(dash(), |t| {
            let (low, high) = t.expected();
            let range = if low == high {
                low.to_string()
            } else {
                format!("{low}..={high}")
            };
            let mut counts: Vec<String> = t.servers.values().map(u64::to_string).collect();
            counts.push(t.facade_after.to_string());
            format!("{} (herd, facade) vs {range}", counts.join(", "))
        });
        let rows = [
            [
                format!("(1) getMedalTally throughput, {} conns", s.connections),
                self.baseline_get
                    .as_ref()
                    .map_or(dash(), |l| per_second(l.ops_per_sec())),
                self.facade_get
                    .as_ref()
                    .map_or(dash(), |l| per_second(l.ops_per_sec())),
                self.ratio().map_or(dash(), |r| format!("{r:.2}")),
                format!("≥ {THROUGHPUT_TARGET}: {}", self.ratio_verdict()),
            ],
            [
                "(1) getMedalTally latency, p50 / p90 / p99".into(),
                p50_90_99(self.baseline_get.as_ref().map(|l| &l.latencies)),
                p50_90_99(self.facade_get.as_ref().map(|l| &l.latencies)),
                String::new(),
                String::new(),
            ],
            [
                format!(
                    "(2) incrementMedalTally throughput, fsync before ack, {} conns",
                    s.connections
                ),
                dash(),
                self.increments
                    .as_ref()
                    .map_or(dash(), |l| per_second(l.ops_per_sec())),
                String::new(),
                String::new(),
            ],
            [
                "(2) incrementMedalTally latency, p50 / p90 / p99".into(),
                dash(),
                p50_90_99(self.increments.as_ref().map(|l| &l.latencies)),
                String::new(),
                String::new(),
            ],
            [
                "(2) tally after = before + acknowledged".into(),
                dash(),
                tally,
                String::new(),
                format!("equal: {}", self.tally_verdict()),
            ],
            [
                format!(
                    "(3) setScore → push at {} registered tablets, {} rounds, p50 / p90 / p99",
                    self.registration.as_ref().map_or(0, |r| r.registered),
                    s.rounds
                ),
                dash(),
                p50_90_99(Some(&push)),
                String::new(),
                format!(
                    "p99 < {} ms, none missed: {}",
                    PUSH_P99_TARGET.as_millis(),
                    self.push_verdict()
                ),
            ],
            [
                format!("(3) (tablet, round) pushes missed (> {ROUND_DEADLINE:?})"),
                dash(),
                format!("{missed} / {pairs}"),
                String::new(),
                String::new(),
            ],
            [
                "(3) cold first round (new connections), p50 / p99".into(),
                dash(),
                p50_99(self.cold_round.as_ref().map(|r| &r.latencies)),
                String::new(),
                String::new(),
            ],
            [
                "(3) every round, the cold one included, p50 / p99".into(),
                dash(),
                p50_99(
                    self.cold_round
                        .as_ref()
                        .map(|_| self.push_samples_with_cold())
                        .as_ref(),
                ),
                String::new(),
                String::new(),
            ],
        ];
        let mut out = format!("_{}_\n\n", self.caption());
        out.push_str(
            "| Measurement | Baseline | Facade | Facade / baseline | Target |\n|---|---|---|---|---|\n",
        );
        for row in rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out
    }
}

/// `12,345 ops/s  latency p50/p90/p99 …  (n good, n refused, n lost)` and
/// the first bad reply, if any.
fn load_line(load: &HttpLoadResult) -> String {
    let mut line = format!(
        "{:>14}  latency p50/p90/p99 {}  ({} good in the window, {} refused, {} lost)",
        per_second(load.ops_per_sec()),
        p50_90_99(Some(&load.latencies)),
        load.completed,
        load.refused,
        load.lost
    );
    for (what, first) in [("refused", &load.first_refused), ("lost", &load.first_lost)] {
        if let Some(first) = first {
            let _ = write!(line, "\n             first {what}: {first}");
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(completed: u64, latency: u64) -> HttpLoadResult {
        HttpLoadResult {
            completed,
            measured: Duration::from_secs(2),
            latencies: vec![latency; 10],
            accepted_total: completed + 5,
            ..HttpLoadResult::default()
        }
    }

    fn report() -> Report {
        let mut r = Report::new(Settings {
            connections: 32,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(2),
            tablets: 3,
            rounds: 2,
            fds: FdLimit {
                before: 1024,
                soft: 4096,
                hard: 4096,
            },
            journal_fs: Some("ext4".into()),
            load_before: Some(1.5),
            debug_build: false,
        });
        r.baseline_get = Some(load(40_000, 500_000));
        r.facade_get = Some(load(18_000, 2_000_000));
        r.increments = Some(load(2_000, 30_000_000));
        r.tally = Some(TallyCheck {
            before: 0,
            acked: 2_005,
            unknown: 0,
            facade_after: 2_005,
            servers: [("A".into(), 2_005), ("B".into(), 2_005)].into(),
        });
        r.registration = Some(Registration {
            registered: 3,
            refused: 0,
            first_refusal: None,
        });
        r.rounds = vec![
            RoundResult {
                latencies: vec![10_000_000, 20_000_000, 30_000_000],
                missed: 0,
                set_score: 5_000_000,
            },
            RoundResult {
                latencies: vec![40_000_000, 50_000_000],
                missed: 1,
                set_score: 6_000_000,
            },
        ];
        r
    }

    #[test]
    fn ratio_and_verdicts_follow_the_numbers() {
        let r = report();
        assert_eq!(r.ratio(), Some(0.45));
        assert_eq!(r.push_missed(), (1, 6));
        let text = r.render();
        assert!(
            text.contains("| 20,000 ops/s | 9,000 ops/s | 0.45 | ≥ 0.5: missed |"),
            "{text}"
        );
        assert!(
            text.contains("| 2005, 2005, 2005 (herd, facade) vs 2005 |  | equal: met |"),
            "{text}"
        );
        // p99 of 50 ms is under target, but a missed push fails it.
        assert!(text.contains("| 1 / 6 |"), "{text}");
        assert!(text.contains("p99 < 100 ms, none missed: missed"), "{text}");
        assert!(text.contains("raised from 1024"), "{text}");
        assert!(text.contains("push at 3 registered tablets"), "{text}");
    }

    #[test]
    fn a_clean_run_meets_its_targets_and_every_row_has_five_cells() {
        let mut r = report();
        r.rounds[1].missed = 0;
        r.facade_get = Some(load(30_000, 2_000_000));
        r.cold_round = Some(RoundResult {
            latencies: vec![200_000_000; 3],
            ..RoundResult::default()
        });
        let text = r.render();
        assert!(
            text.contains("| — | 40.00 ms / 200.00 ms |"),
            "the cold round joins the measured ones: {text}"
        );
        assert!(text.contains("≥ 0.5: met"), "{text}");
        assert!(text.contains("none missed: met"), "{text}");
        let table: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(table.len(), 11);
        for line in table {
            assert_eq!(line.matches('|').count(), 6, "{line}");
        }
    }
}
