//! The journal file on disk: opening it (lock, replay, repair, identity)
//! and replacing it atomically (compaction). Blocking I/O only; callers run
//! it on a blocking thread.
//!
//! Files, for a server `S` in the data directory:
//! * `S.lock`: held (`flock`) while a process has the journal open, see
//!   `lock.rs`.
//! * `S.journal`: the journal, see [`record`](super::record).
//! * `S.journal.tmp`: a compaction in progress. Only ever renamed over the
//!   journal once complete and synced, so a crash leaves either the old
//!   journal or the new one. Deleted when found at open.
//! * `S.journal.discarded`: the bytes skipped or cut off by the last
//!   repair, kept (best effort, not synced) for inspection.
//!
//! At open every readable record is replayed (see `replay.rs`); damaged
//! regions are skipped and logged with their offsets and lengths, a torn
//! tail is cut off. Then:
//! * the journal proves this server's origin (intact, or only a torn tail):
//!   the server continues that origin, its numbers and counts;
//! * it does not (missing, damaged, no usable `IDENTITY`): the server mints
//!   a fresh origin and the file is rewritten at once as that identity plus
//!   a snapshot of everything replayed, so no damage stays in the file that
//!   is appended to. The old origin's entries stay, as any other origin's;
//! * a version-1 journal that proves its origin is rewritten the same way,
//!   keeping the bare server name as its origin.
//!
//! A record with a good checksum that cannot be read is refused with
//! [`OlympicError::BadRecord`] rather than silently dropped.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::config::Names;
use super::error::OlympicError;
use super::lock::JournalLock;
use super::origin;
use super::payload::{self, Snapshot};
use super::record::{self, HEADER_LEN, Header, Scan};
use super::replay;
use super::state::State;

/// Damaged regions logged one by one at open; past this, one line sums up
/// the rest (all of them are in the `.discarded` file).
const MAX_LOGGED_REGIONS: usize = 32;

/// The journal of `server` in `data_dir`.
pub(crate) fn journal_path(data_dir: &Path, server: &str) -> PathBuf {
    data_dir.join(format!("{server}.journal"))
}

/// `path` with `suffix` added to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Maps an I/O error to one that names `path`.
pub(crate) fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OlympicError + '_ {
    move |source| OlympicError::Io {
        path: path.to_owned(),
        source,
    }
}

/// An open journal, ready for appending, and what it holds.
#[derive(Debug)]
pub(crate) struct Opened {
    /// The journal, positioned at its end.
    pub(crate) file: File,
    /// Held until the journal's writer stops.
    pub(crate) lock: JournalLock,
    /// The origin this server writes its changes under.
    pub(crate) origin: String,
    /// The state its records rebuild.
    pub(crate) state: State,
    /// How many records it holds.
    pub(crate) records: usize,
}

/// A journal file ready for appending, and how many records it holds.
type Appendable = (File, usize);

/// Opens (locking, creating, replaying, repairing, compacting as needed)
/// the journal of `server` in `data_dir`.
pub(crate) fn open(
    data_dir: &Path,
    server: &str,
    names: &Names,
    compact_after: usize,
) -> Result<Opened, OlympicError> {
    fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
    let lock = JournalLock::acquire(data_dir, server)?;
    let path = journal_path(data_dir, server);
    let tmp = with_suffix(&path, ".tmp");
    match fs::remove_file(&tmp) {
        Ok(()) => tracing::info!(path = %tmp.display(), "removed an unfinished compaction"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&tmp)(e)),
    }
    let (origin, state, (file, records)) = match fs::read(&path) {
        Ok(bytes) => replay_file(&path, &bytes, server, names, compact_after)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let origin = origin::mint(server);
            tracing::info!(path = %path.display(), %origin, "no journal: a new history, under a new origin");
            let appendable = start_history(&path, &origin, &State::default())?;
            (origin, State::default(), appendable)
        }
        Err(e) => return Err(io_error(&path)(e)),
    };
    Ok(Opened {
        file,
        lock,
        origin,
        state,
        records,
    })
}

/// Replays and repairs the journal file at `path`, holding `bytes`; returns
/// the origin to write under, the state, and the file to append to.
fn replay_file(
    path: &Path,
    bytes: &[u8],
    server: &str,
    names: &Names,
    compact_after: usize,
) -> Result<(String, State, Appendable), OlympicError> {
    let version = match record::check_header(bytes) {
        Header::Good(version) => version,
        Header::Missing => {
            let origin = origin::mint(server);
            tracing::warn!(path = %path.display(), %origin, "journal header incomplete: starting afresh under a new origin");
            let appendable = start_history(path, &origin, &State::default())?;
            return Ok((origin, State::default(), appendable));
        }
        Header::NotAJournal => return Err(OlympicError::NotAJournal { path: path.into() }),
        Header::Version(version) => {
            return Err(OlympicError::UnsupportedVersion {
                path: path.into(),
                version,
                expected: record::VERSION,
            });
        }
    };
    let scan = record::scan(&bytes[HEADER_LEN..]);
    let replayed = replay::replay(path, &scan, version, server, names)?;
    report_damage(path, bytes, &scan);
    let state = replayed.state;
    let origin = match replayed.identity {
        Ok(origin) if version == record::VERSION => {
            let appendable = continue_history(path, &scan, &origin, &state, compact_after)?;
            return Ok((origin, state, appendable));
        }
        Ok(origin) => {
            tracing::info!(path = %path.display(), %origin, version, "journal rewritten in format version {}", record::VERSION);
            origin
        }
        Err(why) => {
            let origin = origin::mint(server);
            tracing::warn!(
                path = %path.display(),
                %origin,
                "journal cannot prove this server's history ({why}); its changes are kept, new ones are written under a new origin"
            );
            origin
        }
    };
    let appendable = start_history(path, &origin, &state)?;
    Ok((origin, state, appendable))
}

