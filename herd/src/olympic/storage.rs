//! The journal file on disk: opening it (replay and repair) and replacing it
//! atomically with a snapshot (compaction). Blocking I/O only; callers run
//! it on a blocking thread.
//!
//! Files, for a server `S` in the data directory:
//! * `S.journal`: the journal, see [`record`](super::record).
//! * `S.journal.tmp`: a compaction in progress. Only ever renamed over the
//!   journal once complete and synced, so a crash leaves either the old
//!   journal or the new one. Deleted when found at open.
//! * `S.journal.discarded`: the bytes cut off the end of the journal by the
//!   last repair, kept (best effort, not synced) for inspection.
//!
//! Repair at open: the file is cut at the first incomplete or damaged record
//! (see [`record::scan`]) and a warning is logged. This is never fatal: a
//! torn last record is the normal result of a crash during a write, and was
//! never acknowledged. Damage in the middle also stops the replay there, and
//! the records after it are lost (they are in the `.discarded` file). A
//! record with a good checksum that cannot be read is different: it is
//! refused with [`OlympicError::BadRecord`] rather than silently dropped. A
//! readable change naming a team or event the configuration no longer has is
//! skipped with a warning (and so dropped at the next compaction).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::config::Names;
use super::error::OlympicError;
use super::payload::{Payload, Snapshot};
use super::record::{self, Header};
use super::state::State;

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
    /// The state its records rebuild.
    pub(crate) state: State,
    /// How many records it holds.
    pub(crate) records: usize,
}

/// Opens (creating, replaying, repairing, compacting as needed) the journal
/// at `path`.
pub(crate) fn open(
    path: &Path,
    names: &Names,
    compact_after: usize,
) -> Result<Opened, OlympicError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    let tmp = with_suffix(path, ".tmp");
    match fs::remove_file(&tmp) {
        Ok(()) => tracing::info!(path = %tmp.display(), "removed an unfinished compaction"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&tmp)(e)),
    }
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_error(path)(e)),
    };
    match record::check_header(&bytes) {
        Header::Good => {}
        Header::Missing => {
            if !bytes.is_empty() {
                tracing::warn!(path = %path.display(), "journal header incomplete; starting afresh");
            }
            let file = rewrite(path, None)?;
            return Ok(Opened {
                file,
                state: State::default(),
                records: 0,
            });
        }
        Header::NotAJournal => return Err(OlympicError::NotAJournal { path: path.into() }),
        Header::Version(version) => {
            return Err(OlympicError::UnsupportedVersion {
                path: path.into(),
                version,
                expected: record::VERSION,
            });
        }
    }
    let body = &bytes[record::HEADER_LEN..];
    let scan = record::scan(body);
    let mut state = State::default();
    for rec in &scan.records {
        let offset = (record::HEADER_LEN + rec.offset) as u64;
        let payload = Payload::parse(rec.payload).map_err(|reason| OlympicError::BadRecord {
            path: path.into(),
            offset,
            reason,
        })?;
        replay(&mut state, names, payload, offset);
    }
    let good_end = record::HEADER_LEN + scan.good_len;
    if let Some(damage) = &scan.damage {
        tracing::warn!(
            path = %path.display(),
            offset = good_end,
            damage = ?damage,
            discarded_bytes = bytes.len() - good_end,
            kept_records = scan.records.len(),
            "journal damaged; truncating to the last good record"
        );
        let discarded = with_suffix(path, ".discarded");
        if let Err(error) = fs::write(&discarded, &bytes[good_end..]) {
            tracing::warn!(path = %discarded.display(), %error, "cannot keep the discarded bytes");
        }
    }
    let mut records = scan.records.len();
    let mut file = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io_error(path))?;
    if good_end < bytes.len() {
        file.set_len(good_end as u64).map_err(io_error(path))?;
        file.sync_data().map_err(io_error(path))?;
    }
    if records > compact_after {
        file = rewrite(path, Some(&snapshot_of(&state)))?;
        records = 1;
    }
    Ok(Opened {
        file,
        state,
        records,
    })
}

/// Applies one replayed record to `state`, skipping (with a warning) changes
/// that do not fit the configuration.
fn replay(state: &mut State, names: &Names, payload: Payload, offset: u64) {
    let changes = match payload {
        Payload::Change(change) => vec![change],
        Payload::Snapshot(snap) => {
            for (origin, seq) in &snap.seen {
                state.see(origin, *seq);
            }
            snap.changes
        }
    };
    for change in changes {
        match names.canonicalize(&change) {
            Ok(change) => {
                state.apply(&change);
            }
            Err(error) => tracing::warn!(
                offset,
                change = %change.encode(),
                %error,
                "journal change does not fit the configuration; skipped"
            ),
        }
    }
}

/// The snapshot that rebuilds `state`.
pub(crate) fn snapshot_of(state: &State) -> Snapshot {
    Snapshot {
        seen: state.seen_all().clone(),
        changes: state.changes(),
    }
}

/// Replaces the journal at `path` by a new one holding only `snapshot` (or
/// nothing): written to `path.tmp`, synced, renamed over `path`, and the
/// directory synced. Returns the new journal, positioned at its end.
pub(crate) fn rewrite(path: &Path, snapshot: Option<&Snapshot>) -> Result<File, OlympicError> {
    let tmp = with_suffix(path, ".tmp");
    let mut bytes = record::header().to_vec();
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
    Ok(file)
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
