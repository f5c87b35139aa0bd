//! Rate limiting for warnings that a peer (or a stranger) can trigger at will:
//! rejected handshakes and dropped floods. The first event is reported at
//! once; after that at most one report per interval, carrying how many events
//! were folded into it, so logs stay bounded without hiding anything.

use std::time::{Duration, Instant};

/// Decides whether an event should be logged now.
#[derive(Debug)]
pub(crate) struct Throttle {
    /// Least time between two reports.
    every: Duration,
    /// When the last report went out; `None` before the first.
    last: Option<Instant>,
    /// Events since the last report that were not reported.
    suppressed: u64,
}

impl Throttle {
    /// A throttle allowing one report per `every`.
    pub(crate) fn new(every: Duration) -> Self {
        Self {
            every,
            last: None,
            suppressed: 0,
        }
    }

    /// Records one event. Returns `Some(n)` when it should be reported, `n`
    /// being how many earlier events went unreported; `None` to stay quiet.
    pub(crate) fn event(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(last) if now.duration_since(last) < self.every => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_event_reports_then_folds_until_interval_passes() {
        let mut t = Throttle::new(Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(t.event(t0), Some(0));
        assert_eq!(t.event(t0 + Duration::from_millis(10)), None);
        assert_eq!(t.event(t0 + Duration::from_millis(999)), None);
        assert_eq!(t.event(t0 + Duration::from_secs(1)), Some(2));
        assert_eq!(t.event(t0 + Duration::from_millis(1500)), None);
    }
}
