//! Group commit: one writer thread appends changes to the journal, syncs
//! once per batch, applies them to memory, and only then answers.
//!
//! Callers queue requests on a bounded channel ([`JOURNAL_QUEUE`]). The
//! writer, a dedicated thread so that blocking file I/O never runs on the
//! runtime's workers, takes every request waiting in the queue, appends them
//! all with one `write`, calls `fsync` (`File::sync_data`) once, hands each
//! change to the sink (which applies it to the in-memory state) in queue
//! order, and then completes every waiter. So a change is durable before it
//! is visible, and memory always equals a replay of the file.
//!
//! When the file holds more than `compact_after` records, the writer
//! replaces it with one snapshot (see `storage.rs`) before answering
//! the batch that crossed the line; since the writer is the only one that
//! applies changes, the snapshot holds exactly what the file held. Doing it
//! before answering means that once every write is answered the writer
//! touches the file no more, so a handle dropped and reopened at once never
//! has an old writer renaming files under the new one.
//!
//! The writer owns the journal's lock (see `lock.rs`): it is released only
//! when the writer has stopped, so no second handle can open the file while
//! this one may still write to it.
//!
//! A failed write, fsync or compaction makes the journal refuse every later
//! request ([`OlympicError::JournalFailed`]): after a failed fsync the
//! contents of the file are unknown, and only a replay can tell.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::error::OlympicError;
use super::lock::JournalLock;
use super::payload::Snapshot;
use super::record;
use super::storage::{self, io_error};
use super::view::Update;
use proto::change::Change;

/// Requests that may wait for the writer before callers wait for room.
pub const JOURNAL_QUEUE: usize = 1024;

/// Where durable changes go, and where compaction gets the state from.
pub(crate) trait Sink: Send + Sync + 'static {
    /// Applies a change that is now durable; returns what readers see
    /// differently, if anything.
    fn apply(&self, change: &Change) -> Option<Update>;
    /// The whole state, for compaction.
    fn snapshot(&self) -> Snapshot;
}

/// What one append resolves to: the update it caused, if any.
type Outcome = Result<Option<Update>, OlympicError>;

/// One change waiting to be made durable.
#[derive(Debug)]
struct Request {
    /// The change, in canonical spelling.
    change: Change,
    /// Completed once the change is durable and applied.
    done: oneshot::Sender<Outcome>,
}

/// Counters of the journal's work, for tests, benchmarks and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Change records appended since open.
    pub records: u64,
    /// Batches made durable since open: one `fsync` each.
    pub fsyncs: u64,
    /// Times the journal was rewritten as a snapshot since open.
    pub compactions: u64,
    /// Records now in the file (a snapshot counts as one).
    pub records_in_file: u64,
}

/// Told how long each batch took to write and sync: a metrics histogram,
/// say. Called on the journal's writer thread, so it must be quick.
pub trait FsyncObserver: Send + Sync + std::fmt::Debug {
    /// One batch took `took` from the start of its write to the end of its
    /// fsync.
    fn observe(&self, took: std::time::Duration);
}

/// Shared between the handle and the writer.
#[derive(Debug, Default)]
struct Counters {
    records: AtomicU64,
    fsyncs: AtomicU64,
    compactions: AtomicU64,
    records_in_file: AtomicU64,
    /// Told the time each batch took to write and fsync, once set.
    fsync_observer: OnceLock<Arc<dyn FsyncObserver>>,
    /// Why the journal stopped accepting writes, once it has; for STATUS.
    failed: OnceLock<String>,
}

/// The handle to the journal's writer thread.
#[derive(Debug)]
pub(crate) struct Journal {
    /// Queue to the writer; dropping it stops the writer once it is drained.
    tx: mpsc::Sender<Request>,
    /// Work done so far.
    counters: Arc<Counters>,
    /// The writer thread, joined by [`Journal::close`].
    thread: Option<JoinHandle<()>>,
}

/// Room in the writer's queue, taken before a change is issued so that
/// issuing and queueing happen under one lock, in one order.
pub(crate) struct Slot<'a>(mpsc::Permit<'a, Request>);

/// A queued change; resolves once it is durable and applied.
pub(crate) struct Pending(oneshot::Receiver<Outcome>);

impl Journal {
    /// Starts the writer for the journal `file` at `path`, locked by
    /// `lock`, which holds `records` records of the history of `origin`.
    pub(crate) fn start(
        path: PathBuf,
        file: File,
        lock: JournalLock,
        origin: String,
        records: usize,
        compact_after: usize,
        sink: Arc<dyn Sink>,
    ) -> Result<Journal, OlympicError> {
        let (tx, rx) = mpsc::channel(JOURNAL_QUEUE);
        let counters = Arc::new(Counters::default());
        counters
            .records_in_file
            .store(records as u64, Ordering::Relaxed);
        let name = format!(
            "journal {}",
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        let writer = Writer {
            path: path.clone(),
            file,
            _lock: lock,
            origin,
            records,
            compact_after,
            sink,
            counters: Arc::clone(&counters),
            failed: None,
        };
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || writer.run(rx))
            .map_err(io_error(&path))?;
        Ok(Journal {
            tx,
            counters,
            thread: Some(thread),
        })
    }