/// The intact journal at `path`, its torn tail (if any) cut off, compacted
/// if it holds more than `compact_after` records.
fn continue_history(
    path: &Path,
    scan: &Scan,
    origin: &str,
    state: &State,
    compact_after: usize,
) -> Result<Appendable, OlympicError> {
    let file = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io_error(path))?;
    if let Some(torn) = scan.torn {
        file.set_len((HEADER_LEN + torn) as u64)
            .map_err(io_error(path))?;
        file.sync_data().map_err(io_error(path))?;
    }
    if scan.records.len() > compact_after {
        return rewrite(path, origin, Some(&snapshot_of(state)));
    }
    Ok((file, scan.records.len()))
}

/// Replaces the journal at `path` by one that starts the history of
/// `origin` with `state` (written as a snapshot unless empty).
fn start_history(path: &Path, origin: &str, state: &State) -> Result<Appendable, OlympicError> {
    let snapshot = (*state != State::default()).then(|| snapshot_of(state));
    rewrite(path, origin, snapshot.as_ref())
}

/// Logs every skipped region and a torn tail, and keeps their bytes in the
/// `.discarded` file next to the journal.
fn report_damage(path: &Path, bytes: &[u8], scan: &Scan) {
    if scan.is_clean() {
        return;
    }
    let mut discarded = Vec::new();
    for (i, region) in scan.skipped.iter().enumerate() {
        let offset = HEADER_LEN + region.offset;
        discarded.extend_from_slice(&bytes[offset..offset + region.len]);
        if i < MAX_LOGGED_REGIONS {
            tracing::warn!(
                path = %path.display(),
                offset,
                bytes = region.len,
                damage = ?region.damage,
                "journal damaged: skipped these bytes, reading on at the next valid record"
            );
        }
    }
    if let Some(rest) = scan
        .skipped
        .get(MAX_LOGGED_REGIONS..)
        .filter(|r| !r.is_empty())
    {
        let bytes: usize = rest.iter().map(|r| r.len).sum();
        tracing::warn!(path = %path.display(), regions = rest.len(), bytes, "journal damaged: more regions skipped");
    }
    if let Some(torn) = scan.torn {
        let offset = HEADER_LEN + torn;
        discarded.extend_from_slice(&bytes[offset..]);
        tracing::warn!(
            path = %path.display(),
            offset,
            bytes = bytes.len() - offset,
            "journal ends inside a record (a write cut short, never acknowledged): cut off"
        );
    }
    let file = with_suffix(path, ".discarded");
    tracing::warn!(
        path = %path.display(),
        kept_records = scan.records.len(),
        skipped_regions = scan.skipped.len(),
        discarded_bytes = discarded.len(),
        discarded = %file.display(),
        "journal repaired"
    );
    if let Err(error) = fs::write(&file, &discarded) {
        tracing::warn!(path = %file.display(), %error, "cannot keep the discarded bytes");
    }
}

/// The snapshot that rebuilds `state`.
pub(crate) fn snapshot_of(state: &State) -> Snapshot {
    Snapshot {
        seen: state.seen_all().clone(),
        changes: state.changes(),
    }
}

/// Replaces the journal at `path` by a new one holding the identity
/// `origin` and `snapshot` (if any): written to `path.tmp`, synced, renamed
/// over `path`, and the directory synced. Returns the new journal,
/// positioned at its end, and the number of records in it.
pub(crate) fn rewrite(
    path: &Path,
    origin: &str,
    snapshot: Option<&Snapshot>,
) -> Result<Appendable, OlympicError> {
    let tmp = with_suffix(path, ".tmp");
    let mut bytes = record::header().to_vec();
    record::encode(payload::identity(origin).as_bytes(), &mut bytes)?;
    if let Some(snapshot) = snapshot {
        record::encode(snapshot.encode().as_bytes(), &mut bytes)?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io_error(&tmp))?;
    file.write_all(&bytes).map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;
    fs::rename(&tmp, path).map_err(io_error(path))?;
    sync_dir(path)?;
    Ok((file, 1 + usize::from(snapshot.is_some())))
}

/// Syncs the directory holding `path`, so that a create or rename in it is
/// durable.
fn sync_dir(path: &Path) -> Result<(), OlympicError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))
}
