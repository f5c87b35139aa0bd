//! A latency histogram that many tasks record into without a lock: fixed
//! bucket bounds, one atomic counter per bucket, encoded by
//! `prometheus-client` like its own histograms.
//!
//! prometheus-client's `Histogram` takes a mutex per observation and records
//! one value at a time. A client connection writes a whole batch of replies
//! with one write, so they all have one latency: this histogram adds `n`
//! observations of one value with two atomic adds, and its memory is fixed
//! whether or not anyone scrapes it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

pub use base::latency::{LATENCY_BOUNDS_NS, latency_bounds_secs};

/// Nanoseconds per second, for the export in seconds.
const NANOS_PER_SEC: f64 = 1e9;

/// A histogram of durations over [`LATENCY_BOUNDS_NS`].
#[derive(Debug, Default)]
pub struct LatencyHistogram {
    /// Observations per bucket (not cumulative); the last one is `+Inf`.
    buckets: [AtomicU64; LATENCY_BOUNDS_NS.len() + 1],
    /// Sum of every observation, in nanoseconds (wraps after 584 years).
    sum_ns: AtomicU64,
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one observation.
    pub fn observe(&self, took: Duration) {
        self.observe_many(took, 1);
    }

    /// Records `n` observations that each took `took`.
    pub fn observe_many(&self, took: Duration, n: u64) {
        if n == 0 {
            return;
        }
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BOUNDS_NS.partition_point(|&bound| bound < ns);
        self.buckets[bucket].fetch_add(n, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns.wrapping_mul(n), Ordering::Relaxed);
    }

    /// Observations recorded so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// Sum in seconds, count, and `(upper bound, observations)` per bucket.
    fn snapshot(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let bounds = latency_bounds_secs().chain(std::iter::once(f64::INFINITY));
        let buckets: Vec<(f64, u64)> = bounds
            .zip(&self.buckets)
            .map(|(bound, n)| (bound, n.load(Ordering::Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / NANOS_PER_SEC;
        (sum, count, buckets)
    }
}

impl olympic::FsyncObserver for LatencyHistogram {
    fn observe(&self, took: std::time::Duration) {
        LatencyHistogram::observe(self, took);
    }
}

impl TypedMetric for LatencyHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for LatencyHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let (sum, count, buckets) = self.snapshot();
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_at_or_above_them() {
        let h = LatencyHistogram::new();
        h.observe(Duration::from_micros(25));
        h.observe_many(Duration::from_micros(26), 3);
        h.observe(Duration::from_secs(60));
        let (sum, count, buckets) = h.snapshot();
        assert_eq!(count, 5);
        assert_eq!(buckets[0], (0.000_025, 1));
        assert_eq!(buckets[1], (0.000_05, 3));
        assert_eq!(buckets.last().unwrap(), &(f64::INFINITY, 1));
        assert!((sum - (60.0 + 0.000_025 + 3.0 * 0.000_026)).abs() < 1e-9);
    }

    #[test]
    fn zero_observations_change_nothing() {
        let h = LatencyHistogram::new();
        h.observe_many(Duration::from_millis(1), 0);
        assert_eq!(h.count(), 0);
    }
}
