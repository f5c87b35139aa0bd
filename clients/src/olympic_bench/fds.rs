//! Open files: a thousand tablets are a thousand listeners plus a thousand
//! accepted connections in this process, and a thousand push connections in
//! the facade, which inherits this process's limit. The soft limit is raised
//! to the hard one at start, and a run that would still not fit stops early
//! with a message instead of failing halfway with `EMFILE`.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Descriptors a run needs besides the tablets and the load connections:
/// registration requests, herd connections, log files, the runtime's own.
pub const FD_SLACK: u64 = 256;

/// The open-file limit before and after [`raise`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLimit {
    /// Soft limit found at start.
    pub before: u64,
    /// Soft limit in force now.
    pub soft: u64,
    /// Hard limit (the most the soft one may be raised to).
    pub hard: u64,
}

impl std::fmt::Display for FdLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.soft == self.before {
            write!(f, "open files: soft {}, hard {}", self.soft, self.hard)
        } else {
            write!(
                f,
                "open files: soft {} (raised from {}), hard {}",
                self.soft, self.before, self.hard
            )
        }
    }
}

/// Descriptors this process needs for `tablets` receivers (a listener and
/// the facade's connection to it each) and `connections` load connections.
/// The facade needs fewer: one per tablet and per load connection.
pub fn needed(tablets: usize, connections: usize) -> u64 {
    2 * tablets as u64 + connections as u64 + FD_SLACK
}

/// Raises the soft open-file limit to the hard one. If the kernel refuses
/// (a hard limit of "unlimited" is above what it allows), the limit stays.
pub fn raise() -> anyhow::Result<FdLimit> {
    let (before, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    let soft = if before < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        hard
    } else {
        before
    };
    Ok(FdLimit { before, soft, hard })
}

/// Fails, saying what to change, if `limit` cannot hold a run of `tablets`
/// and `connections`.
pub fn check(limit: FdLimit, tablets: usize, connections: usize) -> anyhow::Result<()> {
    let need = needed(tablets, connections);
    anyhow::ensure!(
        limit.soft >= need,
        "{tablets} tablets and {connections} connections need about {need} open files, \
         but the limit is {} (hard {}); raise it (ulimit -n) or pass a smaller --tablets",
        limit.soft,
        limit.hard
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_tablets_do_not_fit_the_common_default_of_1024() {
        let default = FdLimit {
            before: 1024,
            soft: 1024,
            hard: 1024,
        };
        assert_eq!(needed(1000, 32), 2288);
        assert!(check(default, 1000, 32).is_err());
        assert!(check(default, 300, 32).is_ok());
        let raised = FdLimit {
            soft: 524_288,
            hard: 524_288,
            ..default
        };
        assert!(check(raised, 1000, 32).is_ok());
        assert_eq!(
            raised.to_string(),
            "open files: soft 524288 (raised from 1024), hard 524288"
        );
    }

    #[test]
    fn raising_never_lowers_the_limit() {
        let limit = raise().unwrap();
        assert!(limit.soft >= limit.before);
        assert!(limit.soft <= limit.hard);
        assert_eq!(getrlimit(Resource::RLIMIT_NOFILE).unwrap().0, limit.soft);
    }
}
