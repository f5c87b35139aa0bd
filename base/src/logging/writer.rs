//! The one thread that writes a server's log file, and the bounded queue
//! that feeds it.
//!
//! Everything logged goes through here, in chunks of whole lines: a
//! connection's or link's [`Events`](super::Events) hand over what one batch
//! logged, and `tracing` hands over each of its (rarer) events. The queue
//! holds at most [`QUEUE_CHUNKS`] chunks; when the writer falls behind, a
//! sender waits for room rather than dropping lines. Nobody holds a lock
//! while sending. The writer gathers whatever is queued into a large
//! buffer and flushes it to the file as soon as the queue runs dry, then
//! rests a moment so that lines arriving meanwhile are written together.
//! The file rotates by size ([`RotatingFile`]), always between two lines.

use std::fs::File;
use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use super::rotation::RotatingFile;

/// Chunks queued for the writer before senders wait. A chunk holds at most
/// about 64 KiB of lines, so this bounds what logging can hold in memory
/// during a burst to about 16 MiB per server (and so what the allocator
/// keeps afterwards), while still absorbing short stalls of the disk.
const QUEUE_CHUNKS: usize = 256;

/// Room in a new chunk buffer.
pub(crate) const CHUNK_CAPACITY: usize = 16 * 1024;

/// Emptied chunk buffers kept for reuse: enough for the connections and
/// links that flush at once, few enough that what logging keeps between
/// bursts stays under a megabyte.
const SPARE_BUFFERS: usize = 8;

/// Larger emptied buffers are freed rather than kept.
const MAX_SPARE_CAPACITY: usize = 128 * 1024;

/// How long the writer rests after flushing, letting lines gather.
const NAP: Duration = Duration::from_millis(1);

/// Bytes written between two [`release_written`] calls.
const RELEASE_EVERY: usize = 4 << 20;

/// What the writer is sent.
enum Chunk {
    /// Whole lines, to append.
    Lines(Vec<u8>),
    /// Flush and stop.
    Stop,
}

/// The installed log file: where chunks go, and whether `info` events are
/// wanted in it.
#[derive(Debug)]
pub(crate) struct Sink {
    tx: SyncSender<Chunk>,
    /// True when `RUST_LOG` lets `info` into the file, so the hand-written
    /// events (all `info`) are written at all.
    pub(crate) info: bool,
    /// Emptied chunks, handed back by the writer for reuse, so a busy
    /// server does not allocate and free a buffer per batch. A `std`
    /// mutex held only to push or pop.
    spare: Mutex<Vec<Vec<u8>>>,
}

impl std::fmt::Debug for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Chunk::Lines(lines) => write!(f, "Lines({} bytes)", lines.len()),
            Chunk::Stop => f.write_str("Stop"),
        }
    }
}

/// The process's log sink, once [`install`]ed.
static SINK: OnceLock<Sink> = OnceLock::new();

/// The installed sink, if any.
pub(crate) fn sink() -> Option<&'static Sink> {
    SINK.get()
}

impl Sink {
    /// A sink with no writer behind it: everything sent is discarded. For
    /// tests of what is formatted.
    #[cfg(test)]
    pub(crate) fn detached() -> Self {
        let (tx, _) = sync_channel(1);
        Self {
            tx,
            info: true,
            spare: Mutex::new(Vec::new()),
        }
    }

    /// Queues whole lines for the file, waiting for room if the writer is
    /// behind. After the writer has stopped, lines are discarded.
    ///
    /// The wait must not stall the runtime: on a tokio worker of a
    /// multi-threaded runtime it runs under `block_in_place`, which hands
    /// the worker's other tasks (links answering pings, timers, other
    /// clients) to another thread meanwhile. Logging stays lossless, and a
    /// slow disk slows only the tasks that log, never a link's liveness.
    pub(crate) fn send(&self, lines: Vec<u8>) {
        let lines = match self.tx.try_send(Chunk::Lines(lines)) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => return,
            Err(TrySendError::Full(chunk)) => chunk,
        };
        let on_worker = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if on_worker {
            tokio::task::block_in_place(|| {
                let _ = self.tx.send(lines);
            });
        } else {
            let _ = self.tx.send(lines);
        }
    }

    /// An empty buffer for the next chunk: a spare one if there is one.
    pub(crate) fn buffer(&self) -> Vec<u8> {
        self.lock_spare()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(CHUNK_CAPACITY))
    }

    /// Keeps written chunk buffers of a reusable size for reuse, up to
    /// [`SPARE_BUFFERS`]; frees the rest.
    fn keep_spare(&self, written: &mut Vec<Vec<u8>>) {
        let mut spare = self.lock_spare();
        for mut buffer in written.drain(..) {
            let reusable = (CHUNK_CAPACITY..=MAX_SPARE_CAPACITY).contains(&buffer.capacity());
            if spare.len() < SPARE_BUFFERS && reusable {
                buffer.clear();
                spare.push(buffer);
            }
        }
    }

    fn lock_spare(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.spare.lock().expect("spare buffer lock poisoned")
    }
}

