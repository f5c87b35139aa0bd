//! One process `herd up` started: spawned supervised (it dies with `herd
//! up`, see [`crate::supervision`]) in its own process group (so a Ctrl-C
//! in the terminal reaches `herd up` alone, which then stops everyone in
//! order), its standard output read for reports, its standard error
//! relayed with its name in front, and its exit reported.

use std::ffi::OsString;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::AsyncRead;
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, LinesCodec};

/// Longest line read from a child; longer ones are cut off.
const MAX_CHILD_LINE: usize = 16 * 1024;

/// What a child reports.
#[derive(Debug)]
pub(super) enum Event {
    /// It serves: the rest of its ready line (its addresses).
    Ready(String, String),
    /// Links to all its neighbours are up.
    LinksUp(String),
    /// It exited.
    Exited(String, std::io::Result<ExitStatus>),
}

/// A started child, by name and process id.
#[derive(Debug, Clone)]
pub(super) struct Child {
    /// The server's name, or `facade`.
    pub(super) name: String,
    pid: Pid,
}

/// How to start one child.
pub(super) struct Launch<'a> {
    /// Its name, shown in front of what it prints.
    pub(super) name: &'a str,
    /// The executable.
    pub(super) exe: &'a Path,
    /// Its arguments (`--supervised-by` is added).
    pub(super) args: Vec<OsString>,
    /// The start of the standard output line that means it is ready; the
    /// rest of the line is kept.
    pub(super) ready: &'static str,
}

impl Child {
    /// Starts `launch`; its reports go to `events`. Once `quiet` is set,
    /// its warnings are no longer relayed (they are in its log file).
    pub(super) fn spawn(
        launch: Launch<'_>,
        events: &mpsc::Sender<Event>,
        quiet: &Arc<AtomicBool>,
    ) -> std::io::Result<Self> {
        let mut process = tokio::process::Command::new(launch.exe)
            .args(&launch.args)
            .arg("--supervised-by")
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()?;
        let name = launch.name.to_owned();
        let pid = Pid::from_raw(process.id().unwrap_or_default() as i32);
        let stdout = process.stdout.take().expect("stdout is piped");
        let stderr = process.stderr.take().expect("stderr is piped");
        tokio::spawn(read_reports(
            name.clone(),
            stdout,
            launch.ready,
            events.clone(),
        ));
        tokio::spawn(relay_errors(name.clone(), stderr, Arc::clone(quiet)));
        let events = events.clone();
        let who = name.clone();
        tokio::spawn(async move {
            let status = process.wait().await;
            let _ = events.send(Event::Exited(who, status)).await;
        });
        Ok(Self { name, pid })
    }

    /// Asks it to stop.
    pub(super) fn terminate(&self) {
        let _ = kill(self.pid, Signal::SIGTERM);
    }

    /// Stops it at once.
    pub(super) fn kill(&self) {
        let _ = kill(self.pid, Signal::SIGKILL);
    }
}

/// Turns the child's standard output into events; other lines are shown.
async fn read_reports(
    name: String,
    stdout: impl AsyncRead + Unpin,
    ready: &'static str,
    events: mpsc::Sender<Event>,
) {
    let mut lines = FramedRead::new(stdout, LinesCodec::new_with_max_length(MAX_CHILD_LINE));
    while let Some(line) = lines.next().await {
        let Ok(line) = line else { continue };
        let event = if let Some(rest) = line.strip_prefix(ready) {
            Event::Ready(name.clone(), rest.trim().to_owned())
        } else if line == crate::supervision::LINKS_UP {
            Event::LinksUp(name.clone())
        } else {
            println!("{name}: {line}");
            continue;
        };
        if events.send(event).await.is_err() {
            return;
        }
    }
}

/// Shows the child's standard error, each line after its name; warnings
/// are left out once `quiet` is set.
async fn relay_errors(name: String, stderr: impl AsyncRead + Unpin, quiet: Arc<AtomicBool>) {
    let mut lines = FramedRead::new(stderr, LinesCodec::new_with_max_length(MAX_CHILD_LINE));
    while let Some(line) = lines.next().await {
        let Ok(line) = line else { continue };
        if quiet.load(Ordering::Relaxed) && line.contains(" WARN ") {
            continue;
        }
        eprintln!("{name}: {line}");
    }
}
