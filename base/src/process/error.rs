//! Why a supervised process could not be started, waited for or read.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// What went wrong with a child process. Each renders as one message that
/// names the process; an exit quotes the end of its standard error.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The program could not be started.
    #[error("cannot start {name} ({program}): {source}")]
    Spawn {
        /// The name the process goes by.
        name: String,
        /// The program and its arguments, as given.
        program: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file for the process's output could not be created.
    #[error("cannot create {path} for {name}'s output: {source}")]
    Output {
        /// The name the process goes by.
        name: String,
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The process exited while it was expected to run.
    #[error("{name} exited with {status}{tail}")]
    Exited {
        /// The name the process goes by.
        name: String,
        /// How it ended.
        status: ExitStatus,
        /// `; its stderr ends:` and its last lines, or nothing.
        tail: String,
    },
    /// A readiness probe did not succeed in time.
    #[error("{what} after {within:?}")]
    NotReady {
        /// What was waited for, in words ("nothing listens on ...").
        what: String,
        /// How long it was given.
        within: Duration,
    },
    /// A process expected to exit by itself was still running; it was killed.
    #[error("{name} was still running after {within:?}, so it was killed")]
    StillRunning {
        /// The name the process goes by.
        name: String,
        /// How long it was given.
        within: Duration,
    },
    /// Waiting for, signalling or reading from the process failed.
    #[error("cannot wait for {name}: {source}")]
    Wait {
        /// The name the process goes by.
        name: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A `/proc` file of the process could not be read.
    #[error("cannot read /proc/{pid}/{file}: {source}")]
    Proc {
        /// The process.
        pid: u32,
        /// `stat` or `status`.
        file: &'static str,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A `/proc` file of the process did not have the expected shape.
    #[error("/proc/{pid}/{file} has no {field}")]
    ProcFormat {
        /// The process.
        pid: u32,
        /// `stat` or `status`.
        file: &'static str,
        /// The field that was missing or unreadable.
        field: &'static str,
    },
}
