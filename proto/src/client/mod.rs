//! What clients send on the client port: one type per command, one file
//! each, every one with its parse and its format (and, for the replies
//! only it gives, the reply's format too), and [`Command`], which reads any
//! line into one of them.
//!
//! Anything that is not a valid command is [`Invalid`], which is answered
//! `? ` and the line as received: a command like the others, not an error.

pub mod auth;
pub mod coord;
pub mod iamat;
pub mod invalid;
pub mod keepalive;
pub mod medal;
pub mod name;
pub mod names;
pub mod raffle;
pub mod score;
pub mod set_score;
pub mod status;
pub mod subscribe;
pub mod tally;
pub mod version;
pub mod whatsat;

pub use auth::{Auth, redact};
pub use coord::CoordQuery;
pub use iamat::IAmAt;
pub use invalid::Invalid;
pub use keepalive::KeepAlive;
pub use medal::MedalWrite;
pub use name::Name;
pub use names::Names;
pub use raffle::{RaffleCommand, RaffleReply};
pub use score::ScoreQuery;
pub use set_score::{MAX_SCORE, SetScoreWrite};
pub use status::StatusQuery;
pub use subscribe::Subscribe;
pub use tally::TallyQuery;
pub use version::{Version, VersionQuery};
pub use whatsat::WhatsAt;

use bytes::{BufMut, Bytes};

use crate::fields::fields;

/// A parsed client line.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `IAMAT client coords time`
    IAmAt(IAmAt),
    /// `WHATSAT client radius bound`
    WhatsAt(WhatsAt),
    /// `TEAMS` or `EVENTS`
    Names(Names),
    /// `TALLY team`
    Tally(TallyQuery),
    /// `SCORE event`
    Score(ScoreQuery),
    /// `MEDAL team medal auth`
    Medal(MedalWrite),
    /// `SETSCORE event auth team score ...`
    SetScore(SetScoreWrite),
    /// `SUBSCRIBE name ...`
    Subscribe(Subscribe),
    /// `STATUS`
    Status(StatusQuery),
    /// `VERSION`
    Version(VersionQuery),
    /// `PING` or `PONG`
    KeepAlive(KeepAlive),
    /// `LEADER` or `TIME`
    Coord(CoordQuery),
    /// `RAFFLE`, `COUNT`, `RELAY` or `DRAW`
    Raffle(RaffleCommand),
    /// Anything else, including an `AT` sent by a client.
    Invalid(Invalid),
}

impl Command {
    /// Parses one line (terminator already removed). A client ID longer
    /// than `max_client_id` bytes makes an IAMAT or WHATSAT invalid.
    pub fn parse(line: Bytes, max_client_id: usize) -> Self {
        let parsed = {
            let mut it = fields(&line);
            match it.next() {
                Some(IAmAt::VERB) => IAmAt::parse(it, max_client_id).map(Command::IAmAt),
                Some(WhatsAt::VERB) => WhatsAt::parse(it, max_client_id).map(Command::WhatsAt),
                Some(TallyQuery::VERB) => TallyQuery::parse(it).map(Command::Tally),
                Some(ScoreQuery::VERB) => ScoreQuery::parse(it).map(Command::Score),
                Some(MedalWrite::VERB) => MedalWrite::parse(it).map(Command::Medal),
                Some(SetScoreWrite::VERB) => SetScoreWrite::parse(it).map(Command::SetScore),
                Some(Subscribe::VERB) => Subscribe::parse(it).map(Command::Subscribe),
                Some(StatusQuery::VERB) => StatusQuery::parse(it).map(Command::Status),
                Some(verb @ (CoordQuery::LEADER | CoordQuery::TIME)) => {
                    CoordQuery::parse(verb, it).map(Command::Coord)
                }
                Some(VersionQuery::VERB) => VersionQuery::parse(it).map(Command::Version),
                Some(verb) if RaffleCommand::is_verb(verb) => {
                    RaffleCommand::parse(verb, it).map(Command::Raffle)
                }
                Some(verb) => match Names::of_verb(verb) {
                    Some(names) => names.parse(it).map(Command::Names),
                    None => KeepAlive::parse(verb, it).map(Command::KeepAlive),
                },
                None => None,
            }
        };
        parsed.unwrap_or_else(|| Command::Invalid(Invalid::new(line)))
    }

    /// The verb, safe to log (the whole line may hold the Cacofonix id);
    /// `?` for an invalid line.
    pub fn verb(&self) -> &'static str {
        let verb = match self {
            Command::IAmAt(_) => IAmAt::VERB,
            Command::WhatsAt(_) => WhatsAt::VERB,
            Command::Names(names) => names.verb(),
            Command::Tally(_) => TallyQuery::VERB,
            Command::Score(_) => ScoreQuery::VERB,
            Command::Medal(_) => MedalWrite::VERB,
            Command::SetScore(_) => SetScoreWrite::VERB,
            Command::Subscribe(_) => Subscribe::VERB,
            Command::Status(_) => StatusQuery::VERB,
            Command::Version(_) => VersionQuery::VERB,
            Command::KeepAlive(KeepAlive::Ping) => KeepAlive::PING,
            Command::KeepAlive(KeepAlive::Pong) => KeepAlive::PONG,
            Command::Coord(query) => query.verb(),
            Command::Raffle(cmd) => cmd.verb(),
            Command::Invalid(_) => b"?",
        };
        std::str::from_utf8(verb).expect("verbs are ASCII")
    }

    /// Appends the line, `\n` included.
    pub fn write(&self, out: &mut impl BufMut) {
        match self {
            Command::IAmAt(cmd) => cmd.write(out),
            Command::WhatsAt(cmd) => cmd.write(out),
            Command::Names(cmd) => cmd.write(out),
            Command::Tally(cmd) => cmd.write(out),
            Command::Score(cmd) => cmd.write(out),
            Command::Medal(cmd) => cmd.write(out),
            Command::SetScore(cmd) => cmd.write(out),
            Command::Subscribe(cmd) => cmd.write(out),
            Command::Status(cmd) => cmd.write(out),
            Command::Version(cmd) => cmd.write(out),
            Command::KeepAlive(cmd) => cmd.write(out),
            Command::Coord(cmd) => cmd.write(out),
            Command::Raffle(cmd) => cmd.write(out),
            Command::Invalid(cmd) => cmd.write(out),
        }
    }

    /// The line, `\n` included, as one buffer.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::new();
        self.write(&mut out);
        Bytes::from(out)
    }
}

/// Exactly one operand, a name.
fn one_name<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Name> {
    let name = Name::parse(it.next()?)?;
    it.next().is_none().then_some(name)
}

/// Appends `fields` separated by single spaces, then `\n`.
pub(crate) fn put_fields<'a>(out: &mut impl BufMut, fields: impl IntoIterator<Item = &'a [u8]>) {
    put_words(out, fields);
    out.put_u8(b'\n');
}

/// Appends `fields` separated by single spaces.
pub(crate) fn put_words<'a>(out: &mut impl BufMut, fields: impl IntoIterator<Item = &'a [u8]>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.put_u8(b' ');
        }
        out.put_slice(field);
    }
}
