//! What the facade asks the herd ([`Request`]) and what it makes of the
//! answers ([`Reply`]). The grammar is `proto`'s: a request is written as a
//! [`proto::client::Command`], and a reply line is read by
//! [`proto::reply::Reply::parse`]. This module only chooses the commands
//! the facade sends and reduces each reply to what a handler acts on.
//!
//! Names sent to the herd are always canonical names taken from its own
//! `TEAMS` / `EVENTS` replies, and the Cacofonix id is an [`AuthId`] that was
//! checked to be one field, so no request can ever split into two lines.

use proto::client::{
    Auth, Command, MedalWrite, Name, Names, RaffleCommand, ScoreQuery, SetScoreWrite, Subscribe,
    TallyQuery, VersionQuery,
};
use proto::idem::IdemKey;
use proto::reply::{self, View};

use crate::version::Vector;

pub use proto::medal::Medal;
pub use proto::reply::{Score, SetBy, Tally};

/// Longest Cacofonix id the facade forwards, in bytes.
pub const MAX_AUTH_LEN: usize = 256;

/// The Cacofonix id from a request path. Its `Debug` never shows the id, so it
/// cannot end up in a log by accident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthId(Auth);

/// Why a Cacofonix id cannot be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadAuthId {
    /// Longer than [`MAX_AUTH_LEN`].
    #[error("auth_id is too long: at most {MAX_AUTH_LEN} bytes")]
    TooLong,
    /// Empty, or holds white space or control characters.
    #[error("auth_id must be one non-empty path segment without white space")]
    NotOneField,
}

impl AuthId {
    /// Accepts one protocol field: non-empty, at most [`MAX_AUTH_LEN`] bytes,
    /// no white space or control characters.
    pub fn parse(text: &str) -> Result<Self, BadAuthId> {
        if text.len() > MAX_AUTH_LEN {
            return Err(BadAuthId::TooLong);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BadAuthId::NotOneField);
        }
        let auth = Auth::new(text.as_bytes().to_vec()).ok_or(BadAuthId::NotOneField)?;
        Ok(Self(auth))
    }
}

/// A command for the herd. Each one is answered by exactly one line.
#[derive(Debug, Clone)]
pub enum Request {
    /// `TEAMS`.
    Teams,
    /// `EVENTS`.
    Events,
    /// `TALLY <team>`.
    Tally(String),
    /// `SCORE <event>`.
    Score(String),
    /// `MEDAL <team> <medal> <auth> [<key>]`.
    Medal(String, Medal, AuthId, Option<IdemKey>),
    /// `SETSCORE <event> <auth> <team> <score> ... [<key>]`.
    SetScore(String, AuthId, Vec<(String, i64)>, Option<IdemKey>),
    /// `VERSION`.
    Version,
    /// `SUBSCRIBE <name> ...`: answered `SUBSCRIBED ...`, then `UPDATE`
    /// lines follow on the same connection.
    Subscribe(Vec<String>),
    /// `RELAY`: the Olympic verbs that follow on this connection are the
    /// facade's own, not counted in the raffle (it counts with `COUNT`).
    Relay,
}

/// A request that cannot be written as one command line: a name that is
/// not one protocol field, a score out of range, or no name at all where
/// one is needed. The facade sends only the herd's own names, so this means
/// a bug, not bad input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request cannot be written as one command line")]
pub struct Unsendable;

impl Request {
    /// The command as `proto` writes it.
    pub fn command(&self) -> Result<Command, Unsendable> {
        let name = |text: &str| Name::new(text).ok_or(Unsendable);
        Ok(match self {
            Request::Teams => Command::Names(Names::Teams),
            Request::Events => Command::Names(Names::Events),
            Request::Tally(team) => Command::Tally(TallyQuery { team: name(team)? }),
            Request::Score(event) => Command::Score(ScoreQuery {
                event: name(event)?,
            }),
            Request::Medal(team, medal, auth, key) => Command::Medal(MedalWrite {
                team: name(team)?,
                medal: *medal,
                auth: auth.0.clone(),
                key: key.clone(),
            }),
            Request::SetScore(event, auth, scores, key) => {
                let scores = scores
                    .iter()
                    .map(|(team, score)| Ok((name(team)?, *score)))
                    .collect::<Result<_, Unsendable>>()?;
                let write = SetScoreWrite::new(name(event)?, auth.0.clone(), scores);
                Command::SetScore(write.ok_or(Unsendable)?.with_key(key.clone()))
            }
            Request::Version => Command::Version(VersionQuery),
            Request::Subscribe(names) => {
                let names = names.iter().map(|n| name(n)).collect::<Result<_, _>>()?;
                Command::Subscribe(Subscribe::new(names).ok_or(Unsendable)?)
            }
            Request::Relay => Command::Raffle(RaffleCommand::Relay),
        })
    }

