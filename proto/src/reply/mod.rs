//! What a server writes on the client port: [`Reply`], one variant per kind
//! of line, each with its parse and its format. The Olympic lines share
//! their bodies: a [`Tally`] or [`Score`] line answers `TALLY` or `SCORE`,
//! and follows `OK` (a write's reply) and `UPDATE` (a subscription's
//! line) as a [`View`].
//!
//! The herd writes these, the REST facade and the clients read them. A
//! WHATSAT reply spans lines; [`frame`] finds where it ends.

pub mod coord;
pub mod frame;
pub mod score;
pub mod status;
pub mod tally;
pub mod write;

pub use coord::{LeaderReply, NO_LEADER, TimeReply};
pub use score::{Score, SetBy};
pub use status::{CoordStatus, Heap, JournalStatus, LinkStatus, STATUS_VERB, Status};
pub use tally::Tally;
pub use write::{Failed, Target};

use bytes::{BufMut, Bytes};

use crate::client::CoordQuery;
use crate::client::invalid::Invalid;
use crate::client::keepalive::KeepAlive;
use crate::client::names::Names;
use crate::client::put_words;
use crate::client::version::{Version, VersionQuery};
use crate::fields::{fields, put_int, text, unsigned};
use crate::location::Location;

/// A tally or a score as a client is shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// `TALLY ...`
    Tally(Tally),
    /// `SCORE ...`
    Score(Score),
}

impl View {
    /// Reads `TALLY ...` or `SCORE ...` from the front of `it`.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        match it.next()? {
            Tally::VERB => Tally::parse(it).map(View::Tally),
            Score::VERB => Score::parse(it).map(View::Score),
            _ => None,
        }
    }

    /// Appends the line, without a terminator.
    pub fn write(&self, out: &mut impl BufMut) {
        match self {
            View::Tally(tally) => tally.write(out),
            View::Score(score) => score.write(out),
        }
    }
}

/// One line from a server on the client port.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `AT ...`: the reply to IAMAT, and the first line of WHATSAT's.
    At(Location),
    /// `? <line>`: the line was invalid.
    Invalid(Invalid),
    /// `TEAMS <team> ...`
    Teams(Vec<String>),
    /// `EVENTS <event> ...`
    Events(Vec<String>),
    /// `TALLY ...`: the reply to TALLY.
    Tally(Tally),
    /// `SCORE ...`: the reply to SCORE.
    Score(Score),
    /// `OK TALLY ...` or `OK SCORE ...`: a write was made durable.
    Ok(View),
    /// `DENIED ...`: a write with the wrong Cacofonix id.
    Denied(Target),
    /// `FAILED ... <reason>`: a write that could not be made durable.
    Failed(Failed),
    /// `SUBSCRIBED <name> ...`
    Subscribed(Vec<String>),
    /// `UPDATE TALLY ...` or `UPDATE SCORE ...`: a subscribed change.
    Update(View),
    /// `LAGGED <count>`: a subscriber missed that many updates.
    Lagged(u64),
    /// `STATUS <json>`
    Status(Box<Status>),
    /// `VERSION <origin> <seq> ...`: the reply to VERSION.
    Version(Version),
    /// `PING`: the server checks that a quiet subscriber is alive.
    Ping,
    /// `PONG`: the answer to a client's `PING`.
    Pong,
    /// `LEADER <name> <term>`: the answer to `LEADER`.
    Leader(LeaderReply),
    /// `TIME <name> <time> <offset_ns>`: the answer to `TIME`.
    Time(TimeReply),
}

impl Reply {
    /// The first field of an `OK` line.
    pub const OK: &[u8] = b"OK";
    /// The first field of a `DENIED` line.
    pub const DENIED: &[u8] = b"DENIED";
    /// The first field of a `SUBSCRIBED` line.
    pub const SUBSCRIBED: &[u8] = b"SUBSCRIBED";
    /// The first field of an `UPDATE` line.
    pub const UPDATE: &[u8] = b"UPDATE";
    /// The first field of a `LAGGED` line.
    pub const LAGGED: &[u8] = b"LAGGED";

