//! The embedded store's writer: one thread that owns the results log and
//! is the only one to change the board. Posts wait in a bounded queue;
//! the writer takes all that are waiting (up to [`MAX_BATCH`]), appends
//! the new ones with one write and one `fdatasync` (group commit), counts
//! them on the board, and only then answers each post.
//!
//! Because nothing else changes the board, deciding which results are new
//! (not on the board, first of their id in the batch) before the append
//! and counting them after it cannot race with another post.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot};

use super::board::Board;
use super::log::Log;
use super::{Applied, StoreError};
use crate::result::Recorded;

/// Most results written with one `fdatasync`.
pub const MAX_BATCH: usize = 256;

/// One post waiting for the writer.
#[derive(Debug)]
pub struct Job {
    /// The result to count.
    pub result: Recorded,
    /// Where its outcome goes, once it is on disk.
    pub reply: oneshot::Sender<Result<Applied, StoreError>>,
}

/// What a job of a batch turns out to be.
enum Outcome {
    /// Counted before this batch: answered with that result.
    Seen(Recorded),
    /// New: the `n`th result appended by this batch.
    New(usize),
    /// Same id as the `n`th new result of this batch.
    Repeat(usize),
}

/// The board's lock. Only the writer changes the board, and only after
/// the log has the results, so a panic while it is held cannot leave the
/// two apart: a poisoned lock is still usable. Never held across `.await`.
pub fn lock(board: &Mutex<Board>) -> MutexGuard<'_, Board> {
    board.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs until every sender of `queue` is gone, then drops the log (and
/// its lock).
pub fn run(mut log: Log, board: Arc<Mutex<Board>>, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(job) = queue.blocking_recv() {
        batch.push(job);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit(&mut log, &board, &mut batch);
    }
}

/// Appends the new results of `batch`, counts them, and answers (and so
/// empties) the batch.
fn commit(log: &mut Log, board: &Mutex<Board>, batch: &mut Vec<Job>) {
    let mut new = Vec::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    {
        let board = lock(board);
        let mut in_batch: HashMap<&str, usize> = HashMap::new();
        for job in batch.iter() {
            let id = job.result.id.as_str();
            outcomes.push(if let Some(first) = board.seen(id) {
                Outcome::Seen(first.clone())
            } else if let Some(&n) = in_batch.get(id) {
                Outcome::Repeat(n)
            } else {
                in_batch.insert(id, new.len());
                new.push(job.result.clone());
                Outcome::New(new.len() - 1)
            });
        }
    }
    let written = log.append(&new);
    if written.is_ok() {
        let mut board = lock(board);
        for result in &new {
            board.count(result.clone());
        }
    }
    for (job, outcome) in batch.drain(..).zip(outcomes) {
        let answer = match (&written, outcome) {
            (_, Outcome::Seen(first)) => Ok(Applied::Seen(first)),
            (Ok(()), Outcome::New(n)) => Ok(Applied::New(new[n].clone())),
            (Ok(()), Outcome::Repeat(n)) => Ok(Applied::Seen(new[n].clone())),
            (Err(e), _) => Err(StoreError::Writer(e.to_string())),
        };
        // The poster may have gone away (its connection closed): the
        // result is counted all the same.
        let _ = job.reply.send(answer);
    }
}
