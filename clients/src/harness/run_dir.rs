//! Where a run keeps its files: one new temporary directory for the
//! topology, every process's output, the logs and the journals, removed at
//! the end unless the run is asked to keep it.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// A run's directory. Create it before any process that writes into it,
/// so that it is dropped (and removed) after they are stopped.
#[derive(Debug)]
pub struct RunDir {
    /// The directory.
    path: PathBuf,
    /// Removes `path` on drop; `None` when the run keeps it.
    _temp: Option<tempfile::TempDir>,
}

impl RunDir {
    /// Creates a directory named after `prefix` in the system's temporary
    /// directory. With `keep`, it outlives the run.
    pub fn create(prefix: &str, keep: bool) -> anyhow::Result<Self> {
        let temp = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .context("cannot create a temporary directory")?;
        let path = temp.path().to_owned();
        let temp = if keep {
            let _ = temp.keep();
            None
        } else {
            Some(temp)
        };
        Ok(Self { path, _temp: temp })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether it outlives the run.
    pub fn kept(&self) -> bool {
        self._temp.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_dir_is_removed_unless_kept() {
        let gone = RunDir::create("harness-test-", false).unwrap();
        let path = gone.path().to_owned();
        assert!(path.is_dir() && !gone.kept());
        drop(gone);
        assert!(!path.exists());

        let kept = RunDir::create("harness-test-", true).unwrap();
        let path = kept.path().to_owned();
        assert!(kept.kept());
        drop(kept);
        assert!(path.is_dir());
        std::fs::remove_dir(&path).unwrap();
    }
}
