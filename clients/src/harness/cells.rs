//! What goes in a report's cells: rates, percentiles, ratios, and the
//! verdict on a target, written the same way by both benchmarks.

use std::fmt;
use std::time::Duration;

use super::stats::{Nanos, Summary};

/// What a cell says for something not measured.
pub const DASH: &str = "—";

/// Whether a target was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The measurement meets the target.
    Met,
    /// It does not.
    Missed,
    /// It was not taken.
    NotRun,
}

impl Verdict {
    /// `Met` or `Missed` as `met` says, `NotRun` for `None`.
    pub fn of(met: Option<bool>) -> Self {
        match met {
            Some(true) => Self::Met,
            Some(false) => Self::Missed,
            None => Self::NotRun,
        }
    }

    /// Whether `ratio` is at least `target`.
    pub fn at_least(ratio: Option<f64>, target: f64) -> Self {
        Self::of(ratio.map(|r| r >= target))
    }

    /// Whether `value` is at most `target`.
    pub fn at_most(value: Option<f64>, target: f64) -> Self {
        Self::of(value.map(|v| v <= target))
    }

    /// Whether the p99 of `samples` is under `target`.
    pub fn p99_under(samples: Option<&[u64]>, target: Duration) -> Self {
        let summary = samples.and_then(|s| Summary::of(s.to_vec()));
        Self::of(summary.map(|s| Duration::from_nanos(s.p99) < target))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Met => "met",
            Self::Missed => "missed",
            Self::NotRun => "not run",
        })
    }
}

/// `12,345 ops/s`: a rate rounded to a whole number, with thousands separators.
pub fn per_second(rate: f64) -> String {
    thousands(&format!("{rate:.0}")) + " ops/s"
}

/// `12,345`: a whole number's decimal `digits` with thousands separators.
pub fn thousands(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio to two decimals, or a dash.
pub fn ratio(ratio: Option<f64>) -> String {
    ratio.map_or(DASH.into(), |r| format!("{r:.2}"))
}

/// `p50 / p90 / p99` of `samples` (ns), or a dash.
pub fn p50_90_99(samples: Option<&[u64]>) -> String {
    match samples.and_then(|s| Summary::of(s.to_vec())) {
        Some(s) => format!("{} / {} / {}", Nanos(s.p50), Nanos(s.p90), Nanos(s.p99)),
        None => DASH.into(),
    }
}

/// `p50 / p99` of `samples` (ns), or a dash.
pub fn p50_99(samples: Option<&[u64]>) -> String {
    match samples.and_then(|s| Summary::of(s.to_vec())) {
        Some(s) => format!("{} / {}", Nanos(s.p50), Nanos(s.p99)),
        None => DASH.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_get_thousands_separators() {
        assert_eq!(per_second(0.4), "0 ops/s");
        assert_eq!(per_second(999.0), "999 ops/s");
        assert_eq!(per_second(1_705_452.3), "1,705,452 ops/s");
    }

    #[test]
    fn verdicts_follow_the_numbers_and_say_what_was_not_run() {
        assert_eq!(Verdict::at_least(Some(0.5), 0.5).to_string(), "met");
        assert_eq!(Verdict::at_least(Some(0.49), 0.5).to_string(), "missed");
        assert_eq!(Verdict::at_least(None, 0.5).to_string(), "not run");
        assert_eq!(Verdict::at_most(Some(4.0), 4.0), Verdict::Met);
        assert_eq!(Verdict::at_most(Some(4.1), 4.0), Verdict::Missed);
        let ms = Duration::from_millis(1);
        assert_eq!(Verdict::p99_under(Some(&[999_999]), ms), Verdict::Met);
        assert_eq!(Verdict::p99_under(Some(&[1_000_000]), ms), Verdict::Missed);
        assert_eq!(Verdict::p99_under(Some(&[]), ms), Verdict::NotRun);
    }

    #[test]
    fn percentiles_and_ratios_or_a_dash() {
        assert_eq!(p50_90_99(Some(&[50_000; 10])), "50 µs / 50 µs / 50 µs");
        assert_eq!(p50_99(Some(&[400_000, 2_000_000])), "400 µs / 2.00 ms");
        assert_eq!(p50_99(None), DASH);
        assert_eq!(ratio(Some(0.454)), "0.45");
        assert_eq!(ratio(None), DASH);
    }
}
