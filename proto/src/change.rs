//! One replicated change, and its one-line text form.
//!
//! The same line travels on peer links and is the payload of a journal
//! record:
//!
//! ```text
//! MEDAL <origin> <seq> <team> <medal> <count>
//! SCORE <origin> <seq> <event> <stamp_ns> <team> <score> [<team> <score> ...]
//! ```
//!
//! A change made by a write that carried an idempotency key ends with
//! ` KEY <key> <at_ns>` ([`Keyed`]); a `SCORE` line tells it apart from its
//! team and score pairs by its odd number of trailing fields. A keyed
//! `MEDAL` line may go on with ` FIRST <gold> <silver> <bronze>`: the tally
//! the write answered, which every replica answers a repeat with.
//!
//! ```text
//! VOID <origin> <seq> <team> <medal>
//! ```
//!
//! says that the keyed medal increment `<origin> <seq>` of that cell does
//! not count: another server applied a write under the same key first
//! (see the `olympic` crate's keys).
//!
//! Fields are separated by single spaces (any run of white space is accepted
//! on input). `<origin>` is the server (with its incarnation, see
//! `origin.rs`) that made the change and `<seq>` its operation number there
//! (from 1); together they are the [`OpId`].
//! `<count>` is the origin's own running total for that team and medal (a
//! G-counter entry, at least 1). `<stamp_ns>` is the signed nanosecond time of
//! the score, `<score>` a signed 64-bit integer. Numbers are plain decimal
//! digits (with a leading `-` for signed ones).

use std::fmt::Write as _;

use crate::fields;
use crate::idem::{IdemKey, Keyed};
use crate::medal::Medal;

/// The identity of one operation: which server made it, and its number there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId {
    /// The origin that made the change: server name and incarnation.
    pub origin: String,
    /// That server's operation number, from 1, strictly increasing and never
    /// reused (it survives restarts through the journal).
    pub seq: u64,
}

/// The version of a score: newer stamps win. Ordered by time, then by the
/// whole origin string (name and incarnation), so two servers that pick the
/// same nanosecond still agree on a winner.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// Nanoseconds since the epoch on the origin's (synchronised) clock.
    pub time_ns: i128,
    /// The origin that set the score; breaks ties on time.
    pub origin: String,
}

impl Stamp {
    /// The server that set the score, without its incarnation: what people
    /// are shown.
    pub fn server(&self) -> &str {
        server_of(&self.origin)
    }
}

/// A change to the replicated Olympic state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Change {
    /// The origin's running total of `medal` for `team` is now `count`.
    Medal {
        /// Who made it, and its number there.
        op: OpId,
        /// The team.
        team: String,
        /// The medal kind.
        medal: Medal,
        /// The origin's own count for this team and medal after the increment.
        count: u64,
        /// The idempotency key of the write that made it, if it had one.
        key: Option<Keyed>,
    },
    /// The keyed medal increment `op` of (`team`, `medal`) is void: the
    /// same key was applied first by another operation, which counts instead.
    Void {
        /// The voided increment.
        op: OpId,
        /// Its team.
        team: String,
        /// Its medal.
        medal: Medal,
    },
    /// The score of `event` is `scores`, as of `stamp_ns` on the origin.
    Score {
        /// Who made it, and its number there.
        op: OpId,
        /// The event.
        event: String,
        /// When, on the origin's clock; with the origin, the LWW stamp.
        stamp_ns: i128,
        /// Score of every team.
        scores: Vec<(String, i64)>,
        /// The idempotency key of the write that made it, if it had one.
        key: Option<Keyed>,
    },
}

impl Change {
    /// The operation that produced this change.
    pub fn op(&self) -> &OpId {
        match self {
            Change::Medal { op, .. } | Change::Score { op, .. } | Change::Void { op, .. } => op,
        }
    }

    /// The idempotency key the change was made under, if any.
    pub fn key(&self) -> Option<&Keyed> {
        match self {
            Change::Medal { key, .. } | Change::Score { key, .. } => key.as_ref(),
            Change::Void { .. } => None,
        }
    }

    /// The same change without its idempotency key.
    pub fn without_key(&self) -> Change {
        let mut change = self.clone();
        match &mut change {
            Change::Medal { key, .. } | Change::Score { key, .. } => *key = None,
            Change::Void { .. } => {}
        }
        change
    }

    /// The line form, without a line terminator.
    pub fn encode(&self) -> String {
        match self {
            Change::Medal {
                op,
                team,
                medal,
                count,
                key,
            } => {
                let mut line = format!("MEDAL {} {} {team} {medal} {count}", op.origin, op.seq);
                put_key(&mut line, key.as_ref());
                line
            }
            Change::Void { op, team, medal } => {
                format!("{VOID_WORD} {} {} {team} {medal}", op.origin, op.seq)
            }
            Change::Score {
                op,
                event,
                stamp_ns,
                scores,
                key,
            } => {
                let mut line = format!("SCORE {} {} {event} {stamp_ns}", op.origin, op.seq);
                for (team, score) in scores {
                    let _ = write!(line, " {team} {score}");
                }
                put_key(&mut line, key.as_ref());
                line
            }
        }
    }