    /// Reads one line (terminator removed); `None` for a line that is none
    /// of these (a line of WHATSAT's JSON, say).
    pub fn parse(line: &[u8]) -> Option<Reply> {
        if let Some(invalid) = Invalid::parse_reply(line) {
            return Some(Reply::Invalid(invalid));
        }
        let mut it = fields(line);
        let verb = it.next()?;
        match verb {
            Location::VERB => Location::from_at_line(line).map(Reply::At),
            Names::TEAMS => names(it).map(Reply::Teams),
            Names::EVENTS => names(it).map(Reply::Events),
            Tally::VERB => Tally::parse(it).map(Reply::Tally),
            Score::VERB => Score::parse(it).map(Reply::Score),
            Self::OK => View::parse(it).map(Reply::Ok),
            Self::DENIED => {
                let target = Target::parse(&mut it)?;
                it.next().is_none().then_some(Reply::Denied(target))
            }
            Failed::VERB => Failed::parse(line).map(Reply::Failed),
            VersionQuery::VERB => Version::parse(it).map(Reply::Version),
            Self::SUBSCRIBED => names(it).map(Reply::Subscribed),
            Self::UPDATE => View::parse(it).map(Reply::Update),
            Self::LAGGED => match (it.next().and_then(unsigned), it.next()) {
                (Some(missed), None) => Some(Reply::Lagged(missed)),
                _ => None,
            },
            CoordQuery::LEADER => LeaderReply::parse(it).map(Reply::Leader),
            CoordQuery::TIME => TimeReply::parse(it).map(Reply::Time),
            verb if verb == STATUS_VERB.as_bytes() => {
                let json = Status::json_text(line)?;
                serde_json::from_slice(json).ok().map(Reply::Status)
            }
            verb => match KeepAlive::parse(verb, it)? {
                KeepAlive::Ping => Some(Reply::Ping),
                KeepAlive::Pong => Some(Reply::Pong),
            },
        }
    }

    /// Appends the line, `\n` included.
    pub fn write(&self, out: &mut impl BufMut) {
        match self {
            Reply::At(location) => out.put_slice(location.at_line()),
            Reply::Invalid(invalid) => invalid.write_reply(out),
            Reply::Teams(names) => Names::Teams.write_reply(out, names.iter().map(String::as_str)),
            Reply::Events(names) => {
                Names::Events.write_reply(out, names.iter().map(String::as_str))
            }
            Reply::Tally(tally) => tally.write(out),
            Reply::Score(score) => score.write(out),
            Reply::Ok(view) => {
                put_prefix(out, Self::OK);
                view.write(out);
            }
            Reply::Denied(target) => {
                put_prefix(out, Self::DENIED);
                target.write(out);
            }
            Reply::Failed(failed) => failed.write(out),
            Reply::Subscribed(names) => {
                let names = names.iter().map(String::as_bytes);
                put_words(out, std::iter::once(Self::SUBSCRIBED).chain(names));
            }
            Reply::Update(view) => {
                put_prefix(out, Self::UPDATE);
                view.write(out);
            }
            Reply::Lagged(missed) => {
                put_prefix(out, Self::LAGGED);
                put_int(out, *missed);
            }
            Reply::Status(status) => status.write(out),
            Reply::Version(version) => version.write(out),
            Reply::Ping => out.put_slice(KeepAlive::PING),
            Reply::Pong => out.put_slice(KeepAlive::PONG),
            Reply::Leader(reply) => reply.write(out),
            Reply::Time(reply) => reply.write(out),
        }
        out.put_u8(b'\n');
    }

    /// The line, `\n` included, as one buffer.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::with_capacity(64);
        self.write(&mut out);
        Bytes::from(out)
    }
}

/// `verb` and a space.
fn put_prefix(out: &mut impl BufMut, verb: &[u8]) {
    out.put_slice(verb);
    out.put_u8(b' ');
}

/// The rest of a line as names, each UTF-8.
fn names<'a>(it: impl Iterator<Item = &'a [u8]>) -> Option<Vec<String>> {
    it.map(text).collect()
}