    /// Waits for room in the writer's queue.
    pub(crate) async fn reserve(&self) -> Result<Slot<'_>, OlympicError> {
        self.tx
            .reserve()
            .await
            .map(Slot)
            .map_err(|_| OlympicError::Closed)
    }

    /// Work done so far.
    pub(crate) fn stats(&self) -> JournalStats {
        let c = &self.counters;
        JournalStats {
            records: c.records.load(Ordering::Relaxed),
            fsyncs: c.fsyncs.load(Ordering::Relaxed),
            compactions: c.compactions.load(Ordering::Relaxed),
            records_in_file: c.records_in_file.load(Ordering::Relaxed),
        }
    }

    /// How long each batch took to write and fsync.
    pub(crate) fn observe_fsyncs(&self, observer: Arc<dyn FsyncObserver>) {
        let _ = self.counters.fsync_observer.set(observer);
    }

    /// Why the journal refuses writes, if it has failed.
    pub(crate) fn failure(&self) -> Option<&str> {
        self.counters.failed.get().map(String::as_str)
    }

    /// Stops the writer once everything queued is durable, and waits for it.
    pub(crate) async fn close(mut self) {
        let thread = self.thread.take();
        drop(self);
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Slot<'_> {
    /// Queues `change`.
    pub(crate) fn send(self, change: Change) -> Pending {
        let (done, wait) = oneshot::channel();
        self.0.send(Request { change, done });
        Pending(wait)
    }
}

impl Pending {
    /// Waits until the change is durable and applied; returns its update.
    pub(crate) async fn wait(self) -> Outcome {
        self.0.await.unwrap_or(Err(OlympicError::Closed))
    }
}

/// The writer thread's state.
struct Writer {
    /// The journal's path, for compaction and messages.
    path: PathBuf,
    /// The journal, positioned at its end.
    file: File,
    /// Keeps other handles and processes out until the writer stops.
    _lock: JournalLock,
    /// The origin this server writes under, for the identity record of a
    /// compacted file.
    origin: String,
    /// Records in the file.
    records: usize,
    /// Compact once `records` exceeds this.
    compact_after: usize,
    /// Applies durable changes.
    sink: Arc<dyn Sink>,
    /// Shared counters.
    counters: Arc<Counters>,
    /// Why the journal stopped accepting writes, once it has.
    failed: Option<String>,
}

impl Writer {
    /// Serves batches until every handle is gone.
    fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        let mut batch = Vec::new();
        let mut buf = Vec::new();
        while let Some(first) = rx.blocking_recv() {
            batch.push(first);
            while let Ok(more) = rx.try_recv() {
                batch.push(more);
            }
            self.commit(&mut batch, &mut buf);
        }
    }

    /// Makes `batch` durable with one write and one fsync, applies it, and
    /// answers every request in it.
    fn commit(&mut self, batch: &mut Vec<Request>, buf: &mut Vec<u8>) {
        if let Some(reason) = &self.failed {
            for req in batch.drain(..) {
                let _ = req
                    .done
                    .send(Err(OlympicError::JournalFailed(reason.clone())));
            }
            return;
        }
        buf.clear();
        let mut accepted = Vec::with_capacity(batch.len());
        for req in batch.drain(..) {
            match record::encode(req.change.encode().as_bytes(), buf) {
                Ok(()) => accepted.push(req),
                Err(error) => {
                    let _ = req.done.send(Err(error));
                }
            }
        }
        if accepted.is_empty() {
            return;
        }
        let batch = &mut accepted;
        let started = std::time::Instant::now();
        let written = self
            .file
            .write_all(buf)
            .and_then(|()| self.file.sync_data());
        if let Some(observer) = self.counters.fsync_observer.get() {
            observer.observe(started.elapsed());
        }
        if let Err(error) = written {
            tracing::error!(path = %self.path.display(), %error, "journal write failed");
            let reason = format!("write to {}: {error}", self.path.display());
            self.fail(reason.clone());
            for req in batch.drain(..) {
                let _ = req
                    .done
                    .send(Err(OlympicError::JournalFailed(reason.clone())));
            }
            return;
        }
        let n = batch.len();
        self.records += n;
        self.counters.records.fetch_add(n as u64, Ordering::Relaxed);
        self.counters.fsyncs.fetch_add(1, Ordering::Relaxed);
        let updates: Vec<Option<Update>> = batch
            .iter()
            .map(|req| self.sink.apply(&req.change))
            .collect();
        if self.records > self.compact_after {
            self.compact();
        }
        self.counters
            .records_in_file
            .store(self.records as u64, Ordering::Relaxed);
        for (req, update) in batch.drain(..).zip(updates) {
            let _ = req.done.send(Ok(update));
        }
    }

    /// Refuses every later request, for `reason`.
    fn fail(&mut self, reason: String) {
        let _ = self.counters.failed.set(reason.clone());
        self.failed = Some(reason);
    }

    /// Rewrites the journal as one snapshot. The batch just written is
    /// durable either way: a crash or failure part-way leaves the old file
    /// or the new one, and both hold it.
    fn compact(&mut self) {
        match storage::rewrite(&self.path, &self.origin, Some(&self.sink.snapshot())) {
            Ok((file, records)) => {
                tracing::info!(path = %self.path.display(), records = self.records, "journal compacted");
                self.file = file;
                self.records = records;
                self.counters.compactions.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                tracing::error!(%error, "journal compaction failed");
                self.fail(format!("compaction: {error}"));
            }
        }
    }
}
