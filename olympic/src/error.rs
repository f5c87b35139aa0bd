//! Why an Olympic operation failed.
//!
//! Bad input (a name the configuration does not know, a score list that does
//! not name every team) is reported to the caller and changes nothing. Storage
//! failures are different: once a write or an fsync of the journal fails, the
//! journal refuses every later write ([`OlympicError::JournalFailed`]) because
//! the file's contents are no longer known; restarting replays the file and
//! finds out what really reached the disk.

use std::path::PathBuf;

/// Every error of the [`olympic`](super) module.
#[derive(Debug, thiserror::Error)]
pub enum OlympicError {
    /// The configuration cannot be used.
    #[error("olympics configuration is invalid: {0}")]
    BadConfig(String),
    /// A server name that cannot be used on the wire or as a file name.
    #[error("server name {0:?} is not usable: names are 1 to 64 bytes, with no white space or '/'")]
    BadServerName(String),
    /// A change origin that is not a server name, optionally followed by
    /// `/` and an incarnation (see `origin.rs`).
    #[error(
        "origin {0:?} is not usable: a server name, optionally followed by '/' and 16 to 32 lower-case hex digits"
    )]
    BadOrigin(String),
    /// A team the configuration does not list.
    #[error("unknown team {0:?}")]
    UnknownTeam(String),
    /// An event the configuration does not list.
    #[error("unknown event {0:?}")]
    UnknownEvent(String),
    /// A score update that leaves out a configured team.
    #[error("the score of {event} does not give team {team}")]
    MissingTeam {
        /// Canonical event name.
        event: String,
        /// Canonical name of the team left out.
        team: String,
    },
    /// A score update that names a team twice.
    #[error("the score of {event} gives team {team} twice")]
    DuplicateTeam {
        /// Canonical event name.
        event: String,
        /// Canonical name of the repeated team.
        team: String,
    },
    /// A change that cannot be merged (zero count or sequence number).
    #[error("change is malformed: {0}")]
    BadChange(String),
    /// A journal record would be empty or longer than the format allows.
    #[error("a journal record of {0} bytes is outside the allowed size")]
    RecordSize(usize),
    /// A change from one more server than the state keeps track of.
    #[error("change from {0:?} refused: already tracking the most servers allowed")]
    TooManyOrigins(String),
    /// The journal file could not be read, written or synced.
    #[error("journal {path}: {source}")]
    Io {
        /// The file (or directory) involved.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Another process (or another handle in this one) holds the journal's
    /// lock: two writers would hand out the same operation numbers.
    #[error("data directory {dir} is in use by another herd {server} (lock {lock})")]
    Locked {
        /// The data directory.
        dir: PathBuf,
        /// The server whose journal it is.
        server: String,
        /// The lock file, `<dir>/<server>.lock`.
        lock: PathBuf,
    },
    /// The file exists but does not start with the journal's magic bytes.
    #[error("{path} is not an olympics journal (bad magic bytes); refusing to touch it")]
    NotAJournal {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by a format version this code does not read.
    #[error("{path} has journal format version {version}, this build reads version {expected}")]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found in the header.
        version: u32,
        /// The version this build writes and reads.
        expected: u32,
    },
    /// A record whose checksum is right but whose contents cannot be read:
    /// written by a newer build or by a bug. Never dropped silently.
    #[error("{path}: record at byte {offset} has a valid checksum but cannot be read: {reason}")]
    BadRecord {
        /// The file.
        path: PathBuf,
        /// Where the record starts.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// An earlier write or fsync failed; no further writes are accepted.
    #[error("journal is unusable after an earlier failure ({0}); restart to replay it")]
    JournalFailed(String),
    /// The journal's writer has stopped (the handle is shutting down).
    /// An idempotency key already used for a different write.
    #[error("idempotency key {0:?} was already used for a different write")]
    KeyReused(String),
    /// The first write under this idempotency key is still being made
    /// durable here; retry once it is answered.
    #[error("a write under idempotency key {0:?} is still in progress; retry")]
    KeyInFlight(String),
    #[error("journal writer has stopped")]
    Closed,
}