/// Stops the writer when dropped, after it has written everything sent
/// before; keep it for the life of the process.
#[derive(Debug)]
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    thread: Option<JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Some(sink) = sink() {
            let _ = sink.tx.send(Chunk::Stop);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the writer thread for `file` and makes it the process's sink.
/// Returns `None` if a sink was already installed.
pub(crate) fn install(file: RotatingFile, info: bool) -> Option<LogGuard> {
    let (tx, rx) = sync_channel(QUEUE_CHUNKS);
    SINK.set(Sink {
        tx,
        info,
        spare: Mutex::new(Vec::new()),
    })
    .ok()?;
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || write_until_stopped(&rx, file))
        .ok()?;
    Some(LogGuard {
        thread: Some(thread),
    })
}

/// The writer thread: append every queued chunk, flush when the queue is
/// empty, then nap for [`NAP`] before looking again, so that on a busy
/// server it wakes about once per nap rather than once per chunk.
fn write_until_stopped(rx: &Receiver<Chunk>, mut out: RotatingFile) {
    let mut failed = false;
    let mut report = |result: std::io::Result<()>| {
        if let Err(error) = result
            && !std::mem::replace(&mut failed, true)
        {
            eprintln!("herd: cannot write the log file: {error}");
        }
    };
    let mut unreleased = 0;
    let mut written = Vec::new();
    let mut next = rx.recv().ok();
    while let Some(chunk) = next {
        match chunk {
            Chunk::Lines(lines) => {
                unreleased += lines.len();
                report(out.write_lines(&lines));
                written.push(lines);
                if written.len() >= SPARE_BUFFERS {
                    recycle(&mut written);
                }
            }
            Chunk::Stop => break,
        }
        next = match rx.try_recv() {
            Ok(chunk) => Some(chunk),
            Err(TryRecvError::Disconnected) => None,
            Err(TryRecvError::Empty) => {
                recycle(&mut written);
                report(out.flush());
                if unreleased >= RELEASE_EVERY {
                    unreleased = 0;
                    release_written(out.file());
                }
                std::thread::sleep(NAP);
                match rx.try_recv() {
                    Ok(chunk) => Some(chunk),
                    Err(TryRecvError::Disconnected) => None,
                    Err(TryRecvError::Empty) => rx.recv().ok(),
                }
            }
        };
    }
    report(out.flush());
}

/// Asks the kernel to write the file's dirty pages out and to drop the
/// pages already written from its cache. A busy log then cycles through a
/// few megabytes of page cache instead of filling memory with pages that
/// are written once and never read, and each write lands in recycled
/// pages, which is several times cheaper than fresh ones. Only advice:
/// failure changes nothing.
fn release_written(file: &File) {
    let _ = nix::fcntl::posix_fadvise(
        file,
        0,
        0,
        nix::fcntl::PosixFadviseAdvice::POSIX_FADV_DONTNEED,
    );
}

/// Hands the buffers of written chunks back to the sink for reuse (or
/// frees them), leaving `written` empty.
fn recycle(written: &mut Vec<Vec<u8>>) {
    match sink() {
        Some(sink) => sink.keep_spare(written),
        None => written.clear(),
    }
}

/// `tracing`'s way into the same file: each event, formatted by the fmt
/// layer, becomes one chunk.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TracingWriter;

impl Write for TracingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(sink) = sink() {
            sink.send(buf.to_vec());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for TracingWriter {
    type Writer = TracingWriter;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}
