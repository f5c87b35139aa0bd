//! The `facade` binary as a child process, killed and reaped when dropped
//! ([`base::process::Supervised`]). Its exit is waited for with a blocking
//! `waitpid` on a thread of its own, not tokio's SIGCHLD-driven wait, whose
//! wake-up can be missed when many test runtimes spawn children at once.

use base::process::Supervised;

use super::WAIT;

/// A running `facade` process; killed on drop.
pub struct Process {
    /// The child.
    process: Supervised,
    /// Its standard output and error.
    _dir: tempfile::TempDir,
    /// Where it serves HTTP, from the line it prints when it listens.
    pub addr: std::net::SocketAddr,
}

impl Process {
    /// Starts the binary with `args` and waits for its "listening" line.
    pub async fn start(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_facade"));
        command.args(args).env_remove("RUST_LOG");
        let mut process = Supervised::spawn_logged("facade", &mut command, dir.path()).unwrap();
        let line = process
            .first_line(WAIT)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = line
            .strip_prefix("facade listening on http://")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        Self {
            process,
            _dir: dir,
            addr,
        }
    }

    /// SIGTERM, then waits for a clean exit (which flushes the log).
    pub async fn stop(self) {
        let process = self.process;
        let exit = tokio::task::spawn_blocking(move || process.stop(WAIT))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("facade did not stop on SIGTERM: {e}"));
        assert!(exit.success(), "{exit}");
    }
}
