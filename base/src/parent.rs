//! A child that dies with its parent: `herd up` starts servers and facades
//! and passes its own process id; the child asks the kernel for SIGTERM when
//! its parent dies (`PR_SET_PDEATHSIG`), then checks that its parent is
//! still that process. Had the parent died before the request, the child
//! would have been handed to another parent, and it stops at once instead.

use nix::sys::signal::Signal;
use nix::unistd::Pid;

/// Why a process cannot run tied to its parent.
#[derive(Debug, thiserror::Error)]
pub enum ParentError {
    /// The kernel refused the parent-death signal.
    #[error("cannot ask for a signal when herd up stops: {0}")]
    Prctl(#[source] nix::Error),
    /// The parent died before the request took effect.
    #[error("herd up (process {0}) is gone")]
    ParentGone(u32),
}

/// Makes this process get SIGTERM when `parent` dies, and checks that
/// `parent` is still alive and our parent. Call it first thing.
pub fn die_with_parent(parent: u32) -> Result<(), ParentError> {
    nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(ParentError::Prctl)?;
    if i64::from(Pid::parent().as_raw()) != i64::from(parent) {
        return Err(ParentError::ParentGone(parent));
    }
    Ok(())
}
