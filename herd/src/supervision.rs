//! The child's side of `herd up`: a server (or facade) started by `herd up`
//! dies with it, even when `herd up` is killed with SIGKILL, and tells it
//! on standard output when it is ready and when all its links are up.
//!
//! `herd up` passes its own process id (the hidden `--supervised-by PID`
//! flag). The child asks the kernel for SIGTERM when its parent dies
//! (`PR_SET_PDEATHSIG`), then checks that its parent is still that
//! process: had `herd up` died before the request, the child would have
//! been handed to another parent, and it stops at once instead.
//!
//! Supervised servers also leave the insecure-defaults warnings to `herd up`,
//! which prints one summary for the whole herd ([`insecure`]); the servers
//! log them at `info` in their own files.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::shared::Shared;
use base::topology::SecurityConfig;

/// The line a supervised server prints once it accepts clients and peers:
/// `ready <client addr> <peer addr>`.
pub const READY: &str = "ready";

/// The line a supervised server prints once a link to every neighbour is up.
pub const LINKS_UP: &str = "links-up";

/// How often a supervised server looks at its links until all are up.
const LINKS_POLL: Duration = Duration::from_millis(50);

/// Set when `herd up` summarises the insecure defaults for this process.
static SUMMARISED_BY_PARENT: AtomicBool = AtomicBool::new(false);

/// Why a process cannot run supervised.
pub use base::parent::ParentError as SupervisionError;

/// Makes this process get SIGTERM when `parent` dies, and checks that
/// `parent` is still alive and our parent ([`base::parent`]); `herd up`
/// then summarises this process's insecure defaults. Call it first thing.
pub fn die_with_parent(parent: u32) -> Result<(), SupervisionError> {
    base::parent::die_with_parent(parent)?;
    SUMMARISED_BY_PARENT.store(true, Ordering::Relaxed);
    Ok(())
}

/// True when `herd up` reports this process's insecure defaults, so the
/// process logs them at `info` rather than warning on standard error.
pub fn defaults_summarised_by_parent() -> bool {
    SUMMARISED_BY_PARENT.load(Ordering::Relaxed)
}

/// The insecure defaults a server with `security` (and this process's
/// environment) would use, in words, for `herd up`'s summary.
pub fn insecure(security: &SecurityConfig) -> Vec<&'static str> {
    let mut found = Vec::new();
    if std::env::var_os(crate::peer::KEY_ENV).is_none() && security.key_file.is_none() {
        found.push(
            "link key: the built-in default, which keeps no one out \
             (set HERD_KEY or [security] key_file)",
        );
    }
    if std::env::var_os(crate::auth::CACOFONIX_ENV).is_none() && security.cacofonix_file.is_none() {
        found.push(
            "Cacofonix id: the documented local default, which anyone can use \
             (set CACOFONIX_ID or [security] cacofonix_file)",
        );
    }
    found
}

/// Prints one line for `herd up` on standard output.
pub fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Waits until a link to every neighbour is up, then prints [`LINKS_UP`].
pub async fn report_links_up(shared: &Shared) {
    let neighbours = shared.peers.neighbours().len();
    while shared.peers.live().len() < neighbours {
        tokio::time::sleep(LINKS_POLL).await;
    }
    report(LINKS_UP);
}
