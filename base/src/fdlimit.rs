//! The process's open-file limit: raised to the most the system allows at
//! start, and kept above the connection limit, so that accepting never fails
//! for want of a descriptor before a connection limit sheds an idle client.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Descriptors kept free for everything but client connections: listeners,
/// peer links, journal and log files, upstream requests, and connections
/// shed a moment ago whose sockets are still closing.
pub const FD_RESERVE: usize = 128;

/// Fewest client connections a limit is clamped to, however few
/// descriptors there are.
const MIN_CONNECTIONS: usize = 16;

/// The open-file limit before and after [`raise`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLimit {
    /// The soft limit the process started with.
    pub before: u64,
    /// The soft limit now.
    pub soft: u64,
    /// The hard limit, the most the soft limit may be raised to.
    pub hard: u64,
}

/// Why the limit could not be read or raised.
#[derive(Debug, thiserror::Error)]
#[error("open-file limit: {0}")]
pub struct FdLimitError(#[from] nix::Error);

/// Raises the soft open-file limit to the hard limit.
pub fn raise() -> Result<FdLimit, FdLimitError> {
    let (before, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if before < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    }
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    Ok(FdLimit { before, soft, hard })
}

/// [`raise`]s the limit and logs what it was and is (`fd_limit`), or why
/// it could not; the binaries call it once at start.
pub fn raise_and_log() {
    match raise() {
        Ok(limit) => tracing::info!(
            event = "fd_limit",
            soft_before = limit.before,
            soft = limit.soft,
            hard = limit.hard
        ),
        Err(e) => tracing::warn!(event = "fd_limit", error = %e),
    }
}

/// `configured` client connections, lowered if the soft open-file limit
/// cannot hold that many plus [`FD_RESERVE`]. Unchanged if the limit cannot
/// be read.
pub fn clamp_connections(configured: usize) -> usize {
    let Ok((soft, _)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return configured;
    };
    let soft = usize::try_from(soft).unwrap_or(usize::MAX);
    let available = soft.saturating_sub(FD_RESERVE).max(MIN_CONNECTIONS);
    configured.min(available)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_leaves_the_soft_limit_at_the_hard_limit() {
        let limit = raise().unwrap();
        assert_eq!(limit.soft, limit.hard);
        assert!(limit.soft >= limit.before);
    }

    #[test]
    fn connections_are_clamped_below_the_descriptors_available() {
        let (soft, _) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        let soft = usize::try_from(soft).unwrap_or(usize::MAX);
        assert_eq!(clamp_connections(10), 10);
        assert!(clamp_connections(usize::MAX) <= soft.saturating_sub(FD_RESERVE).max(16));
    }
}
