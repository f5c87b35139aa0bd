//! `SETSCORE <event> <auth> <team> <score> [...]`: Cacofonix sets an event's score.

use bytes::Bytes;

use super::olympic_reply::score_line;
use super::write_outcome::WriteOutcome;
use crate::shared::Shared;
use olympic::Update;

/// Largest score magnitude: a score is an integer from `-MAX_SCORE` to
/// `MAX_SCORE`, at most 18 decimal digits. The REST facade checks the same
/// range before it sends a write.
pub const MAX_SCORE: i64 = 999_999_999_999_999_999;

/// A parsed SETSCORE.
#[derive(Clone, PartialEq, Eq)]
pub struct SetScoreWrite {
    /// The event as the client spelled it.
    event: String,
    /// The id offered; checked against the Cacofonix id, never printed.
    auth: Bytes,
    /// Team (as spelled) and score pairs.
    scores: Vec<(String, i64)>,
}

impl std::fmt::Debug for SetScoreWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetScoreWrite")
            .field("event", &self.event)
            .field("auth", &"<redacted>")
            .field("scores", &self.scores)
            .finish()
    }
}

impl SetScoreWrite {
    /// The event, the auth id, then one or more `team score` pairs.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let event = std::str::from_utf8(it.next()?).ok()?.to_owned();
        let auth = Bytes::copy_from_slice(it.next()?);
        let mut scores = Vec::new();
        while let Some(team) = it.next() {
            let team = std::str::from_utf8(team).ok()?.to_owned();
            let score = parse_score(it.next()?)?;
            scores.push((team, score));
        }
        (!scores.is_empty()).then_some(Self {
            event,
            auth,
            scores,
        })
    }

    /// Checks the names and the id, makes the score durable, floods it, and
    /// answers with the event's new score.
    pub async fn apply(self, shared: &Shared) -> WriteOutcome {
        let olympics = &shared.olympics;
        let Some(event) = olympics.event(&self.event).map(str::to_owned) else {
            return WriteOutcome::Invalid;
        };
        let mut scores = Vec::with_capacity(self.scores.len());
        for (team, score) in &self.scores {
            match olympics.team(team) {
                Some(team) if !scores.iter().any(|(t, _): &(String, i64)| t == team) => {
                    scores.push((team.to_owned(), *score));
                }
                _ => return WriteOutcome::Invalid,
            }
        }
        if scores.len() != olympics.teams().len() {
            return WriteOutcome::Invalid;
        }
        if !shared.cacofonix.matches(&self.auth) {
            return WriteOutcome::reply(format!("DENIED SETSCORE {event}\n"));
        }
        match olympics.set_score(&event, &scores).await {
            Ok(applied) => {
                shared.flood_change(&applied.change);
                match &applied.update {
                    Update::Score(score) => {
                        WriteOutcome::reply(format!("OK {}\n", score_line(score)))
                    }
                    Update::Tally(_) => WriteOutcome::Invalid,
                }
            }
            Err(error) => WriteOutcome::failed(format!("SETSCORE {event}"), &error),
        }
    }
}

/// A score: an optional `-` and decimal digits, within ±[`MAX_SCORE`].
fn parse_score(text: &[u8]) -> Option<i64> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let score: i64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    (-MAX_SCORE..=MAX_SCORE).contains(&score).then_some(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_plain_integers() {
        assert_eq!(parse_score(b"0"), Some(0));
        assert_eq!(parse_score(b"-3"), Some(-3));
        assert_eq!(parse_score(b"42"), Some(42));
        assert_eq!(parse_score(b"999999999999999999"), Some(MAX_SCORE));
        assert_eq!(parse_score(b"-999999999999999999"), Some(-MAX_SCORE));
        assert_eq!(parse_score(b"000000000000000000042"), Some(42));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b"1.5",
            b"x",
            b"1000000000000000000",
            b"-1000000000000000000",
            b"9223372036854775807",
            b"99999999999999999999999",
        ] {
            assert_eq!(parse_score(bad), None);
        }
    }
}
