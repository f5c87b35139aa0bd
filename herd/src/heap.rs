//! How much memory the server's allocator holds, for `STATUS` and the
//! benchmark's memory-per-client figure.
//!
//! The `herd` binary runs on jemalloc and says so at start
//! ([`running_on_jemalloc`]); its statistics then tell the bytes the
//! program has allocated (what it stores and buffers) from the bytes the
//! allocator keeps resident (that plus what it has not given back yet).
//! Anywhere else (library tests, other binaries) there are no figures.

use std::sync::atomic::{AtomicBool, Ordering};

pub use proto::reply::Heap;

/// Set once the process's global allocator is jemalloc.
static ON_JEMALLOC: AtomicBool = AtomicBool::new(false);

/// Declares that this process allocates through jemalloc, so its
/// statistics describe the whole program, and starts jemalloc's background
/// thread, which gives pages freed after a burst back to the system even
/// while the server is idle (otherwise that happens only as it allocates).
pub fn running_on_jemalloc() {
    ON_JEMALLOC.store(true, Ordering::Relaxed);
    if let Err(error) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::debug!(%error, "jemalloc background thread not started");
    }
}

/// The allocator's figures now, if the process runs on jemalloc.
pub fn heap() -> Option<Heap> {
    if !ON_JEMALLOC.load(Ordering::Relaxed) {
        return None;
    }
    // The statistics are cached; advancing the epoch refreshes them.
    tikv_jemalloc_ctl::epoch::advance().ok()?;
    Some(Heap {
        allocated: tikv_jemalloc_ctl::stats::allocated::read().ok()? as u64,
        resident: tikv_jemalloc_ctl::stats::resident::read().ok()? as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_no_figures_unless_the_process_said_it_runs_on_jemalloc() {
        // Library tests run on the system allocator and never declare it.
        assert_eq!(heap(), None);
    }
}
