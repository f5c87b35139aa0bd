//! Processes a test starts: killed and reaped when the test ends, however
//! it ends, and never waited on without a deadline.

#![allow(dead_code)]

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use super::WAIT;

/// Pause between two checks of whether a process has exited.
const POLL: Duration = Duration::from_millis(20);

/// A child process killed (and reaped) when dropped.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// Spawns `cmd`; panics if it cannot start.
    pub fn spawn(cmd: &mut Command) -> Self {
        KillOnDrop(cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}")))
    }

    /// The process's exit status once it has exited by itself, or `None`
    /// if it is still running after `within`.
    pub fn exit_within(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `cmd` (stdin empty) to its exit and returns what it printed, like
/// [`Command::output`], but panics, killing it, if it has not exited
/// within [`WAIT`], and panics if it cannot start.
pub fn output_within_wait(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    try_output_within_wait(cmd).unwrap_or_else(|e| panic!("spawn {shown}: {e}"))
}

/// [`output_within_wait`], with an error if `cmd` cannot start (for a tool
/// that may not be installed).
pub fn try_output_within_wait(cmd: &mut Command) -> std::io::Result<Output> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = KillOnDrop(cmd.spawn()?);
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.0.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.0.stderr.take().map(|p| Box::new(p) as _));
    let Some(status) = child.exit_within(WAIT) else {
        panic!("{cmd:?} still running after {WAIT:?}");
    };
    Ok(Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    })
}
