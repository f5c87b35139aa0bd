//! The baseline a benchmark compares with, as a child process: the bench
//! binary's own `baseline-server` subcommand, started on port 0 with its
//! output in the run directory. It prints the address it got
//! ([`super::announce::listen`]), so no port is picked in advance.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use base::process::{Supervised, Watched};

use super::announce::wait_announced;

/// The subcommand of each bench binary that runs its baseline server.
pub const SUBCOMMAND: &str = "baseline-server";

/// The baseline's name, in messages and for its output files.
pub const WHO: &str = "baseline";

/// What the baseline's first line says before its address.
pub const LISTENING: &str = "baseline listening on ";

/// The baseline server, running as a child process.
#[derive(Debug)]
pub struct Baseline {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The process; killed on drop.
    process: Supervised,
}

impl Baseline {
    /// Starts `exe baseline-server --addr 127.0.0.1:0 ARGS` with its output
    /// in `dir`, and waits for the address it prints.
    pub async fn start(exe: &Path, args: &[&str], dir: &Path) -> anyhow::Result<Self> {
        let mut command = Command::new(exe);
        command
            .args([SUBCOMMAND, "--addr", "127.0.0.1:0"])
            .args(args);
        let mut process = Supervised::spawn_logged(WHO, &mut command, dir)?;
        let addr = wait_announced(&mut process, LISTENING).await?;
        Ok(Self { addr, process })
    }

    /// Fails if the baseline has died, quoting its stderr.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        Ok(self.process.check_running()?)
    }

    /// The process, for its pid and CPU time.
    pub fn process(&self) -> &Supervised {
        &self.process
    }
}