    /// The lines of `requests`, terminators included, in one buffer, to be
    /// written at once.
    pub fn encode_all(requests: &[Request]) -> Result<Vec<u8>, Unsendable> {
        let mut out = Vec::with_capacity(32 * requests.len());
        for request in requests {
            request.command()?.write(&mut out);
        }
        Ok(out)
    }

    /// The verb, which is safe to log (the whole line may not be).
    pub fn verb(&self) -> &'static str {
        let verb = match self {
            Request::Teams => Names::TEAMS,
            Request::Events => Names::EVENTS,
            Request::Tally(_) => TallyQuery::VERB,
            Request::Score(_) => ScoreQuery::VERB,
            Request::Medal(..) => MedalWrite::VERB,
            Request::SetScore(..) => SetScoreWrite::VERB,
            Request::Version => VersionQuery::VERB,
            Request::Subscribe(_) => Subscribe::VERB,
            Request::Relay => RaffleCommand::RELAY,
        };
        std::str::from_utf8(verb).unwrap_or("?")
    }

    /// Whether sending it twice does no harm, so it may be retried after a
    /// connection was lost with the request in flight. A score set twice is
    /// the same score; a medal added twice is two medals, unless it carries
    /// an idempotency key, which makes the herd apply it once.
    pub fn retryable(&self) -> bool {
        !matches!(self, Request::Medal(_, _, _, None))
    }

    /// True for the writes (`MEDAL`, `SETSCORE`).
    pub fn is_write(&self) -> bool {
        matches!(self, Request::Medal(..) | Request::SetScore(..))
    }
}

/// What the facade makes of one line from the herd: the lines it acts on,
/// without what it must not pass on (the echo of an invalid line may hold
/// the Cacofonix id; a failure's reason is the herd's own business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `TEAMS ...`.
    Teams(Vec<String>),
    /// `EVENTS ...`.
    Events(Vec<String>),
    /// `TALLY ...`.
    Tally(Tally),
    /// `SCORE ...`.
    Score(Score),
    /// `OK TALLY ...`: a medal was added.
    OkTally(Tally),
    /// `OK SCORE ...`: a score was set.
    OkScore(Score),
    /// `DENIED ...`: wrong Cacofonix id.
    Denied,
    /// `FAILED ...`: the herd could not make a write durable; nothing was
    /// applied.
    Failed,
    /// `? ...`: the herd found the command invalid.
    Invalid,
    /// `SUBSCRIBED ...`.
    Subscribed,
    /// `UPDATE SCORE ...`.
    UpdateScore(Score),
    /// `UPDATE TALLY ...`.
    UpdateTally(Tally),
    /// `LAGGED <count>`: updates were missed; re-read the state.
    Lagged(u64),
    /// `PING`: the herd checks that a quiet subscriber is alive; answer `PONG`.
    Ping,
    /// `VERSION ...`: the replica's version vector.
    Version(Vector),
    /// Anything else, or a line `proto` does not read.
    Unexpected,
}

