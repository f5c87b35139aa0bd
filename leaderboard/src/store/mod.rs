//! Where results and standings live: one trait, [`Store`], and two
//! implementations that pass the same test suite (`tests/store_suite.rs`):
//! [`embedded::EmbeddedStore`], a checksummed append-only log in a data
//! directory (the default, no server needed), and [`redis::RedisStore`],
//! for deployments that run Redis.
//!
//! Both apply a result atomically and at most once per id: a result that
//! counts updates the athlete's points, results and average together, so
//! no read ever sees an average that misses a counted result.

mod board;
pub mod embedded;
mod log;
pub mod redis;
mod writer;

use std::future::Future;

use crate::result::Recorded;
use crate::standing::Standing;

/// What applying a result did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The id was new: the result now counts.
    New(Recorded),
    /// The id was seen before: nothing changed; this is the result that
    /// counts under that id (the first one posted).
    Seen(Recorded),
}

impl Applied {
    /// The result that counts under the posted id.
    pub fn recorded(&self) -> &Recorded {
        match self {
            Self::New(r) | Self::Seen(r) => r,
        }
    }
}

/// Storage of results and the standings they add up to.
pub trait Store: Send + Sync + 'static {
    /// Counts `result` unless its id was seen before.
    fn apply(&self, result: Recorded) -> impl Future<Output = Result<Applied, StoreError>> + Send;

    /// The first [`crate::TOP`] athletes in the board's order.
    fn top(&self) -> impl Future<Output = Result<Vec<Standing>, StoreError>> + Send;

    /// One athlete's line, or `None` for an athlete with no result.
    fn athlete(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Standing>, StoreError>> + Send;

    /// Succeeds when the store can serve: what `GET /health` reports.
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// `embedded` or `redis`, for `GET /health` and the start-up line.
    fn kind(&self) -> &'static str;
}

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file of the data directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The results log is damaged before its last line (a torn last line
    /// is expected after a crash and dropped; damage earlier is not).
    #[error("{path}: line {line} is damaged ({why}); refusing to start on a damaged log")]
    Corrupt {
        /// The log.
        path: std::path::PathBuf,
        /// Its 1-based line number.
        line: u64,
        /// What is wrong with it.
        why: String,
    },
    /// Another process holds the data directory.
    #[error("{0} is in use by another leaderboard")]
    Locked(std::path::PathBuf),
    /// Redis failed or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    /// Redis answered something this store did not write.
    #[error("redis holds unexpected data: {0}")]
    Unexpected(String),
    /// The embedded store's log writer failed to write a batch (the
    /// reason), or has stopped.
    #[error("the results log: {0}")]
    Writer(String),
}
