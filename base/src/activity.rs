//! What one client connection last did, written by its task and read by
//! the [`crate::admission`] registry when it must choose whom to shed: when
//! it last did something useful, and whether a request is in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What one connection last did, written by its task and read by the
/// registry when it must choose whom to shed.
#[derive(Debug)]
pub struct Activity {
    /// The registry's clock origin; `last_ms` counts from here.
    epoch: Instant,
    /// Milliseconds after `epoch` of the last useful activity (a complete
    /// line, a request head, the end of a response), or of the accept.
    last_ms: AtomicU64,
    /// Requests being answered right now (HTTP); a busy connection is shed
    /// only when no idle one is left.
    in_flight: AtomicUsize,
}

impl Activity {
    /// Activity of a connection accepted now; `epoch` is the registry's
    /// clock origin.
    pub(crate) fn new(epoch: Instant) -> Self {
        let activity = Self {
            epoch,
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        };
        activity.touch();
        activity
    }

    /// Records useful activity now.
    pub fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Marks a request in flight until the returned guard is dropped;
    /// both ends count as activity.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.touch();
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(Arc::clone(self))
    }

    /// True while a request is in flight.
    pub fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) > 0
    }

    /// How long since the last activity.
    pub fn idle(&self) -> Duration {
        let now = self.epoch.elapsed();
        now.saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }

    /// The shedding order: idle before busy, then oldest activity first.
    pub(crate) fn shed_key(&self) -> (bool, u64) {
        (self.busy(), self.last_ms.load(Ordering::Relaxed))
    }

    /// Sets the last activity to `ms` after the epoch, for tests.
    #[cfg(test)]
    pub(crate) fn set_last_ms(&self, ms: u64) {
        self.last_ms.store(ms, Ordering::Relaxed);
    }
}

/// A request in flight on a connection; dropping it ends the request.
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}
