//! The replies to `LEADER` and `TIME` ([`crate::client::coord`]).
//!
//! ```text
//! LEADER <name> <term>                 "-" as the name while no leader is known
//! TIME <name> <S.NNNNNNNNN> <offset_ns>
//! ```

use bytes::BufMut;

use crate::client::CoordQuery;
use crate::fields::{put_int, signed_i64, text, unsigned};
use crate::timestamp::{format_posix, parse_posix_nanos};

/// Written in place of the leader's name while none is known.
pub const NO_LEADER: &str = "-";

/// `LEADER <name> <term>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderReply {
    /// The leader of the answering server's side, if one is known.
    pub leader: Option<String>,
    /// The newest term the answering server knows.
    pub term: u64,
}

impl LeaderReply {
    /// Reads the operands after the verb.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let name = text(it.next()?)?;
        let term = unsigned(it.next()?)?;
        let leader = (name != NO_LEADER).then_some(name);
        it.next().is_none().then_some(Self { leader, term })
    }

    /// Appends the line, without a terminator.
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(CoordQuery::LEADER);
        out.put_u8(b' ');
        out.put_slice(self.leader.as_deref().unwrap_or(NO_LEADER).as_bytes());
        out.put_u8(b' ');
        put_int(out, self.term);
    }
}

/// `TIME <name> <synchronised time> <offset_ns>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeReply {
    /// The answering server.
    pub server: String,
    /// Its synchronised clock when it answered, nanoseconds since the epoch.
    pub clock_ns: i128,
    /// What it adds to its (skewed) system clock, in nanoseconds.
    pub offset_ns: i64,
}

impl TimeReply {
    /// Reads the operands after the verb.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let server = text(it.next()?)?;
        let clock_ns = parse_posix_nanos(it.next()?)?;
        let offset_ns = signed_i64(it.next()?)?;
        it.next().is_none().then_some(Self {
            server,
            clock_ns,
            offset_ns,
        })
    }

    /// Appends the line, without a terminator.
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(CoordQuery::TIME);
        out.put_u8(b' ');
        out.put_slice(self.server.as_bytes());
        out.put_u8(b' ');
        out.put_slice(format_posix(self.clock_ns).as_bytes());
        out.put_u8(b' ');
        put_int(out, self.offset_ns);
    }
}

#[cfg(test)]
mod tests {
    use crate::fields::fields;
    use crate::reply::Reply;

    use super::*;

    #[test]
    fn leader_and_time_replies_round_trip() {
        for reply in [
            Reply::Leader(LeaderReply {
                leader: Some("Wilkes".into()),
                term: 7,
            }),
            Reply::Leader(LeaderReply {
                leader: None,
                term: 0,
            }),
            Reply::Time(TimeReply {
                server: "Hands".into(),
                clock_ns: 1_700_000_000_123_456_789,
                offset_ns: -4_999_000_123,
            }),
        ] {
            let line = reply.to_bytes();
            assert_eq!(Reply::parse(&line[..line.len() - 1]), Some(reply));
        }
        let line = b"TIME Hands 1700000000.000000001 12";
        let mut it = fields(line);
        it.next();
        assert_eq!(
            TimeReply::parse(it).map(|t| t.clock_ns),
            Some(1_700_000_000_000_000_001)
        );
    }
}
