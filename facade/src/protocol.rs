//! The herd's line protocol as the facade speaks it (docs/PROTOCOL.md,
//! "Olympic scores"): [`Request`]s out, [`Reply`] lines in.
//!
//! Names sent to the herd are always canonical names taken from its own
//! `TEAMS` / `EVENTS` replies, and the Cacofonix id is an [`AuthId`] that was
//! checked to be one field, so no request can ever split into two lines.

use std::fmt;

use proto::idem::IdemKey;

use crate::version::Vector;

/// Longest Cacofonix id the facade forwards, in bytes.
pub const MAX_AUTH_LEN: usize = 256;

/// A kind of medal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Medal {
    /// First place.
    Gold,
    /// Second place.
    Silver,
    /// Third place.
    Bronze,
}

impl Medal {
    /// Parses `gold`, `silver` or `bronze`, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        [Medal::Gold, Medal::Silver, Medal::Bronze]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text))
    }

    /// The protocol spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Medal::Gold => "gold",
            Medal::Silver => "silver",
            Medal::Bronze => "bronze",
        }
    }
}

/// The Cacofonix id from a request path. Its `Debug` never shows the id, so it
/// cannot end up in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthId(String);

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
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BadAuthId::NotOneField);
        }
        Ok(Self(text.to_owned()))
    }

    /// The id itself, for the request line only.
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthId(<redacted>)")
    }
}

/// A team's medal tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The team, as the herd spells it.
    pub team: String,
    /// Gold medals.
    pub gold: u64,
    /// Silver medals.
    pub silver: u64,
    /// Bronze medals.
    pub bronze: u64,
}

/// The latest score of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    /// The event, as the herd spells it.
    pub event: String,
    /// Every team's score, in the order the herd listed them.
    pub scores: Vec<(String, i64)>,
    /// When the score was set (POSIX seconds, nine fraction digits); `None`
    /// if it never was.
    pub at: Option<String>,
    /// Which server took the write; `None` if the score was never set.
    pub by: Option<String>,
}

/// Where a score stands in the herd's order of writes: time (seconds,
/// nanoseconds), then server name. Greater is newer.
pub type OrderKey<'a> = ((u64, u32), &'a str);

impl Score {
    /// The score's [`OrderKey`]; `None` if it was never set or its time does
    /// not parse.
    pub fn order_key(&self) -> Option<OrderKey<'_>> {
        let at = self.at.as_deref()?;
        let (secs, frac) = at.split_once('.').unwrap_or((at, ""));
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let nanos = format!("{frac:0<9}").parse().ok()?;
        Some((
            (secs.parse().ok()?, nanos),
            self.by.as_deref().unwrap_or(""),
        ))
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
}

impl Request {
    /// The request as one line, terminator included.
    pub fn line(&self) -> String {
        let mut line = match self {
            Request::Teams => "TEAMS".to_owned(),
            Request::Events => "EVENTS".to_owned(),
            Request::Tally(team) => format!("TALLY {team}"),
            Request::Score(event) => format!("SCORE {event}"),
            Request::Medal(team, medal, auth, key) => {
                let mut line = format!("MEDAL {team} {} {}", medal.as_str(), auth.expose());
                push_key(&mut line, key.as_ref());
                line
            }
            Request::SetScore(event, auth, scores, key) => {
                let mut line = format!("SETSCORE {event} {}", auth.expose());
                for (team, score) in scores {
                    line.push_str(&format!(" {team} {score}"));
                }
                push_key(&mut line, key.as_ref());
                line
            }
            Request::Version => "VERSION".to_owned(),
        };
        line.push('\n');
        line
    }

