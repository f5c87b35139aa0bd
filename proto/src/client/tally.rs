//! `TALLY <team>`: a team's medal counts, summed over the herd. The reply
//! is a [`Tally`](crate::reply::Tally) line.

use bytes::BufMut;

use super::name::Name;
use super::{one_name, put_fields};

/// A parsed TALLY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyQuery {
    /// The team asked for.
    pub team: Name,
}

impl TallyQuery {
    /// The verb.
    pub const VERB: &[u8] = b"TALLY";

    /// One operand, the team.
    pub fn parse<'a>(it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        one_name(it).map(|team| Self { team })
    }

    /// Appends the command line, `\n` included.
    pub fn write(&self, out: &mut impl BufMut) {
        put_fields(out, [Self::VERB, self.team.as_str().as_bytes()]);
    }
}
