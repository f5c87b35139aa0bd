//! The readable summary of an `olympic-bench` run: what each measurement
//! did, its numbers, and the targets.

use std::fmt::Write as _;

use super::{PUSH_P99_TARGET, Report, THROUGHPUT_TARGET, latencies, ops};
use crate::harness::cells::{DASH, p50_90_99, p50_99, ratio};
use crate::harness::stats::{Nanos, Summary};
use crate::olympic_bench::http_load::HttpLoadResult;
use crate::olympic_bench::tablets::ROUND_DEADLINE;
use crate::olympic_bench::{EVENT, MEDAL, TEAM};

// Writing to a String cannot fail, so the results of `writeln!` are ignored.

impl Report {
    /// The caption, every section in order, then the problems.
    pub(super) fn summary(&self) -> String {
        let s = &self.settings;
        let mut out = self.machine.caption("olympic-bench");
        let _ = writeln!(
            out,
            "\n    {}; journals on {}",
            s.fds,
            s.journal_fs.as_deref().unwrap_or("an unknown file system")
        );
        self.write_reads(&mut out);
        self.write_increments(&mut out);
        self.write_pushes(&mut out);
        for problem in &self.problems {
            let _ = writeln!(out, "PROBLEM: {problem}");
        }
        out
    }

    /// (1): reads against the baseline and the facade.
    fn write_reads(&self, out: &mut String) {
        let s = &self.settings;
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
            ratio(self.ratio()),
            self.ratio_verdict()
        );
    }

    /// (2): durable increments and the tally check.
    fn write_increments(&self, out: &mut String) {
        let s = &self.settings;
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
    }

    /// (3): registration, the measured rounds, the cold round, late pushes.
    fn write_pushes(&self, out: &mut String) {
        let s = &self.settings;
        let _ = writeln!(
            out,
            "(3) push fan-out of setScore/{EVENT} to {} tablets, each its own listener: \
             {} measured rounds after one cold round",
            s.tablets, s.rounds
        );
        if let Some(r) = &self.registration {
            let first = r.first_refusal.as_ref();
            let _ = writeln!(
                out,
                "    registered {} tablets, refused {}{}",
                r.registered,
                r.refused,
                first.map_or(String::new(), |e| format!(" (first: {e})"))
            );
        }
        let samples = self.push_samples();
        let max = Summary::of(samples.clone()).map_or(DASH.into(), |p| Nanos(p.max).to_string());
        let (missed, pairs) = self.push_missed();
        let _ = writeln!(
            out,
            "    setScore sent -> tablet pushed, over every (tablet, round): p50/p90/p99 {}, max {max}\n    \
             missed (not pushed within {ROUND_DEADLINE:?}) {missed} of {pairs} (target p99 < {PUSH_P99_TARGET:?}: {})",
            p50_90_99(Some(&samples)),
            self.push_verdict()
        );
        self.write_rounds(out);
        let _ = writeln!(
            out,
            "    pushes carrying another round's scores (late): {}",
            self.stale_pushes
        );
    }

    /// (3): per round, and the cold round apart.
    fn write_rounds(&self, out: &mut String) {
        let per_round = |pick: fn(&[u64]) -> Option<u64>| -> Vec<u64> {
            self.rounds
                .iter()
                .filter_map(|r| pick(&r.latencies))
                .collect()
        };
        let set_score: Vec<u64> = self.rounds.iter().map(|r| r.set_score).collect();
        let first = per_round(|l| l.iter().min().copied());
        let last = per_round(|l| l.iter().max().copied());
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
    }
}

/// `12,345 ops/s  latency p50/p90/p99 …  (n good, n refused, n lost)` and
/// the first bad reply, if any.
fn load_line(load: &HttpLoadResult) -> String {
    let mut line = format!(
        "{:>14}  latency p50/p90/p99 {}  ({} good in the window, {} refused, {} lost)",
        ops(Some(load)),
        p50_90_99(latencies(Some(load))),
        load.throughput.completed,
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
