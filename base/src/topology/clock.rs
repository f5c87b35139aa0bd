//! The `[clock]` section: how the leader synchronises the herd's clocks
//! (Berkeley; docs/COORDINATION.md).

use serde::{Deserialize, Serialize};

/// Default of `[clock] sync_interval_ms`.
pub const DEFAULT_SYNC_INTERVAL_MS: u64 = 1000;

/// Default of `[clock] max_deviation_ms`.
pub const DEFAULT_MAX_DEVIATION_MS: u64 = 10_000;

/// Shortest sync interval accepted: rounds must have time to collect.
pub const MIN_SYNC_INTERVAL_MS: u64 = 50;

/// Longest sync interval accepted (an hour).
pub const MAX_SYNC_INTERVAL_MS: u64 = 3_600_000;

/// Largest simulated skew a server may be given (a year), so every clock
/// stays far inside the nanosecond range.
pub const MAX_CLOCK_SKEW_MS: i64 = 365 * 86_400_000;

/// What time a Berkeley round brings the clocks to (`[clock] target`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockTarget {
    /// The mean of the sane clocks (Berkeley as published): the herd's
    /// time is their average, and a clock ahead of it slews back.
    #[default]
    Average,
    /// The latest sane clock (at the early end of its estimate): every
    /// other clock steps forward to it, so the sane clocks agree after one
    /// round; the herd then runs with its fastest sane clock (within
    /// `max_deviation_ms` of the median).
    Latest,
}

/// The `[clock]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClockConfig {
    /// How often the leader polls every clock it can reach.
    pub sync_interval_ms: u64,
    /// A reading further than this from the median is left out of the
    /// average (and still corrected).
    pub max_deviation_ms: u64,
    /// Whether rounds aim at the average or the latest sane clock.
    pub target: ClockTarget,
}

impl Default for ClockConfig {
    fn default() -> Self {
        Self {
            sync_interval_ms: DEFAULT_SYNC_INTERVAL_MS,
            max_deviation_ms: DEFAULT_MAX_DEVIATION_MS,
            target: ClockTarget::Average,
        }
    }
}

impl ClockConfig {
    /// The first option out of range, as `(field, value, reason)`.
    pub fn out_of_range(&self) -> Option<(&'static str, String, &'static str)> {
        let interval = self.sync_interval_ms;
        (!(MIN_SYNC_INTERVAL_MS..=MAX_SYNC_INTERVAL_MS).contains(&interval)).then(|| {
            (
                "clock.sync_interval_ms",
                interval.to_string(),
                "must be 50 to 3600000",
            )
        })
    }
}
