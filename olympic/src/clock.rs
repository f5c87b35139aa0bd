//! Where score stamps get their time from.
//!
//! Behind a trait so that clock synchronisation (Berkeley: the system clock
//! plus an agreed offset) and tests (a clock set by hand) can stand in. A
//! server never relies on the clock moving forward: its own stamps are always
//! above the last stamp it has seen for the event (see
//! [`Olympics::set_score`](super::Olympics::set_score)).

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};

use proto::timestamp::now_nanos;

/// A source of nanoseconds since the epoch.
pub trait Clock: Send + Sync + Debug + 'static {
    /// The current time in nanoseconds since the epoch.
    fn now_ns(&self) -> i128;
}

/// The system clock plus an adjustable offset (the Berkeley correction).
#[derive(Debug, Default)]
pub struct SystemClock {
    /// Added to the system time, in nanoseconds.
    offset_ns: AtomicI64,
}

impl SystemClock {
    /// The system clock with no offset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the offset added to every reading.
    pub fn set_offset_ns(&self, offset_ns: i64) {
        self.offset_ns.store(offset_ns, Ordering::Relaxed);
    }

    /// The offset currently added to every reading.
    pub fn offset_ns(&self) -> i64 {
        self.offset_ns.load(Ordering::Relaxed)
    }
}

impl Clock for SystemClock {
    fn now_ns(&self) -> i128 {
        now_nanos() + i128::from(self.offset_ns())
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

    #[test]
    fn the_offset_moves_the_system_clock() {
        let clock = SystemClock::new();
        clock.set_offset_ns(3_600_000_000_000);
        let ahead = clock.now_ns() - now_nanos();
        assert!(
            (3_599_000_000_000..=3_600_000_000_000).contains(&ahead),
            "{ahead}"
        );
        let manual = ManualClock::new(5);
        manual.set(-2);
        assert_eq!(manual.now_ns(), -2);
    }
}
