//! What the clients' process tests share: real herd servers and facades in
//! this process on ports the system picks, and the client binaries Cargo
//! builds for these tests as [`Client`]s, whose standard output is read
//! line by line and which are killed and reaped when dropped.
//!
//! Waits on a child's exit are blocking `waitpid`s on a thread of their own
//! ([`base::process`]), not tokio's SIGCHLD-driven ones, whose wake-up can
//! be missed when many test runtimes spawn children at once.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use base::process::{ProcessError, Supervised, output_within};
use tokio::sync::mpsc;

/// Real herd servers in this process, shared with the herd's tests.
#[path = "../../../herd/tests/common/in_process.rs"]
pub mod in_process;

/// Lines of a client's output held until the test reads them; past it the
/// reader (and so the client, on a full pipe) waits.
const LINE_BUFFER: usize = 1024;

/// A facade in this process on a free port, attached to `herd`
/// (`host:port`).
pub async fn start_facade(herd: &str) -> facade::server::Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = facade::server::Config::new(vec![herd.to_owned()]);
    facade::server::start(listener, config).await.unwrap()
}

/// A client binary started by a test: its standard output arrives line by
/// line, its standard error is dropped, and it is killed and reaped when
/// this is dropped.
pub struct Client {
    /// The process.
    process: Supervised,
    /// Its standard output, one line each, read on a thread of its own.
    lines: mpsc::Receiver<String>,
}

impl Client {
    /// Starts `command` as `name`, with stdin empty.
    pub fn spawn(name: &str, command: &mut Command) -> Self {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut process =
            Supervised::spawn(name, command).unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = process.child_mut().stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel(LINE_BUFFER);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.blocking_send(line).is_err() {
                    return;
                }
            }
        });
        Self { process, lines }
    }

    /// The next line it prints before `deadline`: `Ok(None)` once its
    /// output has ended, `Err(())` if the deadline passed first.
    pub async fn next_line(&mut self, deadline: Instant) -> Result<Option<String>, ()> {
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::timeout(left, self.lines.recv())
            .await
            .map_err(|_| ())
    }

    /// Reads lines until one contains `needle`, within `wait`; returns it.
    /// Panics if it exits or the time runs out first.
    pub async fn line_with(&mut self, needle: &str, wait: Duration) -> String {
        let mut found = self.lines_with(needle, 1, wait).await;
        found.pop().expect("one line was found")
    }

    /// Reads lines until `count` of them contain `needle`, within `wait`;
    /// returns those. Panics if it exits or the time runs out first.
    pub async fn lines_with(&mut self, needle: &str, count: usize, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut found = Vec::with_capacity(count);
        while found.len() < count {
            let line = match self.next_line(deadline).await {
                Ok(Some(line)) => line,
                Ok(None) => panic!("{} exited; lines with {needle:?}: {found:#?}", self.name()),
                Err(()) => panic!("{count} lines with {needle:?} not within {wait:?}: {found:#?}"),
            };
            if line.contains(needle) {
                found.push(line);
            }
        }
        found
    }

    /// The name it was started as.
    fn name(&self) -> &str {
        self.process.name()
    }

    /// Sends SIGTERM and waits up to `grace` for it to exit; true if it did.
    pub async fn terminate(self, grace: Duration) -> bool {
        tokio::task::spawn_blocking(move || match self.process.stop(grace) {
            Ok(_) => true,
            Err(ProcessError::StillRunning { .. }) => false,
            Err(e) => panic!("{e}"),
        })
        .await
        .expect("the waiting thread panicked")
    }
}

/// Runs `command` as `name` to its exit and returns what it printed;
/// panics (and kills it) if it has not exited within `within`.
pub async fn output(name: &str, mut command: Command, within: Duration) -> Output {
    let name = name.to_owned();
    tokio::task::spawn_blocking(move || {
        output_within(&name, &mut command, within).unwrap_or_else(|e| panic!("{e}"))
    })
    .await
    .expect("the waiting thread panicked")
}
