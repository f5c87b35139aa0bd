//! Latency samples to percentiles, by sorting: exact, and cheap enough for
//! the few million samples one benchmark run collects.

use std::fmt;
use std::time::Duration;

/// The nearest-rank percentile of `sorted` (ascending): the smallest sample
/// such that at least `p` percent of the samples are at or below it.
/// `None` for no samples; `p` is clamped to 0..=100.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.saturating_sub(1).min(sorted.len() - 1)])
}

/// Percentiles of a set of latencies, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest sample.
    pub max: u64,
}

impl Summary {
    /// Sorts `samples` (nanoseconds) and summarises them; `None` if empty.
    pub fn of(mut samples: Vec<u64>) -> Option<Self> {
        samples.sort_unstable();
        Some(Self {
            count: samples.len(),
            p50: percentile(&samples, 50.0)?,
            p90: percentile(&samples, 90.0)?,
            p99: percentile(&samples, 99.0)?,
            max: *samples.last()?,
        })
    }
}

/// A duration in nanoseconds, printed in whole µs below 1 ms and in ms above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nanos(pub u64);

impl fmt::Display for Nanos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = Duration::from_nanos(self.0);
        if d < Duration::from_millis(1) {
            write!(f, "{:.0} µs", self.0 as f64 / 1e3)
        } else {
            write!(f, "{:.2} ms", self.0 as f64 / 1e6)
        }
    }
}

/// Nanoseconds of a duration, saturating at `u64::MAX` (585 years).
pub fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_of_one_to_hundred() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 90.0), Some(90));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 99.5), Some(100));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.0), Some(1));
    }

    #[test]
    fn small_sets_round_up_not_down() {
        assert_eq!(percentile(&[7], 1.0), Some(7));
        assert_eq!(percentile(&[1, 2], 50.0), Some(1));
        assert_eq!(percentile(&[1, 2], 51.0), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 99.0), Some(4));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn summary_sorts_its_input() {
        let s = Summary::of(vec![5, 1, 4, 2, 3, 10, 9, 8, 7, 6]).unwrap();
        assert_eq!((s.count, s.p50, s.p90, s.p99, s.max), (10, 5, 9, 10, 10));
        assert_eq!(Summary::of(Vec::new()), None);
    }

    #[test]
    fn nanos_display_switches_units() {
        assert_eq!(Nanos(12_400).to_string(), "12 µs");
        assert_eq!(Nanos(999_000).to_string(), "999 µs");
        assert_eq!(Nanos(1_000_000).to_string(), "1.00 ms");
        assert_eq!(Nanos(12_345_000).to_string(), "12.35 ms");
    }
}
