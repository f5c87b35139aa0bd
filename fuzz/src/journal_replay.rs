//! Journal replay through the code `herd` runs at start
//! ([`Olympics::open`]), on a journal file made from the input in a fresh
//! temporary directory.
//!
//! Opening never panics and never fails because of damage: it fails only
//! with the documented refusals (not a journal, another format version, a
//! record with a good checksum that cannot be read), and then leaves the
//! file as it was. Damage costs only the damaged bytes: the file's valid
//! records alone, without the damaged regions, are refused or opened alike,
//! to the same state. A journal it opens it repairs: opened again, it
//! proves the same origin and rebuilds the same state. A damaged journal
//! never proves an origin, so the server writes under a fresh one.
//!
//! The input is one mode byte and a body:
//! * mode bit 0 clear: the body is the file, as it is;
//! * mode bit 0 set: the body is framed: a header (format version 1 if mode
//!   bit 1 is set, else 2), then each piece of the body between `0xFF`
//!   bytes as one record with a good checksum, except that a piece starting
//!   with `0xFE` is written raw (damage);
//! * mode bits 2 to 7: bytes cut off the end of the file (a torn write).
//!
//! Framing lets the fuzzer reach the payload parser without having to
//! forge checksums; `0xFF` and `0xFE` never occur in UTF-8 text.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use olympic::record;
use olympic::{Change, OlympicError, Olympics, OlympicsConfig};

/// The server whose journal is opened.
const SERVER: &str = "A";

/// Separates the pieces of a framed body.
const PIECE_END: u8 = 0xFF;

/// Starts a piece that is written raw rather than framed.
const RAW_PIECE: u8 = 0xFE;

/// Compaction threshold: small, so that opening also compacts.
const COMPACT_AFTER: usize = 3;

/// Opens the journal made from `input` and checks the outcome.
pub fn check(input: &[u8]) {
    let Some((&mode, body)) = input.split_first() else {
        return;
    };
    let mut file = if mode & 1 == 0 {
        body.to_vec()
    } else {
        framed(body, mode & 2 != 0)
    };
    file.truncate(file.len().saturating_sub(usize::from(mode >> 2)));
    let outcome = open_twice(&file);
    if let Some(valid) = valid_records_only(&file) {
        assert_eq!(
            open_twice(&valid),
            outcome,
            "damage cost more than the damaged bytes"
        );
    }
}

/// What opening a journal (twice) comes to.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Refused, with the error's description (paths left out).
    Refused(&'static str),
    /// Opened to this state.
    Opened {
        /// The whole state, as changes.
        state: Vec<Change>,
        /// The highest operation number seen from each origin.
        seen: BTreeMap<String, u64>,
    },
}

/// `file` without its damaged regions and torn tail: the header and the
/// valid records, framed anew. `None` if it has no damage to remove or no
/// header of a version this build reads.
fn valid_records_only(file: &[u8]) -> Option<Vec<u8>> {
    let record::Header::Good(_) = record::check_header(file) else {
        return None;
    };
    let scan = record::scan(&file[record::HEADER_LEN..]);
    if scan.skipped.is_empty() {
        return None;
    }
    let mut valid = file[..record::HEADER_LEN].to_vec();
    for rec in &scan.records {
        record::encode(rec.payload, &mut valid).expect("a valid record fits");
    }
    Some(valid)
}

/// Writes `file` as the journal in a fresh directory, opens it and opens it
/// again.
fn open_twice(file: &[u8]) -> Outcome {
    let dir = scratch_dir();
    let path = dir.path().join(format!("{SERVER}.journal"));
    std::fs::write(&path, file).expect("write the journal");
    runtime().block_on(open_and_reopen(dir.path(), &path, file))
}

/// A file of format version 1 or 2 whose records are `body`'s pieces.
pub fn framed(body: &[u8], version_1: bool) -> Vec<u8> {
    let mut file = record::header().to_vec();
    if version_1 {
        file[8..12].copy_from_slice(&1u32.to_le_bytes());
    }
    for piece in body.split(|&b| b == PIECE_END) {
        match piece.split_first() {
            Some((&RAW_PIECE, raw)) => file.extend_from_slice(raw),
            Some(_) => record::encode(piece, &mut file).expect("a piece of a fuzz input fits"),
            None => {}
        }
    }
    file
}

/// The configuration the journal is opened with.
fn config() -> OlympicsConfig {
    OlympicsConfig {
        compact_after: COMPACT_AFTER,
        ..OlympicsConfig::default()
    }
}

/// Opens the journal at `path` (holding `file`) in `dir`, then again.
async fn open_and_reopen(dir: &Path, path: &Path, file: &[u8]) -> Outcome {
    let first = match Olympics::open(&config(), SERVER, dir).await {
        Ok(olympics) => olympics,
        Err(refusal) => {
            let kind = match refusal {
                OlympicError::NotAJournal { .. } => "not a journal",
                OlympicError::UnsupportedVersion { .. } => "unsupported version",
                OlympicError::BadRecord { .. } => "bad record",
                other => panic!("opening failed, and not by a documented refusal: {other}"),
            };
            let now = std::fs::read(path).expect("read the journal");
            assert_eq!(now, file, "a refused journal is left as it was");
            return Outcome::Refused(kind);
        }
    };
    check_origin(first.origin(), file);
    let origin = first.origin().to_owned();
    let opened = Outcome::Opened {
        state: first.snapshot(),
        seen: first.version_vector(),
    };
    first.close().await;
    let again = Olympics::open(&config(), SERVER, dir)
        .await
        .expect("a journal written at open opens again");
    assert_eq!(
        again.origin(),
        origin,
        "the repaired journal proves its origin"
    );
    let reopened = Outcome::Opened {
        state: again.snapshot(),
        seen: again.version_vector(),
    };
    assert_eq!(
        reopened, opened,
        "the repaired journal holds the same state"
    );
    again.close().await;
    opened
}

/// An origin found in the file must have been proven by it: an undamaged
/// file whose first record names it. Any other origin is freshly minted,
/// and a damaged file always gets one.
fn check_origin(origin: &str, file: &[u8]) {
    let in_file = file.windows(origin.len()).any(|w| w == origin.as_bytes());
    if origin != SERVER && !in_file {
        return;
    }
    let header = record::check_header(file);
    let scan = record::scan(file.get(record::HEADER_LEN..).unwrap_or_default());
    assert!(scan.skipped.is_empty(), "a damaged journal proved {origin}");
    let first = scan.records.first().map(|r| r.payload);
    let identity = format!("IDENTITY {origin}");
    match header {
        record::Header::Good(1) => assert_eq!(origin, SERVER),
        _ => assert_eq!(first, Some(identity.as_bytes()), "{origin} was not proven"),
    }
}

/// A fresh directory, on a RAM file system where there is one, since every
/// open syncs files.
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let builder = tempfile::Builder::new()
        .prefix("herd-fuzz-")
        .tempdir_in(shm);
    builder
        .or_else(|_| tempfile::tempdir())
        .expect("create a temporary directory")
}

/// One runtime for every run: building one per input would cost more than
/// the open itself.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("build a runtime")
    })
}
