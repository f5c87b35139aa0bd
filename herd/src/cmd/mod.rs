//! Client commands: each a type that parses from a line and applies to the
//! server's state, producing the whole reply as one buffer.
//!
//! Anything that is not a valid command becomes [`Invalid`], which answers
//! `? ` and the line as received; it is a command like the others, not an
//! error path.

mod iamat;
mod invalid;
mod keepalive;
mod medal;
mod names;
pub mod olympic_reply;
mod redact;
mod report_batch;
mod score;
mod set_score;
mod status;
mod subscribe;
mod tally;
mod whatsat;
mod write_outcome;

pub use iamat::IAmAt;
pub use invalid::Invalid;
pub use keepalive::{KeepAlive, PING_LINE};
pub use medal::MedalWrite;
pub use names::Names;
pub use redact::redact;
pub use report_batch::ReportBatch;
pub use score::ScoreQuery;
pub use set_score::{MAX_SCORE, SetScoreWrite};
pub use status::StatusQuery;
pub use subscribe::{Subscribe, Topics};
pub use tally::TallyQuery;
pub use whatsat::WhatsAt;
pub use write_outcome::WriteOutcome;

use bytes::Bytes;

use crate::shared::Shared;
use base::topology::Limits;
use proto::fields::fields;

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
    /// `SUBSCRIBE name ...`; the connection applies it, since it changes
    /// what the connection streams.
    Subscribe(Subscribe),
    /// `STATUS`: this server's health as one line of JSON.
    Status(StatusQuery),
    /// `PING` or `PONG`: keepalive; `PONG` gets no reply.
    KeepAlive(KeepAlive),
    /// Anything else, including `AT` sent by a client.
    Invalid(Invalid),
}

impl Command {
    /// Parses one line (terminator already removed) under the server's
    /// `limits` (a client ID longer than `limits.max_client_id` makes an
    /// IAMAT or WHATSAT invalid).
    pub fn parse(line: Bytes, limits: &Limits) -> Self {
        let parsed = {
            let mut it = fields(&line);
            match it.next() {
                Some(b"IAMAT") => IAmAt::parse(it, limits.max_client_id).map(Command::IAmAt),
                Some(b"WHATSAT") => WhatsAt::parse(it, limits.max_client_id).map(Command::WhatsAt),
                Some(b"TEAMS") => it.next().is_none().then_some(Command::Names(Names::Teams)),
                Some(b"EVENTS") => it.next().is_none().then_some(Command::Names(Names::Events)),
                Some(b"TALLY") => TallyQuery::parse(it).map(Command::Tally),
                Some(b"SCORE") => ScoreQuery::parse(it).map(Command::Score),
                Some(b"MEDAL") => MedalWrite::parse(it).map(Command::Medal),
                Some(b"SETSCORE") => SetScoreWrite::parse(it).map(Command::SetScore),
                Some(b"SUBSCRIBE") => Subscribe::parse(it).map(Command::Subscribe),
                Some(b"STATUS") => StatusQuery::parse(it).map(Command::Status),
                Some(b"PING") => it
                    .next()
                    .is_none()
                    .then_some(Command::KeepAlive(KeepAlive::Ping)),
                Some(b"PONG") => it
                    .next()
                    .is_none()
                    .then_some(Command::KeepAlive(KeepAlive::Pong)),
                _ => None,
            }
        };
        parsed.unwrap_or_else(|| Command::Invalid(Invalid::new(line)))
    }

    /// Applies the command and returns the complete reply. `line` is the raw
    /// line, kept for the `? ` echo should the command fail at apply time
    /// (a WHATSAT for an unknown client).
    ///
    /// `Subscribe` only answers here; the connection applies it itself.
    pub async fn apply(self, shared: &Shared, line: &Bytes) -> Bytes {
        let invalid = || Invalid::new(line.clone()).reply();
        match self {
            Command::IAmAt(cmd) => cmd.apply(shared).unwrap_or_else(invalid),
            Command::WhatsAt(cmd) => cmd.apply(shared).await.unwrap_or_else(invalid),
            Command::Names(cmd) => cmd.apply(shared),
            Command::Tally(cmd) => cmd.apply(shared).unwrap_or_else(invalid),
            Command::Score(cmd) => cmd.apply(shared).unwrap_or_else(invalid),
            Command::Medal(cmd) => written(cmd.apply(shared).await, invalid),
            Command::SetScore(cmd) => written(cmd.apply(shared).await, invalid),
            Command::Subscribe(cmd) => cmd
                .apply(shared)
                .map(|(reply, _)| reply)
                .unwrap_or_else(invalid),
            Command::Status(cmd) => cmd.apply(shared),
            Command::KeepAlive(cmd) => cmd.reply(),
            Command::Invalid(cmd) => cmd.reply(),
        }
    }

    /// True when applying may wait on something slow (an upstream request,
    /// an fsync), so replies already formatted should be written first.
    pub fn may_wait(&self) -> bool {
        matches!(
            self,
            Command::WhatsAt(_) | Command::Medal(_) | Command::SetScore(_)
        )
    }
}

/// The reply to a write: its line, or the `? ` echo.
fn written(outcome: WriteOutcome, invalid: impl FnOnce() -> Bytes) -> Bytes {
    match outcome {
        WriteOutcome::Reply(reply) => reply,
        WriteOutcome::Invalid => invalid(),
    }
}