    /// The verb, which is safe to log (the whole line may not be).
    pub fn verb(&self) -> &'static str {
        match self {
            Request::Teams => "TEAMS",
            Request::Events => "EVENTS",
            Request::Tally(_) => "TALLY",
            Request::Score(_) => "SCORE",
            Request::Medal(..) => "MEDAL",
            Request::SetScore(..) => "SETSCORE",
            Request::Version => "VERSION",
        }
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

/// Appends ` <key>` when there is one.
fn push_key(line: &mut String, key: Option<&IdemKey>) {
    if let Some(key) = key {
        line.push(' ');
        line.push_str(key.as_str());
    }
}

/// One line from the herd.
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
    /// applied. The reason is not kept: the facade does not pass it on.
    Failed,
    /// `? ...`: the herd found the command invalid. The echoed line is
    /// dropped on purpose: it may hold the Cacofonix id.
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
    /// Anything else.
    Unexpected,
}

impl Reply {
    /// Parses one line (terminator removed).
    pub fn parse(line: &str) -> Reply {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        let parsed = match fields.as_slice() {
            ["TEAMS", names @ ..] => Some(Reply::Teams(owned(names))),
            ["EVENTS", names @ ..] => Some(Reply::Events(owned(names))),
            ["TALLY", rest @ ..] => parse_tally(rest).map(Reply::Tally),
            ["SCORE", rest @ ..] => parse_score(rest).map(Reply::Score),
            ["OK", "TALLY", rest @ ..] => parse_tally(rest).map(Reply::OkTally),
            ["OK", "SCORE", rest @ ..] => parse_score(rest).map(Reply::OkScore),
            ["DENIED", ..] => Some(Reply::Denied),
            ["FAILED", ..] => Some(Reply::Failed),
            ["?", ..] => Some(Reply::Invalid),
            ["SUBSCRIBED", ..] => Some(Reply::Subscribed),
            ["UPDATE", "SCORE", rest @ ..] => parse_score(rest).map(Reply::UpdateScore),
            ["UPDATE", "TALLY", rest @ ..] => parse_tally(rest).map(Reply::UpdateTally),
            ["LAGGED", count] => count.parse().ok().map(Reply::Lagged),
            ["PING"] => Some(Reply::Ping),
            ["VERSION", rest @ ..] => parse_version(rest).map(Reply::Version),
            _ => None,
        };
        // A `?` reply to an empty line is the bare `?`.
        match parsed {
            None if line.trim_end() == "?" => Reply::Invalid,
            other => other.unwrap_or(Reply::Unexpected),
        }
    }
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// `<origin> <seq> ...`.
fn parse_version(fields: &[&str]) -> Option<Vector> {
    let pairs = fields.chunks(2).map(|pair| match pair {
        [origin, seq] => Some(((*origin).to_owned(), seq.parse().ok()?)),
        _ => None,
    });
    pairs.collect::<Option<Vec<_>>>().map(Vector::from_pairs)
}

/// `<team> gold <n> silver <n> bronze <n>`.
fn parse_tally(fields: &[&str]) -> Option<Tally> {
    match fields {
        [team, "gold", g, "silver", s, "bronze", b] => Some(Tally {
            team: (*team).to_owned(),
            gold: g.parse().ok()?,
            silver: s.parse().ok()?,
            bronze: b.parse().ok()?,
        }),
        _ => None,
    }
}

/// `<event> <team> <score> ... at <time> by <server>`, read from the end so
/// that a team called `at` cannot confuse it.
fn parse_score(fields: &[&str]) -> Option<Score> {
    let (event, rest) = fields.split_first()?;
    let (pairs, tail) = rest.split_at(rest.len().checked_sub(4)?);
    let [at_kw, at, by_kw, by] = tail else {
        return None;
    };
    if *at_kw != "at" || *by_kw != "by" || pairs.len() % 2 != 0 {
        return None;
    }
    let scores = pairs
        .chunks(2)
        .map(|p| Some((p[0].to_owned(), p[1].parse().ok()?)))
        .collect::<Option<Vec<_>>>()?;
    let unset = |v: &str| (v != "-").then(|| v.to_owned());
    Some(Score {
        event: (*event).to_owned(),
        scores,
        at: unset(at),
        by: unset(by),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_lines_parse_with_and_without_a_time() {
        let set = Reply::parse("OK SCORE curling Gaul 3 Rome 2 at 1732250000.123456789 by Goloman");
        let Reply::OkScore(score) = set else {
            panic!("{set:?}")
        };
        assert_eq!(score.event, "curling");
        assert_eq!(score.scores, vec![("Gaul".into(), 3), ("Rome".into(), 2)]);
        assert_eq!(score.at.as_deref(), Some("1732250000.123456789"));
        assert_eq!(score.by.as_deref(), Some("Goloman"));
        let unset = Reply::parse("SCORE skiing Gaul 0 Rome 0 at - by -");
        let Reply::Score(score) = unset else {
            panic!("{unset:?}")
        };
        assert_eq!((score.at, score.by), (None, None));
    }

    #[test]
    fn a_team_called_at_does_not_confuse_the_score_parser() {
        let reply = Reply::parse("UPDATE SCORE x at 1 by 2 at 5.000000000 by S");
        let Reply::UpdateScore(score) = reply else {
            panic!("{reply:?}")
        };
        assert_eq!(score.scores, vec![("at".into(), 1), ("by".into(), 2)]);
    }

    #[test]
    fn malformed_lines_are_unexpected_not_errors() {
        for line in [
            "SCORE curling Gaul x at - by -",
            "SCORE curling Gaul 1 Rome at - by -",
            "TALLY Gaul gold 1 silver 2",
            "OK",
            "AT Goloman +0.1 a +1+1 1",
            "",
        ] {
            assert_eq!(Reply::parse(line), Reply::Unexpected, "{line:?}");
        }
        assert_eq!(Reply::parse("? SETSCORE x"), Reply::Invalid);
        assert_eq!(Reply::parse("?"), Reply::Invalid);
        assert_eq!(Reply::parse("DENIED MEDAL Gaul gold"), Reply::Denied);
        assert_eq!(
            Reply::parse("FAILED SETSCORE curling disk full"),
            Reply::Failed
        );
        assert_eq!(Reply::parse("LAGGED 7"), Reply::Lagged(7));
        assert_eq!(Reply::parse("PING"), Reply::Ping);
    }

    #[test]
    fn tally_lines_parse() {
        assert_eq!(
            Reply::parse("OK TALLY Gaul gold 2 silver 5 bronze 0"),
            Reply::OkTally(Tally {
                team: "Gaul".into(),
                gold: 2,
                silver: 5,
                bronze: 0
            })
        );
    }

    #[test]
    fn auth_ids_are_one_field_and_never_shown() {
        assert_eq!(AuthId::parse("").unwrap_err(), BadAuthId::NotOneField);
        assert_eq!(AuthId::parse("a b").unwrap_err(), BadAuthId::NotOneField);
        assert_eq!(
            AuthId::parse("a\nMEDAL").unwrap_err(),
            BadAuthId::NotOneField
        );
        let long = "x".repeat(MAX_AUTH_LEN + 1);
        assert_eq!(AuthId::parse(&long).unwrap_err(), BadAuthId::TooLong);
        assert!(AuthId::parse(&long[1..]).is_ok());
        let id = AuthId::parse("s3cret").unwrap();
        assert!(!format!("{id:?}").contains("s3cret"));
        let line = Request::Medal("Gaul".into(), Medal::Gold, id.clone(), None).line();
        assert_eq!(line, "MEDAL Gaul gold s3cret\n");
        let key = IdemKey::new("k1");
        let line = Request::Medal("Gaul".into(), Medal::Gold, id, key).line();
        assert_eq!(line, "MEDAL Gaul gold s3cret k1\n");
        assert_eq!(
            Reply::parse("VERSION A/1f 3 B 0"),
            Reply::Version(Vector::from_pairs(vec![
                ("A/1f".into(), 3),
                ("B".into(), 0)
            ]))
        );
    }

    #[test]
    fn medals_parse_in_any_case() {
        assert_eq!(Medal::parse("GoLd"), Some(Medal::Gold));
        assert_eq!(Medal::parse("tin"), None);
    }
}
