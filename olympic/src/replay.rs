//! Rebuilding a replica from the records of its journal, and deciding
//! whether the journal proves the origin this server writes under.
//!
//! The journal proves an origin only if its whole history is there: no
//! damaged region anywhere (a torn tail is fine: a record whose write did
//! not complete was never acknowledged), and, in a version-2 file, a first
//! record `IDENTITY <origin>` naming an origin of this server. A version-1
//! file has no identity record: its server wrote under its bare name.
//! Whatever the verdict, every readable record is replayed, so the effect
//! of every change the file still holds is kept.

use std::path::Path;

use super::config::Names;
use super::error::OlympicError;
use super::origin;
use super::payload::Payload;
use super::record::{HEADER_LEN, Scan};
use super::state::State;

/// What the records of a journal rebuild.
#[derive(Debug)]
pub(crate) struct Replayed {
    /// The state every readable record rebuilds.
    pub(crate) state: State,
    /// The origin the journal proves this server writes under, or why it
    /// proves none.
    pub(crate) identity: Result<String, String>,
}

/// Replays the records `scan` found in the journal of `server` at `path`,
/// a file of format `version`. A record with a good checksum that cannot be
/// read is refused with [`OlympicError::BadRecord`], never dropped.
pub(crate) fn replay(
    path: &Path,
    scan: &Scan,
    version: u32,
    server: &str,
    names: &Names,
) -> Result<Replayed, OlympicError> {
    let mut state = State::default();
    let mut claimed = None;
    for (index, rec) in scan.records.iter().enumerate() {
        let offset = (HEADER_LEN + rec.offset) as u64;
        let bad = |reason| OlympicError::BadRecord {
            path: path.into(),
            offset,
            reason,
        };
        match Payload::parse(rec.payload).map_err(bad)? {
            // The first readable record, not the first offset: damage in
            // front of the identity costs the proof (see `prove`), it is
            // not a record out of place.
            Payload::Identity(origin) if version >= 2 && index == 0 => claimed = Some(origin),
            Payload::Identity(_) => {
                return Err(bad(
                    "IDENTITY is only ever the first record of a version-2 journal".into(),
                ));
            }
            payload => apply(&mut state, names, payload, offset),
        }
    }
    Ok(Replayed {
        state,
        identity: prove(scan, version, server, claimed),
    })
}

/// The origin the journal proves, or why it proves none.
fn prove(
    scan: &Scan,
    version: u32,
    server: &str,
    claimed: Option<String>,
) -> Result<String, String> {
    if let Some(first) = scan.skipped.first() {
        let bytes: usize = scan.skipped.iter().map(|s| s.len).sum();
        return Err(format!(
            "it is damaged: {} region(s), {bytes} bytes, the first at byte {}",
            scan.skipped.len(),
            HEADER_LEN + first.offset
        ));
    }
    if version == 1 {
        return Ok(server.to_owned());
    }
    match claimed {
        None => Err("its first record is not an IDENTITY".into()),
        Some(o) if origin::belongs_to(&o, server) => Ok(o),
        Some(o) => Err(format!("its IDENTITY {o:?} is not an origin of {server}")),
    }
}

/// Applies one replayed change or snapshot to `state`, skipping (with a
/// warning) changes that do not fit the configuration.
fn apply(state: &mut State, names: &Names, payload: Payload, offset: u64) {
    let changes = match payload {
        Payload::Identity(_) => return,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{self, VERSION};
    use crate::{Medal, OlympicsConfig};

    const ORIGIN: &str = "A/0123456789abcdef";

    /// Replays `file` (records after the header) as the journal of `A`.
    fn replay_records(file: &[u8]) -> Result<Replayed, OlympicError> {
        let names = Names::new(&OlympicsConfig::default()).unwrap();
        let scan = record::scan(file);
        replay(Path::new("A.journal"), &scan, VERSION, "A", &names)
    }

    /// An identity record and one gold for Gaul under [`ORIGIN`].
    fn records() -> Vec<u8> {
        let mut file = Vec::new();
        for payload in [
            format!("IDENTITY {ORIGIN}"),
            format!("MEDAL {ORIGIN} 1 Gaul gold 1"),
        ] {
            record::encode(payload.as_bytes(), &mut file).unwrap();
        }
        file
    }

    #[test]
    fn an_intact_journal_proves_the_origin_of_its_identity() {
        let replayed = replay_records(&records()).unwrap();
        assert_eq!(replayed.identity, Ok(ORIGIN.to_owned()));
        assert_eq!(replayed.state.count(ORIGIN, "Gaul", Medal::Gold), 1);
    }

    #[test]
    fn damage_before_the_identity_costs_the_proof_not_the_journal() {
        let mut file = b"\x07\0\0\0garbage".to_vec();
        file.extend_from_slice(&records());
        let replayed = replay_records(&file).expect("damage is not a refusal");
        assert!(
            replayed.identity.is_err(),
            "a damaged journal proves nothing"
        );
        assert_eq!(replayed.state.count(ORIGIN, "Gaul", Medal::Gold), 1);
    }

    #[test]
    fn an_identity_after_another_record_is_refused() {
        let mut file = Vec::new();
        record::encode(
            format!("MEDAL {ORIGIN} 1 Gaul gold 1").as_bytes(),
            &mut file,
        )
        .unwrap();
        record::encode(format!("IDENTITY {ORIGIN}").as_bytes(), &mut file).unwrap();
        let err = replay_records(&file).unwrap_err();
        assert!(matches!(err, OlympicError::BadRecord { .. }), "{err}");
    }
}
