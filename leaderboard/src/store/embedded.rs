//! The default store: the board in memory, made durable by the results
//! log in the data directory ([`super::log`]), replayed at start.
//!
//! Posts go through a bounded queue to one writer thread
//! ([`super::writer`]) that appends them in batches, one `fdatasync` per
//! batch, and counts a result only once it is on disk. Reads take the
//! board's lock for as long as it takes to copy the lines they need.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::board::Board;
use super::log::Log;
use super::writer::{self, Job};
use super::{Applied, Store, StoreError};
use crate::result::Recorded;
use crate::standing::Standing;

/// Posts waiting for the writer; when it is full, posters wait.
pub const WRITE_QUEUE: usize = 1024;

/// The embedded store; clones share one writer and one board.
#[derive(Debug, Clone)]
pub struct EmbeddedStore {
    shared: Arc<Shared>,
}

/// What the clones share; dropping the last stops the writer.
#[derive(Debug)]
struct Shared {
    /// The board, read here and changed only by the writer.
    board: Arc<Mutex<Board>>,
    /// Posts for the writer; `None` only while dropping.
    queue: Option<mpsc::Sender<Job>>,
    /// The writer thread, joined on drop so that the data directory is
    /// unlocked once the store is gone.
    writer: Option<JoinHandle<()>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.queue.take();
        if let Some(writer) = self.writer.take() {
            // The writer finishes the batch it has, then stops.
            let _ = writer.join();
        }
    }
}

impl EmbeddedStore {
    /// Opens the store in `dir` (created if missing), replaying its log.
    /// Fails if another process has it open or its log is damaged.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let (log, old) = Log::open(dir)?;
        let mut board = Board::default();
        for result in old {
            board.count(result);
        }
        tracing::info!(dir = %dir.display(), results = board.len(), "results log replayed");
        let board = Arc::new(Mutex::new(board));
        let (queue, jobs) = mpsc::channel(WRITE_QUEUE);
        let writer = {
            let board = board.clone();
            std::thread::Builder::new()
                .name("results-log".into())
                .spawn(move || writer::run(log, board, jobs))
                .map_err(|source| StoreError::Io {
                    path: dir.to_owned(),
                    source,
                })?
        };
        Ok(Self {
            shared: Arc::new(Shared {
                board,
                queue: Some(queue),
                writer: Some(writer),
            }),
        })
    }
}

/// The answer when the writer is gone (it panicked).
fn stopped() -> StoreError {
    StoreError::Writer("the log writer stopped".to_owned())
}

impl Store for EmbeddedStore {
    async fn apply(&self, result: Recorded) -> Result<Applied, StoreError> {
        let queue = self.shared.queue.as_ref().ok_or_else(stopped)?;
        let (reply, answer) = oneshot::channel();
        queue
            .send(Job { result, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn top(&self) -> Result<Vec<Standing>, StoreError> {
        Ok(writer::lock(&self.shared.board).top())
    }

    async fn athlete(&self, name: &str) -> Result<Option<Standing>, StoreError> {
        Ok(writer::lock(&self.shared.board).athlete(name))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "embedded"
    }
}
