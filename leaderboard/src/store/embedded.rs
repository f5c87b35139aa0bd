//! The default store: everything in memory, made durable by the results
//! log in the data directory ([`super::log`]), replayed at start.
//!
//! One lock guards the log and the memory together, so a result is on
//! disk before it counts and counts the moment it is on disk; the lock is
//! std's and is only taken in blocking code (the append runs on tokio's
//! blocking pool) or for a read that never awaits.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use super::log::Log;
use super::{Applied, Store, StoreError};
use crate::result::Recorded;
use crate::standing::{self, Standing};

/// The embedded store; clones share one log and one board.
#[derive(Debug, Clone)]
pub struct EmbeddedStore {
    /// The log and the board, changed together.
    inner: Arc<Mutex<Inner>>,
}

/// What the lock guards.
#[derive(Debug)]
struct Inner {
    /// Where results are made durable.
    log: Log,
    /// The board built from the log.
    board: Board,
}

/// Counted results and what they add up to, per athlete.
#[derive(Debug, Default)]
struct Board {
    /// Every counted result by id: what a repeated id is answered with.
    results: HashMap<String, Recorded>,
    /// Per athlete: team, points, results.
    athletes: HashMap<String, Tally>,
}

/// One athlete's sums.
#[derive(Debug)]
struct Tally {
    /// The team of the athlete's first counted result.
    team: String,
    /// Sum of points.
    points: u64,
    /// Number of counted results.
    results: u64,
}

impl Board {
    /// The result already counted under `result`'s id, if any.
    fn seen(&self, result: &Recorded) -> Option<&Recorded> {
        self.results.get(&result.id)
    }

    /// Counts `result` (whose id must be new).
    fn count(&mut self, result: Recorded) {
        let tally = self
            .athletes
            .entry(result.athlete.clone())
            .or_insert_with(|| Tally {
                team: result.team.clone(),
                points: 0,
                results: 0,
            });
        tally.points += u64::from(result.points);
        tally.results += 1;
        self.results.insert(result.id.clone(), result);
    }

    fn line(name: &str, tally: &Tally) -> Standing {
        Standing::new(
            name.to_owned(),
            tally.team.clone(),
            tally.points,
            tally.results,
        )
    }
}

impl EmbeddedStore {
    /// Opens the store in `dir` (created if missing), replaying its log.
    /// Fails if another process has it open or its log is damaged.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let (log, old) = Log::open(dir)?;
        let mut board = Board::default();
        for result in old {
            if board.seen(&result).is_none() {
                board.count(result);
            }
        }
        tracing::info!(dir = %dir.display(), results = board.results.len(), "results log replayed");
        Ok(Self {
            inner: Arc::new(Mutex::new(Inner { log, board })),
        })
    }

    /// The lock; a panic while it was held cannot leave the log and the
    /// board apart (the board changes only after the append), so a
    /// poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// [`Store::apply`] for blocking code.
    fn apply_blocking(&self, result: Recorded) -> Result<Applied, StoreError> {
        let mut inner = self.lock();
        if let Some(first) = inner.board.seen(&result) {
            return Ok(Applied::Seen(first.clone()));
        }
        inner.log.append(&result)?;
        inner.board.count(result.clone());
        Ok(Applied::New(result))
    }
}

impl Store for EmbeddedStore {
    async fn apply(&self, result: Recorded) -> Result<Applied, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.apply_blocking(result))
            .await
            .map_err(|e| StoreError::Writer(e.to_string()))?
    }

    async fn top(&self) -> Result<Vec<Standing>, StoreError> {
        let lines = {
            let inner = self.lock();
            let athletes = &inner.board.athletes;
            athletes.iter().map(|(n, t)| Board::line(n, t)).collect()
        };
        Ok(standing::top(lines))
    }

    async fn athlete(&self, name: &str) -> Result<Option<Standing>, StoreError> {
        let inner = self.lock();
        Ok(inner.board.athletes.get(name).map(|t| Board::line(name, t)))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "embedded"
    }
}