impl Reply {
    /// Reads one line (terminator removed) with [`proto::reply::Reply::parse`].
    pub fn parse(line: &str) -> Reply {
        let Some(parsed) = reply::Reply::parse(line.as_bytes()) else {
            return Reply::Unexpected;
        };
        match parsed {
            reply::Reply::Teams(teams) => Reply::Teams(teams),
            reply::Reply::Events(events) => Reply::Events(events),
            reply::Reply::Tally(tally) => Reply::Tally(tally),
            reply::Reply::Score(score) => Reply::Score(score),
            reply::Reply::Ok(View::Tally(tally)) => Reply::OkTally(tally),
            reply::Reply::Ok(View::Score(score)) => Reply::OkScore(score),
            reply::Reply::Denied(_) => Reply::Denied,
            reply::Reply::Failed(_) => Reply::Failed,
            reply::Reply::Invalid(_) => Reply::Invalid,
            reply::Reply::Subscribed(_) => Reply::Subscribed,
            reply::Reply::Update(View::Score(score)) => Reply::UpdateScore(score),
            reply::Reply::Update(View::Tally(tally)) => Reply::UpdateTally(tally),
            reply::Reply::Lagged(missed) => Reply::Lagged(missed),
            reply::Reply::Ping => Reply::Ping,
            reply::Reply::Version(version) => Reply::Version(Vector::from_pairs(version.0)),
            reply::Reply::At(_)
            | reply::Reply::Status(_)
            | reply::Reply::Pong
            | reply::Reply::Leader(_)
            | reply::Reply::Time(_) => Reply::Unexpected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(request: Request) -> String {
        String::from_utf8(Request::encode_all(&[request]).unwrap()).unwrap()
    }

    #[test]
    fn requests_are_written_by_proto() {
        let id = AuthId::parse("s3cret").unwrap();
        let medal = Request::Medal("Gaul".into(), Medal::Gold, id.clone(), None);
        assert_eq!(line(medal), "MEDAL Gaul gold s3cret\n");
        let key = IdemKey::new("k1");
        let keyed = Request::Medal("Gaul".into(), Medal::Gold, id.clone(), key);
        assert_eq!(line(keyed), "MEDAL Gaul gold s3cret k1\n");
        let pairs = vec![("Rome".into(), 2), ("Gaul".into(), -3)];
        let set = Request::SetScore("curling".into(), id, pairs, None);
        assert_eq!(line(set), "SETSCORE curling s3cret Rome 2 Gaul -3\n");
        let names = Request::Subscribe(vec!["curling".into(), "Gaul".into()]);
        assert_eq!(line(names), "SUBSCRIBE curling Gaul\n");
        let all = Request::encode_all(&[Request::Teams, Request::Events, Request::Version]);
        assert_eq!(all.unwrap(), b"TEAMS\nEVENTS\nVERSION\n");
    }

    #[test]
    fn a_name_that_is_not_one_field_is_never_sent() {
        for request in [
            Request::Tally("Gaul\nMEDAL".into()),
            Request::Score(String::new()),
            Request::Subscribe(vec![]),
        ] {
            assert_eq!(Request::encode_all(&[request]), Err(Unsendable));
        }
    }

    #[test]
    fn replies_lose_what_must_not_be_passed_on() {
        assert_eq!(Reply::parse("? MEDAL Gaul gold s3cret"), Reply::Invalid);
        assert_eq!(Reply::parse("?"), Reply::Invalid);
        assert_eq!(Reply::parse("DENIED MEDAL Gaul gold"), Reply::Denied);
        assert_eq!(
            Reply::parse("FAILED SETSCORE curling disk full"),
            Reply::Failed
        );
        assert_eq!(Reply::parse("LAGGED 7"), Reply::Lagged(7));
        assert_eq!(Reply::parse("PING"), Reply::Ping);
        assert_eq!(
            Reply::parse("VERSION A/1f 3 B 0"),
            Reply::Version(Vector::from_pairs(vec![
                ("A/1f".into(), 3),
                ("B".into(), 0)
            ]))
        );
        for line in ["PONG", "TALLY Gaul gold 1 silver 2", "OK", ""] {
            assert_eq!(Reply::parse(line), Reply::Unexpected, "{line:?}");
        }
    }

    #[test]
    fn auth_ids_are_one_field_and_never_shown() {
        assert_eq!(AuthId::parse("").unwrap_err(), BadAuthId::NotOneField);
        assert_eq!(AuthId::parse("a b").unwrap_err(), BadAuthId::NotOneField);
        assert_eq!(
            AuthId::parse("a\nMEDAL").unwrap_err(),
            BadAuthId::NotOneField
        );
        assert_eq!(AuthId::parse("a\u{7}").unwrap_err(), BadAuthId::NotOneField);
        let long = "x".repeat(MAX_AUTH_LEN + 1);
        assert_eq!(AuthId::parse(&long).unwrap_err(), BadAuthId::TooLong);
        assert!(AuthId::parse(&long[1..]).is_ok());
        let id = AuthId::parse("s3cret").unwrap();
        assert!(!format!("{id:?}").contains("s3cret"));
    }
}
