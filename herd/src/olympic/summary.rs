//! A compact description of a replica's state, so that a link that comes up
//! sends only what the other side lacks.
//!
//! For each origin server the summary holds the highest operation number seen
//! from it and a 64-bit fingerprint (FNV-1a) of the entries currently held
//! under that origin: its medal counts and the scores its stamps win. Two
//! replicas holding the same entries for an origin have the same fingerprint,
//! so `changes_missing_from` sends every entry of each origin whose
//! fingerprint differs, and nothing for the others. Comparing only the
//! highest operation numbers would not be enough: links may deliver out of
//! order or drop changes, so having seen operation 9 of a server does not
//! prove having seen its operation 8.
//!
//! Line form (one line, for the peer link):
//! `SUMMARY [<origin> <seq> <fingerprint as 16 hex digits>]...`

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::change::Change;
use super::config::is_token;
use super::state::State;

/// What one replica holds from one origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginSummary {
    /// Highest operation number seen from the origin.
    pub seq: u64,
    /// Fingerprint of the entries held under the origin (0 if none).
    pub digest: u64,
}

/// Origin name to what a replica holds from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// One entry per origin the replica has heard of.
    pub origins: BTreeMap<String, OriginSummary>,
}

impl Summary {
    /// The line form, without a terminator.
    pub fn encode(&self) -> String {
        let mut line = String::from("SUMMARY");
        for (origin, o) in &self.origins {
            let _ = write!(line, " {origin} {} {:016x}", o.seq, o.digest);
        }
        line
    }

    /// Reads a line made by [`Summary::encode`].
    pub fn parse(line: &[u8]) -> Option<Summary> {
        let line = std::str::from_utf8(line).ok()?;
        let mut words = line.split_whitespace();
        if words.next()? != "SUMMARY" {
            return None;
        }
        let mut origins = BTreeMap::new();
        while let Some(origin) = words.next() {
            let seq = words.next()?;
            let digest = words.next()?;
            if !is_token(origin)
                || !seq.bytes().all(|b| b.is_ascii_digit())
                || digest.len() != 16
                || !digest.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return None;
            }
            let o = OriginSummary {
                seq: seq.parse().ok()?,
                digest: u64::from_str_radix(digest, 16).ok()?,
            };
            origins.insert(origin.to_owned(), o);
        }
        Some(Summary { origins })
    }
}

/// FNV-1a over the line forms of `changes`, each followed by a newline.
fn fingerprint(changes: &[Change]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for change in changes {
        for byte in change.encode().bytes().chain([b'\n']) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME);
        }
    }
    hash
}

/// The summary of `state`.
pub(crate) fn summarize(state: &State) -> Summary {
    let by_origin = state.changes_by_origin();
    let mut origins: BTreeMap<String, OriginSummary> = state
        .seen_all()
        .iter()
        .map(|(origin, &seq)| (origin.clone(), OriginSummary { seq, digest: 0 }))
        .collect();
    for (origin, changes) in by_origin {
        let entry = origins
            .entry(origin.to_owned())
            .or_insert(OriginSummary { seq: 0, digest: 0 });
        entry.digest = fingerprint(&changes);
    }
    Summary { origins }
}

/// Every entry of `state` under an origin whose fingerprint in `theirs`
/// differs from ours (or is absent).
pub(crate) fn changes_missing_from(state: &State, theirs: &Summary) -> Vec<Change> {
    state
        .changes_by_origin()
        .into_iter()
        .filter(|(origin, changes)| {
            theirs.origins.get(*origin).map(|o| o.digest) != Some(fingerprint(changes))
        })
        .flat_map(|(_, changes)| changes)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::olympic::change::OpId;
    use crate::olympic::medal::Medal;

    fn medal(origin: &str, seq: u64, count: u64) -> Change {
        Change::Medal {
            op: OpId {
                origin: origin.into(),
                seq,
            },
            team: "Gaul".into(),
            medal: Medal::Gold,
            count,
        }
    }

    fn state(changes: &[Change]) -> State {
        let mut s = State::default();
        for c in changes {
            s.apply(c);
        }
        s
    }

    #[test]
    fn only_origins_that_differ_are_sent() {
        let ours = state(&[medal("A", 1, 1), medal("A", 2, 2), medal("B", 1, 1)]);
        let same = state(&[medal("A", 2, 2), medal("B", 1, 1)]);
        assert!(changes_missing_from(&ours, &summarize(&same)).is_empty());
        let behind = state(&[medal("A", 2, 2)]);
        assert_eq!(
            changes_missing_from(&ours, &summarize(&behind)),
            vec![medal("B", 1, 1)]
        );
    }

    #[test]
    fn a_gap_below_the_highest_seq_is_still_found() {
        let a_gold = medal("A", 1, 1);
        let a_rome = Change::Medal {
            op: OpId {
                origin: "A".into(),
                seq: 2,
            },
            team: "Rome".into(),
            medal: Medal::Gold,
            count: 1,
        };
        let ours = state(&[a_gold.clone(), a_rome.clone()]);
        let theirs = state(&[a_rome]);
        assert_eq!(summarize(&theirs).origins["A"].seq, 2);
        let missing = changes_missing_from(&ours, &summarize(&theirs));
        let mut rebuilt = theirs.clone();
        for c in &missing {
            rebuilt.apply(c);
        }
        assert!(missing.contains(&a_gold));
        assert_eq!(rebuilt, ours);
    }

    proptest::proptest! {
        #[test]
        fn any_summary_survives_its_line_form(
            origins in proptest::collection::btree_map(
                crate::strategies::origin(),
                (proptest::prelude::any::<u64>(), proptest::prelude::any::<u64>()),
                0..6,
            ),
        ) {
            let origins = origins
                .into_iter()
                .map(|(origin, (seq, digest))| (origin, OriginSummary { seq, digest }))
                .collect();
            let s = Summary { origins };
            proptest::prop_assert_eq!(Summary::parse(s.encode().as_bytes()), Some(s));
        }
    }

    #[test]
    fn summaries_survive_their_line_form() {
        let s = summarize(&state(&[medal("A", 3, 1), medal("Bee", 1, 1)]));
        let line = s.encode();
        assert!(line.starts_with("SUMMARY A 3 "), "{line}");
        assert_eq!(Summary::parse(line.as_bytes()), Some(s));
        assert_eq!(Summary::parse(b"SUMMARY"), Some(Summary::default()));
        assert_eq!(Summary::parse(b"SUMMARY A 3"), None);
        assert_eq!(Summary::parse(b"SUMMARY A 3 xyz"), None);
        assert_eq!(Summary::parse(b"MEDAL A 3 0000000000000000"), None);
    }
}
