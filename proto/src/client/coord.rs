//! `LEADER` and `TIME`: what the herd's coordination looks like from one
//! server. `LEADER` is answered `LEADER <name> <term>` and `TIME` is
//! answered `TIME <name> <synchronised time> <offset_ns>`
//! ([`crate::reply::coord`]); neither takes operands.

use bytes::BufMut;

use super::put_fields;

/// A parsed `LEADER` or `TIME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordQuery {
    /// `LEADER`: who leads this server's side, and in which term.
    Leader,
    /// `TIME`: this server's synchronised clock and its offset.
    Time,
}

impl CoordQuery {
    /// The verb of `LEADER`, also the first field of its reply.
    pub const LEADER: &[u8] = b"LEADER";
    /// The verb of `TIME`, also the first field of its reply.
    pub const TIME: &[u8] = b"TIME";

    /// The query `verb` names, with no operands after it.
    pub fn parse<'a>(verb: &[u8], mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let query = match verb {
            Self::LEADER => CoordQuery::Leader,
            Self::TIME => CoordQuery::Time,
            _ => return None,
        };
        it.next().is_none().then_some(query)
    }

    /// The verb.
    pub fn verb(self) -> &'static [u8] {
        match self {
            CoordQuery::Leader => Self::LEADER,
            CoordQuery::Time => Self::TIME,
        }
    }

    /// Appends the command line, `\n` included.
    pub fn write(self, out: &mut impl BufMut) {
        put_fields(out, [self.verb()]);
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::client::Command;

    #[test]
    fn leader_and_time_take_no_operands() {
        for (line, parsed) in [
            ("LEADER", Some(CoordQuery::Leader)),
            (" TIME \r", Some(CoordQuery::Time)),
            ("LEADER x", None),
            ("TIME 1", None),
            ("leader", None),
        ] {
            let command = Command::parse(Bytes::from(line), 256);
            match parsed {
                Some(query) => {
                    assert_eq!(command, Command::Coord(query), "{line:?}");
                    assert_eq!(command.to_bytes(), format!("{}\n", line.trim()).as_bytes());
                }
                None => assert!(matches!(command, Command::Invalid(_)), "{line:?}"),
            }
        }
    }
}