    /// Reads a line made by [`Change::encode`]. Names are checked only for
    /// shape here; whether they exist is decided when the change is merged.
    pub fn parse(line: &[u8]) -> Option<Change> {
        let line = std::str::from_utf8(line).ok()?;
        let mut all: Vec<&str> = line.split_whitespace().collect();
        let key = take_key(&mut all)?;
        let mut words = all.into_iter();
        let kind = words.next()?;
        let origin = name(words.next()?)?;
        let seq = unsigned(words.next()?)?;
        let op = OpId { origin, seq };
        match kind {
            "MEDAL" => {
                let team = name(words.next()?)?;
                let medal = Medal::parse(words.next()?)?;
                let count = unsigned(words.next()?)?;
                words.next().is_none().then_some(Change::Medal {
                    op,
                    team,
                    medal,
                    count,
                    key,
                })
            }
            VOID_WORD => {
                let team = name(words.next()?)?;
                let medal = Medal::parse(words.next()?)?;
                (words.next().is_none() && key.is_none()).then_some(Change::Void {
                    op,
                    team,
                    medal,
                })
            }
            "SCORE" => {
                let event = name(words.next()?)?;
                let stamp_ns = signed(words.next()?)?;
                let mut scores = Vec::new();
                while let Some(team) = words.next() {
                    let score = signed(words.next()?)?;
                    scores.push((name(team)?, i64::try_from(score).ok()?));
                }
                (!scores.is_empty()).then_some(Change::Score {
                    op,
                    event,
                    stamp_ns,
                    scores,
                    key,
                })
            }
            _ => None,
        }
    }
}

/// Appends ` KEY <key> <at_ns>` when there is a key, and
/// ` FIRST <gold> <silver> <bronze>` when it holds the first answer.
fn put_key(line: &mut String, key: Option<&Keyed>) {
    if let Some(Keyed { key, at_ns, first }) = key {
        let _ = write!(line, " {KEY_WORD} {key} {at_ns}");
        if let Some([gold, silver, bronze]) = first {
            let _ = write!(line, " {FIRST_WORD} {gold} {silver} {bronze}");
        }
    }
}

/// The word that starts a change line's key suffix.
const KEY_WORD: &str = "KEY";

/// The word that starts the first answer after a keyed `MEDAL` line's key.
const FIRST_WORD: &str = "FIRST";

/// The first word of a void line.
const VOID_WORD: &str = "VOID";

/// Fields of a keyed `MEDAL` line that holds its first answer.
const MEDAL_WITH_FIRST: usize = 13;

/// Removes a ` FIRST <gold> <silver> <bronze>` suffix from a keyed `MEDAL`
/// line: `Some(None)` when there is none, `None` when it is malformed. A
/// `MEDAL` line has a fixed number of fields, so its length says whether
/// the suffix is there.
fn take_first(words: &mut Vec<&str>) -> Option<Option<[u64; 3]>> {
    if words.first() != Some(&"MEDAL") || words.len() != MEDAL_WITH_FIRST {
        return Some(None);
    }
    let n = words.len();
    if words[n - 4] != FIRST_WORD {
        return None;
    }
    let first = [
        unsigned(words[n - 3])?,
        unsigned(words[n - 2])?,
        unsigned(words[n - 1])?,
    ];
    words.truncate(n - 4);
    Some(Some(first))
}

/// Removes a ` KEY <key> <at_ns>` suffix from `words`: `Some(None)` when
/// there is none, `None` when it is malformed. The suffix's three fields
/// change the parity of the line's length (six fields for a bare `MEDAL`,
/// an odd number for a bare `SCORE`), so a team called `KEY` cannot be
/// mistaken for it.
fn take_key(words: &mut Vec<&str>) -> Option<Option<Keyed>> {
    let first = take_first(words)?;
    let n = words.len();
    let bare_parity = match words.first() {
        Some(&"SCORE" | &VOID_WORD) => 1,
        _ => 0,
    };
    let has_key = n >= 3 && words[n - 3] == KEY_WORD && n % 2 != bare_parity;
    if !has_key {
        return first.is_none().then_some(None);
    }
    let key = IdemKey::new(words[n - 2])?;
    let at_ns = signed(words[n - 1])?;
    words.truncate(n - 3);
    Some(Some(Keyed { key, at_ns, first }))
}

/// A name token, owned.
fn name(word: &str) -> Option<String> {
    is_token(word).then(|| word.to_owned())
}

/// Plain decimal digits.
fn unsigned(word: &str) -> Option<u64> {
    fields::unsigned(word.as_bytes())
}

/// Decimal digits with an optional leading `-`.
fn signed(word: &str) -> Option<i128> {
    fields::signed(word.as_bytes())
}

/// True if `name` can be one token of a change line: non-empty, no white
/// space, no control characters.
pub fn is_token(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The server part of an origin (`NAME/INCARNATION`): everything before the
/// `/`, or all of it.
pub fn server_of(origin: &str) -> &str {
    origin.split_once('/').map_or(origin, |(name, _)| name)
}

#[cfg(test)]
#[path = "change_tests.rs"]
mod tests;
