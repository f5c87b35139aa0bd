//! An event's score as replies show it:
//! `SCORE <event> <team> <score> ... at <time> by <server>`, or
//! `at - by -` for a score never set. It answers `SCORE`, and follows `OK`
//! and `UPDATE`.

use bytes::BufMut;

use crate::fields::{put_int, signed_i64, text};
use crate::timestamp::{format_posix, parse_posix_signed};

/// What a score never set shows for its time and its server.
const UNSET: &[u8] = b"-";

/// When, and at which server, a score was set. Ordered as the herd orders
/// writes, as far as a client can see it: by time, then by server name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SetBy {
    /// Nanoseconds since the epoch on the server that set it.
    pub time_ns: i128,
    /// The server that set it, without its incarnation: one field.
    pub server: String,
}

impl SetBy {
    /// The time as the line shows it: POSIX seconds, nine fraction digits.
    pub fn at(&self) -> String {
        format_posix(self.time_ns)
    }
}

/// The current score of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    /// Canonical event name: one field.
    pub event: String,
    /// Every team's score, in configured order; team names are one field.
    pub scores: Vec<(String, i64)>,
    /// When and where it was set; `None` if it never was.
    pub set: Option<SetBy>,
}

impl Score {
    /// The first field of the line.
    pub const VERB: &[u8] = b"SCORE";

    /// Reads the fields after `SCORE`, from the end for `at` and `by`, so
    /// that a team called `at` cannot confuse it.
    pub fn parse<'a>(it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let fields: Vec<&[u8]> = it.collect();
        let (event, rest) = fields.split_first()?;
        let (pairs, tail) = rest.split_at(rest.len().checked_sub(4)?);
        let [b"at", at, b"by", by] = tail else {
            return None;
        };
        if pairs.len() % 2 != 0 {
            return None;
        }
        let scores = pairs
            .chunks(2)
            .map(|pair| Some((text(pair[0])?, signed_i64(pair[1])?)))
            .collect::<Option<Vec<_>>>()?;
        let set = match (*at, *by) {
            (UNSET, UNSET) => None,
            (at, by) => Some(SetBy {
                time_ns: parse_posix_signed(at)?,
                server: text(by)?,
            }),
        };
        Some(Self {
            event: text(event)?,
            scores,
            set,
        })
    }

    /// Appends the line, without a terminator.
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(Self::VERB);
        out.put_u8(b' ');
        out.put_slice(self.event.as_bytes());
        for (team, score) in &self.scores {
            out.put_u8(b' ');
            out.put_slice(team.as_bytes());
            out.put_u8(b' ');
            put_int(out, *score);
        }
        out.put_slice(b" at ");
        match &self.set {
            Some(set) => {
                out.put_slice(set.at().as_bytes());
                out.put_slice(b" by ");
                out.put_slice(set.server.as_bytes());
            }
            None => {
                out.put_slice(UNSET);
                out.put_slice(b" by ");
                out.put_slice(UNSET);
            }
        }
    }
}
