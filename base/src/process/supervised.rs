//! One child process that dies with its owner: [`Supervised`] kills and
//! reaps it when dropped, and names it, with the end of its standard error,
//! when it exits early.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::ready::POLL;
use super::usage::{Usage, usage};
use super::{ProcessError, Watched};

/// Lines of standard error quoted when a process exits early.
pub const TAIL_LINES: usize = 10;

/// Bytes read from the end of a standard error file to find those lines,
/// so a huge file is never read whole.
pub const TAIL_BYTES: u64 = 8 * 1024;

/// Most bytes [`output_within`] keeps of each of stdout and stderr; the
/// rest is read and dropped, so the child never blocks on a full pipe.
pub const MAX_OUTPUT: u64 = 16 << 20;

/// A child process, killed and reaped when this is dropped.
#[derive(Debug)]
pub struct Supervised {
    /// What messages call it: a server name, `baseline`, `facade`.
    name: String,
    /// The process itself.
    child: Child,
    /// Where its standard error goes, when that is a file: quoted when it
    /// exits early.
    stderr: Option<PathBuf>,
    /// Where its standard output goes, when that is a file: its first line
    /// says where it listens ([`Supervised::first_line`]).
    stdout: Option<PathBuf>,
}

impl Supervised {
    /// Starts `command` as `name`, with whatever standard streams the
    /// command was given.
    pub fn spawn(name: &str, command: &mut Command) -> Result<Self, ProcessError> {
        let child = command.spawn().map_err(|source| ProcessError::Spawn {
            name: name.to_owned(),
            program: format!("{command:?}"),
            source,
        })?;
        Ok(Self {
            name: name.to_owned(),
            child,
            stderr: None,
            stdout: None,
        })
    }

    /// Starts `command` as `name` with stdin empty and its output in
    /// `dir/NAME.stdout` and `dir/NAME.stderr`.
    pub fn spawn_logged(
        name: &str,
        command: &mut Command,
        dir: &Path,
    ) -> Result<Self, ProcessError> {
        let create = |ext: &str| {
            let path = dir.join(format!("{name}.{ext}"));
            match File::create(&path) {
                Ok(file) => Ok((file, path)),
                Err(source) => Err(ProcessError::Output {
                    name: name.to_owned(),
                    path,
                    source,
                }),
            }
        };
        let (stdout, stdout_path) = create("stdout")?;
        let (stderr, stderr_path) = create("stderr")?;
        command.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        let mut process = Self::spawn(name, command)?;
        process.stderr = Some(stderr_path);
        process.stdout = Some(stdout_path);
        Ok(process)
    }

    /// The name it was started as.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file its standard output goes to, when it is one.
    pub fn stdout_path(&self) -> Option<&Path> {
        self.stdout.as_deref()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process, for its pipes. Killing or waiting on it directly is
    /// fine: dropping this still reaps it.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// How it exited, if it has (reaping it), or `None` while it runs.
    pub fn exited(&mut self) -> Result<Option<ExitStatus>, ProcessError> {
        self.child.try_wait().map_err(|source| ProcessError::Wait {
            name: self.name.clone(),
            source,
        })
    }

    /// Waits up to `within` for it to exit by itself; `None` if it still runs.
    pub fn exit_within(&mut self, within: Duration) -> Result<Option<ExitStatus>, ProcessError> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.exited()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(POLL);
        }
    }

    /// Sends `signal`, unless it has already exited (its pid may then name
    /// another process).
    pub fn signal(&mut self, signal: Signal) -> Result<(), ProcessError> {
        if self.exited()?.is_some() {
            return Ok(());
        }
        let pid = Pid::from_raw(i32::try_from(self.pid()).unwrap_or(i32::MAX));
        kill(pid, signal).map_err(|errno| ProcessError::Wait {
            name: self.name.clone(),
            source: errno.into(),
        })
    }

    /// Asks it to stop with SIGTERM and waits up to `grace` for it to
    /// exit; a process that does not is killed, and that is an error.
    pub fn stop(mut self, grace: Duration) -> Result<ExitStatus, ProcessError> {
        self.signal(Signal::SIGTERM)?;
        self.exit_within(grace)?
            .ok_or_else(|| ProcessError::StillRunning {
                name: self.name.clone(),
                within: grace,
            })
    }

    /// Its CPU time and resident memory so far.
    pub fn usage(&self) -> Result<Usage, ProcessError> {
        usage(self.pid())
    }

    /// `; its stderr ends:` and its last [`TAIL_LINES`] lines, or nothing
    /// when its standard error is not a file or is empty.
    pub fn stderr_tail(&self) -> String {
        let Some(text) = self.stderr.as_deref().and_then(|p| read_end(p).ok()) else {
            return String::new();
        };
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            return String::new();
        }
        let start = lines.len().saturating_sub(TAIL_LINES);
        format!("; its stderr ends:\n{}", lines[start..].join("\n"))
    }
}

impl Watched for Supervised {
    fn check_running(&mut self) -> Result<(), ProcessError> {
        match self.exited()? {
            None => Ok(()),
            Some(status) => Err(ProcessError::Exited {
                name: self.name.clone(),
                status,
                tail: self.stderr_tail(),
            }),
        }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // Kill does nothing to a process already reaped, and neither can
        // fail in a way that leaves anything else to do.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last [`TAIL_BYTES`] of the file at `path`, as text.
fn read_end(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Runs `command` as `name` (stdin empty) to its exit and returns what it
/// printed, like [`Command::output`], but kills it and fails if it has not
/// exited within `within`.
pub fn output_within(
    name: &str,
    command: &mut Command,
    within: Duration,
) -> Result<Output, ProcessError> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut process = Supervised::spawn(name, command)?;
    let stdout = drain(process.child.stdout.take());
    let stderr = drain(process.child.stderr.take());
    let Some(status) = process.exit_within(within)? else {
        return Err(ProcessError::StillRunning {
            name: name.to_owned(),
            within,
        });
    };
    let join = |reader: JoinHandle<Vec<u8>>| reader.join().unwrap_or_default();
    Ok(Output {
        status,
        stdout: join(stdout),
        stderr: join(stderr),
    })
}

/// Reads `pipe` to its end on a thread, keeping the first [`MAX_OUTPUT`] bytes.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error ends the output early; the exit status still tells.
            let _ = (&mut pipe).take(MAX_OUTPUT).read_to_end(&mut bytes);
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        }
        bytes
    })
}
