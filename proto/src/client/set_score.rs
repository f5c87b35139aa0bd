//! `SETSCORE <event> <auth> <team> <score> [...] [<key>]`: Cacofonix sets
//! an event's score. The reply is `OK SCORE ...`, `DENIED SETSCORE ...` or
//! `FAILED SETSCORE ...` ([`crate::reply::Reply`]). A field left over after
//! the team and score pairs is an idempotency key ([`IdemKey`]).

use bytes::BufMut;

use super::auth::Auth;
use super::name::Name;
use crate::fields::{put_int, signed_i64};
use crate::idem::IdemKey;

/// Largest score magnitude: a score is an integer from `-MAX_SCORE` to
/// `MAX_SCORE`, at most 18 decimal digits.
pub const MAX_SCORE: i64 = 999_999_999_999_999_999;

/// A parsed SETSCORE. Its `Debug` hides the id ([`Auth`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetScoreWrite {
    /// The event as the client spelled it.
    event: Name,
    /// The id offered.
    auth: Auth,
    /// Team (as spelled) and score pairs, at least one, each score within
    /// ±[`MAX_SCORE`].
    scores: Vec<(Name, i64)>,
    /// The client's idempotency key, if it gave one.
    key: Option<IdemKey>,
}

impl SetScoreWrite {
    /// The verb.
    pub const VERB: &[u8] = b"SETSCORE";

    /// Which field of the line (the verb being field 0) is the id.
    pub const AUTH_FIELD: usize = 2;

    /// A write of `scores` to `event`; `None` unless there is at least one
    /// score and every one is within ±[`MAX_SCORE`].
    pub fn new(event: Name, auth: Auth, scores: Vec<(Name, i64)>) -> Option<Self> {
        let in_range = scores.iter().all(|(_, score)| in_range(*score));
        (in_range && !scores.is_empty()).then_some(Self {
            event,
            auth,
            scores,
            key: None,
        })
    }

    /// The same write under idempotency key `key`.
    pub fn with_key(self, key: Option<IdemKey>) -> Self {
        Self { key, ..self }
    }

    /// The client's idempotency key, if it gave one.
    pub fn key(&self) -> Option<&IdemKey> {
        self.key.as_ref()
    }

    /// The event, the auth id, then one or more `team score` pairs, then
    /// an optional idempotency key.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let event = Name::parse(it.next()?)?;
        let auth = Auth::new(bytes::Bytes::copy_from_slice(it.next()?))?;
        let mut scores = Vec::new();
        let mut key = None;
        while let Some(team) = it.next() {
            let Some(score) = it.next() else {
                key = Some(IdemKey::from_bytes(team)?);
                break;
            };
            scores.push((Name::parse(team)?, parse_score(score)?));
        }
        Some(Self::new(event, auth, scores)?.with_key(key))
    }

    /// The event as the client spelled it.
    pub fn event(&self) -> &Name {
        &self.event
    }

    /// The id offered.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Team and score pairs, as given.
    pub fn scores(&self) -> &[(Name, i64)] {
        &self.scores
    }

    /// Appends the command line, `\n` included.
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(Self::VERB);
        out.put_u8(b' ');
        out.put_slice(self.event.as_str().as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.auth.expose());
        for (team, score) in &self.scores {
            out.put_u8(b' ');
            out.put_slice(team.as_str().as_bytes());
            out.put_u8(b' ');
            put_int(out, *score);
        }
        if let Some(key) = &self.key {
            out.put_u8(b' ');
            out.put_slice(key.as_str().as_bytes());
        }
        out.put_u8(b'\n');
    }
}

/// True for a score a write may set: within ±[`MAX_SCORE`].
pub fn in_range(score: i64) -> bool {
    (-MAX_SCORE..=MAX_SCORE).contains(&score)
}

/// A score: an optional `-` and decimal digits, within ±[`MAX_SCORE`].
pub fn parse_score(text: &[u8]) -> Option<i64> {
    signed_i64(text).filter(|score| in_range(*score))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_plain_integers() {
        assert_eq!(parse_score(b"0"), Some(0));
        assert_eq!(parse_score(b"-3"), Some(-3));
        assert_eq!(parse_score(b"42"), Some(42));
        assert_eq!(parse_score(b"999999999999999999"), Some(MAX_SCORE));
        assert_eq!(parse_score(b"-999999999999999999"), Some(-MAX_SCORE));
        assert_eq!(parse_score(b"000000000000000000042"), Some(42));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b"1.5",
            b"x",
            b"1000000000000000000",
            b"-1000000000000000000",
            b"9223372036854775807",
            b"99999999999999999999999",
        ] {
            assert_eq!(parse_score(bad), None);
        }
    }

    #[test]
    fn a_field_after_the_pairs_is_the_idempotency_key() {
        let line = b"SETSCORE curling id Gaul 1 Rome 2 k-9";
        let write = SetScoreWrite::parse(crate::fields::fields(line).skip(1)).unwrap();
        assert_eq!(write.key().map(IdemKey::as_str), Some("k-9"));
        let mut out = Vec::new();
        write.write(&mut out);
        assert_eq!(out, b"SETSCORE curling id Gaul 1 Rome 2 k-9\n");
        let bare = SetScoreWrite::parse(crate::fields::fields(b"curling id Gaul 1"));
        assert_eq!(bare.unwrap().key(), None);
    }

    #[test]
    fn a_write_needs_a_score_and_every_score_in_range() {
        let name = |n: &str| Name::new(n).unwrap();
        let auth = || Auth::new(&b"id"[..]).unwrap();
        assert!(SetScoreWrite::new(name("curling"), auth(), vec![]).is_none());
        let over = vec![(name("Gaul"), MAX_SCORE + 1)];
        assert!(SetScoreWrite::new(name("curling"), auth(), over).is_none());
        let ok = vec![(name("Gaul"), -MAX_SCORE)];
        assert!(SetScoreWrite::new(name("curling"), auth(), ok).is_some());
    }
}
