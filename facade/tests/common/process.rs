//! The `facade` binary as a child process.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::WAIT;

/// A running `facade` process; killed on drop.
pub struct Process {
    child: Child,
    pub addr: std::net::SocketAddr,
}

impl Process {
    /// Starts the binary with `args` and waits for its "listening" line.
    pub async fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_facade"))
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn facade");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(WAIT, lines.next_line())
            .await
            .expect("facade did not start in time")
            .unwrap()
            .expect("facade exited before listening");
        let addr = line
            .strip_prefix("facade listening on http://")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        Self { child, addr }
    }

    /// SIGTERM, then waits for a clean exit (which flushes the log).
    pub async fn stop(mut self) {
        let pid = self.child.id().unwrap().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("facade did not stop on SIGTERM")
            .unwrap();
        assert!(exit.success(), "{exit}");
    }
}
