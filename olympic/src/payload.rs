//! What a journal record holds: this server's identity, one change, or a
//! snapshot of the whole state.
//!
//! All are text. The first record of every version-2 file is
//!
//! ```text
//! IDENTITY <origin>
//! ```
//!
//! the origin this server writes its own changes under (see `origin.rs`).
//! A change is its line form (see [`change`](super::change)). A snapshot,
//! written when the journal is compacted, is several lines separated by
//! `\n`:
//!
//! ```text
//! SNAPSHOT 1
//! SEEN <origin> <seq>        one per origin ever heard of
//! MEDAL ... | SCORE ...      the whole state, as changes
//! ```
//!
//! `SEEN` keeps the highest operation number of every origin even when its
//! operations were superseded, above all this server's own: a restarted
//! server continues after the last number it ever handed out. The stamps of
//! this server's own scores need no line: a score's register keeps the
//! greatest stamp ever applied to it, and new stamps are taken above it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::config::is_token;
use proto::change::Change;

/// First line of a snapshot payload.
const SNAPSHOT_HEADER: &str = "SNAPSHOT 1";

/// First word of an identity payload.
const IDENTITY: &str = "IDENTITY";

/// The payload text of the identity record of a server writing under
/// `origin`.
pub(crate) fn identity(origin: &str) -> String {
    format!("{IDENTITY} {origin}")
}

/// The whole state of a replica, as written by compaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Origin to the highest operation number seen from it.
    pub(crate) seen: BTreeMap<String, u64>,
    /// Every medal entry and score, as changes.
    pub(crate) changes: Vec<Change>,
}

impl Snapshot {
    /// The payload text of a snapshot record.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::from(SNAPSHOT_HEADER);
        for (origin, seq) in &self.seen {
            let _ = write!(text, "\nSEEN {origin} {seq}");
        }
        for change in &self.changes {
            text.push('\n');
            text.push_str(&change.encode());
        }
        text
    }
}

/// The contents of one journal record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    /// The origin this server writes under, as written (checked by the
    /// reader: an unusable one proves nothing, see `replay.rs`).
    Identity(String),
    /// One change, local or merged.
    Change(Change),
    /// The whole state at a compaction (the first record of its file).
    Snapshot(Snapshot),
}

impl Payload {
    // Writing needs no method: an identity record holds `identity`, a
    // change record `Change::encode`, a snapshot record `Snapshot::encode`.

    /// Reads the bytes of a record, or says what is wrong with them.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Payload, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "payload is not UTF-8".to_owned())?;
        let mut lines = text.split('\n');
        let first = lines.next().unwrap_or_default();
        if let Some(origin) = text
            .strip_prefix(IDENTITY)
            .and_then(|r| r.strip_prefix(' '))
        {
            return Ok(Payload::Identity(origin.to_owned()));
        }
        if !first.starts_with("SNAPSHOT") {
            return Change::parse(text.as_bytes())
                .map(Payload::Change)
                .ok_or_else(|| format!("not a change line: {:?}", short(text)));
        }
        if first != SNAPSHOT_HEADER {
            return Err(format!("unknown snapshot header {:?}", short(first)));
        }
        let mut snap = Snapshot::default();
        for line in lines {
            if let Some(rest) = line.strip_prefix("SEEN ") {
                let (origin, seq) =
                    parse_seen(rest).ok_or_else(|| format!("bad SEEN line {:?}", short(line)))?;
                snap.seen.insert(origin, seq);
            } else {
                let change = Change::parse(line.as_bytes())
                    .ok_or_else(|| format!("bad snapshot line {:?}", short(line)))?;
                snap.changes.push(change);
            }
        }
        Ok(Payload::Snapshot(snap))
    }
}

/// `<origin> <seq>`.
fn parse_seen(rest: &str) -> Option<(String, u64)> {
    let (origin, seq) = rest.split_once(' ')?;
    if !is_token(origin) || seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((origin.to_owned(), seq.parse().ok()?))
}

/// At most 60 characters of `text`, for error messages.
fn short(text: &str) -> &str {
    text.char_indices()
        .nth(60)
        .map_or(text, |(i, _)| &text[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::change::OpId;
    use proto::medal::Medal;

    #[test]
    fn snapshots_and_changes_survive_their_encoding() {
        let change = Change::Medal {
            op: OpId {
                origin: "A".into(),
                seq: 4,
            },
            team: "Gaul".into(),
            medal: Medal::Bronze,
            count: 2,
            key: None,
        };
        let snap = Snapshot {
            seen: [("A".to_owned(), 9), ("B".to_owned(), 1)].into(),
            changes: vec![change.clone()],
        };
        let text = snap.encode();
        assert_eq!(
            text,
            "SNAPSHOT 1\nSEEN A 9\nSEEN B 1\nMEDAL A 4 Gaul bronze 2"
        );
        assert_eq!(Payload::parse(text.as_bytes()), Ok(Payload::Snapshot(snap)));
        assert_eq!(
            Payload::parse(change.encode().as_bytes()),
            Ok(Payload::Change(change))
        );
        assert_eq!(
            Payload::parse(identity("A/0123456789abcdef").as_bytes()),
            Ok(Payload::Identity("A/0123456789abcdef".into()))
        );
        let empty = Snapshot::default();
        assert_eq!(
            Payload::parse(empty.encode().as_bytes()),
            Ok(Payload::Snapshot(empty))
        );
    }

    #[test]
    fn unreadable_payloads_say_why() {
        assert!(Payload::parse(b"SNAPSHOT 2\nSEEN A 1").is_err());
        assert!(Payload::parse(b"SNAPSHOT 1\nSEEN A x").is_err());
        assert!(Payload::parse(b"SNAPSHOT 1\nHELLO").is_err());
        assert!(Payload::parse(b"MEDAL A").is_err());
        assert!(Payload::parse(b"\xff").is_err());
    }
}
