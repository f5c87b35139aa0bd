//! `TALLY <team>`: a team's medal counts, summed over the herd.

use bytes::Bytes;

use super::olympic_reply::tally_line;
use crate::shared::Shared;

/// A parsed TALLY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyQuery {
    /// The team as the client spelled it.
    team: String,
}

impl TallyQuery {
    /// One operand, the team.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let team = std::str::from_utf8(it.next()?).ok()?.to_owned();
        it.next().is_none().then_some(Self { team })
    }

    /// The tally line, or `None` for an unknown team.
    pub fn apply(self, shared: &Shared) -> Option<Bytes> {
        let tally = shared.olympics.tally(&self.team)?;
        Some(Bytes::from(format!("{}\n", tally_line(&tally))))
    }
}
