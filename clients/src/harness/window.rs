//! The time shape of a load run: a warm-up, so connections and caches are
//! warm, then a measured interval. Every connection of a run shares one
//! [`Window`]; each counts what completed inside it into its own
//! [`Throughput`], and the run adds them up.

use std::time::Duration;

use tokio::time::Instant;

use super::stats::nanos;

/// Latency samples kept per connection; past this only the count grows.
pub const MAX_SAMPLES: usize = 4_000_000;

/// When measuring starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The end of the warm-up.
    pub measure_from: Instant,
    /// The end of the measured interval, and of the run.
    pub end: Instant,
}

impl Window {
    /// A window starting now: `warmup`, then `duration` measured.
    pub fn starting_now(warmup: Duration, duration: Duration) -> Self {
        let measure_from = Instant::now() + warmup;
        Self {
            measure_from,
            end: measure_from + duration,
        }
    }

    /// The measured interval's length.
    pub fn duration(&self) -> Duration {
        self.end - self.measure_from
    }

    /// Whether something completed at `at` counts.
    pub fn measures(&self, at: Instant) -> bool {
        at >= self.measure_from && at <= self.end
    }

    /// Whether the run is still on at `at`: new requests may be sent.
    pub fn is_open(&self, at: Instant) -> bool {
        at < self.end
    }
}

/// Requests completed inside a window, and their latencies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Throughput {
    /// Requests completed inside the measured interval.
    pub completed: u64,
    /// The measured interval.
    pub measured: Duration,
    /// Latency of (up to [`MAX_SAMPLES`] per connection of) those, ns.
    pub latencies: Vec<u64>,
}

impl Throughput {
    /// None yet, over `window`'s measured interval.
    pub fn over(window: &Window) -> Self {
        Self {
            measured: window.duration(),
            ..Self::default()
        }
    }

    /// Counts a request sent at `sent` and completed at `done`, if `done`
    /// is inside `window`.
    pub fn record(&mut self, window: &Window, sent: Instant, done: Instant) {
        if window.measures(done) {
            self.completed += 1;
            if self.latencies.len() < MAX_SAMPLES {
                self.latencies.push(nanos(done - sent));
            }
        }
    }

    /// Completed requests per second of the measured interval.
    pub fn ops_per_sec(&self) -> f64 {
        self.completed as f64 / self.measured.as_secs_f64()
    }

    /// Adds another connection's count and samples (same window).
    pub fn merge(&mut self, other: Throughput) {
        self.completed += other.completed;
        self.latencies.extend(other.latencies);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_completes_inside_the_window_counts() {
        let window = Window::starting_now(Duration::from_secs(1), Duration::from_secs(2));
        let start = window.measure_from - Duration::from_secs(1);
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut one = Throughput::over(&window);
        one.record(&window, at(0), at(999));
        one.record(&window, at(900), at(1_000));
        one.record(&window, at(2_000), at(3_000));
        one.record(&window, at(2_000), at(3_001));
        assert_eq!(one.completed, 2);
        assert_eq!(one.latencies, [100_000_000, 1_000_000_000]);
        assert!(window.is_open(at(2_999)) && !window.is_open(at(3_000)));
        let mut total = Throughput::over(&window);
        total.merge(one.clone());
        total.merge(one);
        assert_eq!(total.completed, 4);
        assert_eq!(total.ops_per_sec(), 2.0);
    }
}
