//! `SCORE <event>`: the latest score of every team in an event. The reply
//! is a [`Score`](crate::reply::Score) line.

use bytes::BufMut;

use super::name::Name;
use super::{one_name, put_fields};

/// A parsed SCORE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreQuery {
    /// The event asked for.
    pub event: Name,
}

impl ScoreQuery {
    /// The verb.
    pub const VERB: &[u8] = b"SCORE";

    /// One operand, the event.
    pub fn parse<'a>(it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        one_name(it).map(|event| Self { event })
    }

    /// Appends the command line, `\n` included.
    pub fn write(&self, out: &mut impl BufMut) {
        put_fields(out, [Self::VERB, self.event.as_str().as_bytes()]);
    }
}
