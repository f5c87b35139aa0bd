//! One process per journal: an advisory lock on `<data_dir>/<server>.lock`.
//!
//! Two writers on one journal would hand out the same operation numbers and
//! counts under one origin, and merging would keep only one of each. So the
//! journal is opened only under an exclusive `flock` of the lock file, taken
//! without waiting, before the journal is read, and held until the journal's
//! writer has stopped. The kernel releases it when the process exits, however
//! it exits, so a crash never leaves a stale lock. The lock file itself is
//! never deleted: deleting it would let a second process lock a new file
//! while the first still holds the old one.
//!
//! `flock` locks belong to an open file, not to a process, so a second
//! handle in the same process is refused too.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use super::error::OlympicError;

/// The lock file of `server` in `data_dir`.
pub(crate) fn lock_path(data_dir: &Path, server: &str) -> PathBuf {
    data_dir.join(format!("{server}.lock"))
}

/// The held lock of one journal; released when dropped.
#[derive(Debug)]
pub(crate) struct JournalLock {
    /// The locked file; unlocking happens when it is dropped.
    _flock: Flock<File>,
}

impl JournalLock {
    /// Takes the lock of `server`'s journal in `data_dir` (which must exist),
    /// or fails at once with [`OlympicError::Locked`] if anyone holds it.
    pub(crate) fn acquire(data_dir: &Path, server: &str) -> Result<Self, OlympicError> {
        let path = lock_path(data_dir, server);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| OlympicError::Io {
                path: path.clone(),
                source,
            })?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(flock) => Ok(Self { _flock: flock }),
            Err((_, Errno::EWOULDBLOCK)) => Err(OlympicError::Locked {
                dir: data_dir.to_owned(),
                server: server.to_owned(),
                lock: path,
            }),
            Err((_, errno)) => Err(OlympicError::Io {
                path,
                source: errno.into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_refuses_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = JournalLock::acquire(dir.path(), "Alpha").unwrap();
        let err = JournalLock::acquire(dir.path(), "Alpha").unwrap_err();
        assert!(matches!(err, OlympicError::Locked { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("is in use by another herd Alpha (lock "),
            "{message}"
        );
        assert!(JournalLock::acquire(dir.path(), "Bravo").is_ok());
        drop(first);
        assert!(JournalLock::acquire(dir.path(), "Alpha").is_ok());
    }
}
