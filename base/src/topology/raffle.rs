//! The `[raffle]` section: the totally ordered count of Olympic requests
//! and its raffle (docs/COORDINATION.md).

use serde::{Deserialize, Serialize};

/// Default of `[raffle] every`: every 100th ordered request is an entry.
pub const DEFAULT_RAFFLE_EVERY: u64 = 100;

/// Default of `[raffle] suspect_ms`: a member unheard this long is removed
/// from the view.
pub const DEFAULT_SUSPECT_MS: u64 = 3000;

/// Shortest `suspect_ms` accepted: longer than the membership timeout
/// (600 ms), so a busy moment does not cost a view change.
pub const MIN_SUSPECT_MS: u64 = 700;

/// Longest `suspect_ms` accepted (an hour).
pub const MAX_SUSPECT_MS: u64 = 3_600_000;

/// The `[raffle]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaffleConfig {
    /// Every `every`-th delivered request is a raffle entry.
    pub every: u64,
    /// A member unreachable for longer than this is removed from the view.
    pub suspect_ms: u64,
}

impl Default for RaffleConfig {
    fn default() -> Self {
        Self {
            every: DEFAULT_RAFFLE_EVERY,
            suspect_ms: DEFAULT_SUSPECT_MS,
        }
    }
}

impl RaffleConfig {
    /// The first option out of range, as `(field, value, reason)`.
    pub fn out_of_range(&self) -> Option<(&'static str, String, &'static str)> {
        if self.every == 0 {
            return Some(("raffle.every", "0".into(), "must be at least 1"));
        }
        let suspect = self.suspect_ms;
        (!(MIN_SUSPECT_MS..=MAX_SUSPECT_MS).contains(&suspect)).then(|| {
            (
                "raffle.suspect_ms",
                suspect.to_string(),
                "must be 700 to 3600000",
            )
        })
    }
}
