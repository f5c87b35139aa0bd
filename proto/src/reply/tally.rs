//! A team's medal tally as replies show it:
//! `TALLY <team> gold <n> silver <n> bronze <n>`. It answers `TALLY`, and
//! follows `OK` and `UPDATE`.

use bytes::BufMut;

use crate::fields::{put_int, text, unsigned};
use crate::medal::Medal;

/// A team's medal totals, summed over every server's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Canonical team name: one field.
    pub team: String,
    /// Gold medals.
    pub gold: u64,
    /// Silver medals.
    pub silver: u64,
    /// Bronze medals.
    pub bronze: u64,
}

impl Tally {
    /// The first field of the line.
    pub const VERB: &[u8] = b"TALLY";

    /// The total for one medal kind.
    pub fn get(&self, medal: Medal) -> u64 {
        match medal {
            Medal::Gold => self.gold,
            Medal::Silver => self.silver,
            Medal::Bronze => self.bronze,
        }
    }

    /// Reads the fields after `TALLY`.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let team = text(it.next()?)?;
        let mut counts = [0; 3];
        for (medal, count) in Medal::ALL.into_iter().zip(&mut counts) {
            if it.next()? != medal.as_str().as_bytes() {
                return None;
            }
            *count = unsigned(it.next()?)?;
        }
        let [gold, silver, bronze] = counts;
        it.next().is_none().then_some(Self {
            team,
            gold,
            silver,
            bronze,
        })
    }

    /// Appends the line, without a terminator.
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(Self::VERB);
        out.put_u8(b' ');
        out.put_slice(self.team.as_bytes());
        for medal in Medal::ALL {
            out.put_u8(b' ');
            out.put_slice(medal.as_str().as_bytes());
            out.put_u8(b' ');
            put_int(out, self.get(medal));
        }
    }
}
