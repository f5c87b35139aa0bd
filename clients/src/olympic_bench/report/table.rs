//! The markdown table of an `olympic-bench` run, one row per measurement,
//! to paste into the README.

use super::{PUSH_P99_TARGET, Report, THROUGHPUT_TARGET, latencies, ops};
use crate::harness::cells::{DASH, p50_90_99, p50_99, ratio};
use crate::harness::table::Table;
use crate::olympic_bench::tablets::ROUND_DEADLINE;
use crate::olympic_bench::tally::TallyCheck;

impl Report {
    /// Rows (1) to (3).
    pub(super) fn table(&self) -> Table<5> {
        let mut table = Table::new([
            "Measurement",
            "Baseline",
            "Facade",
            "Facade / baseline",
            "Target",
        ]);
        self.read_rows(&mut table);
        self.increment_rows(&mut table);
        self.push_rows(&mut table);
        table
    }

    /// (1): read throughput and latency.
    fn read_rows(&self, table: &mut Table<5>) {
        let (baseline, facade) = (self.baseline_get.as_ref(), self.facade_get.as_ref());
        table.row([
            format!(
                "(1) getMedalTally throughput, {} conns",
                self.settings.connections
            ),
            ops(baseline),
            ops(facade),
            ratio(self.ratio()),
            format!("≥ {THROUGHPUT_TARGET}: {}", self.ratio_verdict()),
        ]);
        table.row([
            "(1) getMedalTally latency, p50 / p90 / p99".into(),
            p50_90_99(latencies(baseline)),
            p50_90_99(latencies(facade)),
            String::new(),
            String::new(),
        ]);
    }

    /// (2): increment throughput, latency and the tally check.
    fn increment_rows(&self, table: &mut Table<5>) {
        let increments = self.increments.as_ref();
        table.row([
            format!(
                "(2) incrementMedalTally throughput, fsync before ack, {} conns",
                self.settings.connections
            ),
            DASH.into(),
            ops(increments),
            String::new(),
            String::new(),
        ]);
        table.row([
            "(2) incrementMedalTally latency, p50 / p90 / p99".into(),
            DASH.into(),
            p50_90_99(latencies(increments)),
            String::new(),
            String::new(),
        ]);
        table.row([
            "(2) tally after = before + acknowledged".into(),
            DASH.into(),
            self.tally.as_ref().map_or(DASH.into(), tally_cell),
            String::new(),
            format!("equal: {}", self.tally_verdict()),
        ]);
    }

    /// (3): push latency, misses, the cold round.
    fn push_rows(&self, table: &mut Table<5>) {
        let (missed, pairs) = self.push_missed();
        let registered = self.registration.as_ref().map_or(0, |r| r.registered);
        let with_cold = self
            .cold_round
            .as_ref()
            .map(|_| self.push_samples_with_cold());
        let rows = [
            (
                format!(
                    "(3) setScore → push at {registered} registered tablets, {} rounds, p50 / p90 / p99",
                    self.settings.rounds
                ),
                p50_90_99(Some(&self.push_samples())),
                format!(
                    "p99 < {} ms, none missed: {}",
                    PUSH_P99_TARGET.as_millis(),
                    self.push_verdict()
                ),
            ),
            (
                format!("(3) (tablet, round) pushes missed (> {ROUND_DEADLINE:?})"),
                format!("{missed} / {pairs}"),
                String::new(),
            ),
            (
                "(3) cold first round (new connections), p50 / p99".into(),
                p50_99(self.cold_round.as_ref().map(|r| r.latencies.as_slice())),
                String::new(),
            ),
            (
                "(3) every round, the cold one included, p50 / p99".into(),
                p50_99(with_cold.as_deref()),
                String::new(),
            ),
        ];
        for (what, facade, target) in rows {
            table.row([what, DASH.into(), facade, String::new(), target]);
        }
    }
}

/// `2005, 2005, 2005 (herd, facade) vs 2005`: every count read, and the
/// count or range expected.
fn tally_cell(t: &TallyCheck) -> String {
    let (low, high) = t.expected();
    let range = if low == high {
        low.to_string()
    } else {
        format!("{low}..={high}")
    };
    let mut counts: Vec<String> = t.servers.values().map(u64::to_string).collect();
    counts.push(t.facade_after.to_string());
    format!("{} (herd, facade) vs {range}", counts.join(", "))
}
