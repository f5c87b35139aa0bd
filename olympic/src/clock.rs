//! Where score stamps get their time from.
//!
//! Behind a trait so that clock synchronisation (Berkeley: the system clock
//! plus an agreed offset) and tests (a clock set by hand) can stand in. A
//! server never relies on the clock moving forward: its own stamps are always
//! above the last stamp it has seen for the event (see
//! [`Olympics::set_score`](super::Olympics::set_score)).

use std::fmt::Debug;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use proto::timestamp::now_nanos;

/// A source of nanoseconds since the epoch.
pub trait Clock: Send + Sync + Debug + 'static {
    /// The current time in nanoseconds since the epoch.
    fn now_ns(&self) -> i128;
}

/// How fast a negative adjustment is absorbed, in percent of real time:
/// at 50 the synchronised clock runs at half speed until it has given back
/// the whole adjustment, so it never reads less than it read before. A
/// positive adjustment applies at once (the clock jumps forward).
pub const SLEW_PERCENT: i128 = 50;

/// The system clock, plus a simulated skew, plus the offset clock
/// synchronisation agrees (Berkeley). Never goes backwards.
#[derive(Debug, Default)]
pub struct SystemClock {
    /// Added to the system time before anything else, in nanoseconds: the
    /// `clock_skew_ms` a topology gives a server to show what
    /// synchronisation fixes.
    skew_ns: i64,
    /// The offset and the last reading, behind a lock held for a few
    /// arithmetic steps, never across an `.await`.
    state: Mutex<Offset>,
}

/// The offset and how it is moving.
#[derive(Debug, Default)]
struct Offset {
    /// The offset in force at `at_raw`.
    offset_ns: i128,
    /// Where the offset is going: slewing down towards it, or equal.
    target_ns: i128,
    /// The raw (skewed) time at which `offset_ns` was in force.
    at_raw: i128,
    /// The largest reading given out, so none is ever smaller.
    last_ns: i128,
}

impl Offset {
    /// The offset in force at raw time `raw`.
    fn at(&self, raw: i128) -> i128 {
        if self.target_ns >= self.offset_ns {
            return self.target_ns;
        }
        let given_back = (raw - self.at_raw).max(0) * SLEW_PERCENT / 100;
        (self.offset_ns - given_back).max(self.target_ns)
    }
}

impl SystemClock {
    /// The system clock with no skew and no offset.
    pub fn new() -> Self {
        Self::default()
    }

    /// The system clock skewed by `skew_ns` (for tests and demos).
    pub fn with_skew_ns(skew_ns: i64) -> Self {
        Self {
            skew_ns,
            ..Self::default()
        }
    }

    /// The skewed system clock, before any offset.
    fn raw_ns(&self) -> i128 {
        now_nanos() + i128::from(self.skew_ns)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Offset> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds `delta_ns` to the offset: at once if positive, slewed at
    /// [`SLEW_PERCENT`] if negative.
    pub fn adjust(&self, delta_ns: i64) {
        let raw = self.raw_ns();
        let mut state = self.state();
        state.offset_ns = state.at(raw);
        state.at_raw = raw;
        state.target_ns += i128::from(delta_ns);
    }

    /// The offset in force now (part way to the target while slewing).
    pub fn offset_ns(&self) -> i64 {
        let raw = self.raw_ns();
        clamp(self.state().at(raw))
    }

    /// The skew this clock was given.
    pub fn skew_ns(&self) -> i64 {
        self.skew_ns
    }

    /// The clock as it will read once any slew is done: what this server
    /// reports to the leader, so a round measures where the clock is going.
    pub fn target_now_ns(&self) -> i128 {
        let raw = self.raw_ns();
        raw + self.state().target_ns
    }
}

fn clamp(ns: i128) -> i64 {
    ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

impl Clock for SystemClock {
    fn now_ns(&self) -> i128 {
        let raw = self.raw_ns();
        let mut state = self.state();
        let reading = (raw + state.at(raw)).max(state.last_ns);
        state.last_ns = reading;
        reading
    }
}

/// A clock that only moves when told to, for tests and simulations.
#[derive(Debug, Default)]
pub struct ManualClock {
    /// The time it reads, in nanoseconds.
    now_ns: AtomicI64,
}

impl ManualClock {
    /// A clock reading `now_ns`.
    pub fn new(now_ns: i64) -> Self {
        Self {
            now_ns: AtomicI64::new(now_ns),
        }
    }

    /// Sets the time it reads (backwards is allowed).
    pub fn set(&self, now_ns: i64) {
        self.now_ns.store(now_ns, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_ns(&self) -> i128 {
        i128::from(self.now_ns.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000_000;

    #[test]
    fn skew_and_positive_adjustments_move_the_clock_at_once() {
        let clock = SystemClock::with_skew_ns(HOUR);
        let ahead = clock.now_ns() - now_nanos();
        assert!(
            (HOUR - 1_000_000_000..=HOUR).contains(&(ahead as i64)),
            "{ahead}"
        );
        clock.adjust(HOUR);
        assert_eq!(clock.offset_ns(), HOUR);
        let manual = ManualClock::new(5);
        manual.set(-2);
        assert_eq!(manual.now_ns(), -2);
    }

    #[test]
    fn a_negative_adjustment_slews_and_never_goes_backwards() {
        let clock = SystemClock::with_skew_ns(HOUR);
        let before = clock.now_ns();
        clock.adjust(-HOUR);
        let after = clock.now_ns();
        assert!(after >= before, "never backwards");
        let offset = clock.offset_ns();
        assert!(offset > -HOUR / 2, "still slewing from 0: {offset}");
        assert!(clock.target_now_ns() < before, "reports where it is going");
        let mut last = after;
        for _ in 0..1000 {
            let now = clock.now_ns();
            assert!(now >= last);
            last = now;
        }
    }
}
