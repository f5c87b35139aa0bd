//! One posted result: the JSON a service sends to `POST /results`, the
//! checks it must pass, and what it is worth.
//!
//! Scoring is the seed's table: 1st 6 points, 2nd 5, 3rd 4, 4th 3, 5th 2,
//! 6th 1; lower places and did-not-finish (`place` null) 0.

use serde::{Deserialize, Serialize};

/// Longest `id`, `athlete`, `team` or `event`, in bytes: names are short,
/// and a result is kept for ever, so a client cannot make it large.
pub const MAX_FIELD_LEN: usize = 128;

/// Lowest place accepted.
pub const MIN_PLACE: u8 = 1;

/// Highest place accepted.
pub const MAX_PLACE: u8 = 99;

/// Points for places 1 to 6; every other place, and not finishing, is 0.
const POINTS: [u8; 6] = [6, 5, 4, 3, 2, 1];

/// What a service posts. Every field must be present (`place` may be
/// null, for did-not-finish) and no other field is allowed. Clients
/// (`cacofonix`) serialise the same type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultPost {
    /// The poster's id for this result: posting the same id again changes
    /// nothing, so a retry is always safe.
    pub id: String,
    /// Who competed; the board's key.
    pub athlete: String,
    /// The athlete's team, shown on the board.
    pub team: String,
    /// The event the result is for.
    pub event: String,
    /// 1 to 99, or null when the athlete did not finish. Read as any
    /// integer so an out-of-range place gets its own message; required
    /// (the `deserialize_with` keeps serde from defaulting a missing one).
    #[serde(deserialize_with = "Option::deserialize")]
    pub place: Option<i64>,
}

/// Why a result was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// The body is not a result in JSON (syntax, a missing or unknown
    /// field, a wrong type); serde's words.
    #[error("not a result: {0}")]
    Json(String),
    /// A text field is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A text field is over [`MAX_FIELD_LEN`].
    #[error("{0} is longer than {MAX_FIELD_LEN} bytes")]
    TooLong(&'static str),
    /// A place outside 1..=99.
    #[error("place {0} is outside {MIN_PLACE}..={MAX_PLACE} (null means did not finish)")]
    Place(i64),
}

/// A result as stored and as answered: the post's fields and its points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recorded {
    /// The poster's id.
    pub id: String,
    /// Who competed.
    pub athlete: String,
    /// The athlete's team.
    pub team: String,
    /// The event.
    pub event: String,
    /// 1 to 99, or null for did-not-finish.
    pub place: Option<u8>,
    /// What the place is worth, from the seed's table.
    pub points: u8,
}

impl ResultPost {
    /// Parses and checks a request body.
    pub fn parse(body: &[u8]) -> Result<Recorded, Invalid> {
        let post: Self = serde_json::from_slice(body).map_err(|e| Invalid::Json(e.to_string()))?;
        post.check()
    }

    /// Checks every field and works out the points.
    pub fn check(self) -> Result<Recorded, Invalid> {
        for (name, value) in [
            ("id", &self.id),
            ("athlete", &self.athlete),
            ("team", &self.team),
            ("event", &self.event),
        ] {
            if value.is_empty() {
                return Err(Invalid::Empty(name));
            }
            if value.len() > MAX_FIELD_LEN {
                return Err(Invalid::TooLong(name));
            }
        }
        let place = match self.place {
            None => None,
            Some(p) => match u8::try_from(p) {
                Ok(p) if (MIN_PLACE..=MAX_PLACE).contains(&p) => Some(p),
                _ => return Err(Invalid::Place(p)),
            },
        };
        Ok(Recorded {
            id: self.id,
            athlete: self.athlete,
            team: self.team,
            event: self.event,
            place,
            points: points(place),
        })
    }
}

/// Points for a place (`None`: did not finish).
pub fn points(place: Option<u8>) -> u8 {
    place
        .and_then(|p| POINTS.get(usize::from(p).checked_sub(1)?))
        .copied()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_follow_the_seed_table() {
        let got: Vec<u8> = (1..=8).map(|p| points(Some(p))).collect();
        assert_eq!(got, [6, 5, 4, 3, 2, 1, 0, 0]);
        assert_eq!(points(None), 0);
        assert_eq!(points(Some(99)), 0);
    }

    #[test]
    fn a_result_needs_every_field_and_no_other() {
        let ok = br#"{"id":"r1","athlete":"Asterix","team":"Gaul","event":"curling","place":null}"#;
        assert_eq!(ResultPost::parse(ok).unwrap().points, 0);
        for bad in [
            &br#"{"id":"r1","athlete":"Asterix","team":"Gaul","event":"curling"}"#[..],
            br#"{"id":"r1","athlete":"Asterix","team":"Gaul","event":"curling","place":1,"x":1}"#,
            br#"{"id":"r1","athlete":"Asterix","team":"Gaul","event":"curling","place":"1"}"#,
            br#"{"id":"r1","athlete":"Asterix","#,
        ] {
            assert!(matches!(ResultPost::parse(bad), Err(Invalid::Json(_))));
        }
    }

    #[test]
    fn places_outside_one_to_ninety_nine_and_empty_names_are_refused() {
        let post = |place: i64, athlete: &str| ResultPost {
            id: "r".into(),
            athlete: athlete.into(),
            team: "Gaul".into(),
            event: "curling".into(),
            place: Some(place),
        };
        for place in [0, -1, 100, 256, i64::MAX] {
            assert_eq!(post(place, "A").check(), Err(Invalid::Place(place)));
        }
        assert_eq!(post(99, "A").check().unwrap().place, Some(99));
        assert_eq!(post(1, "").check(), Err(Invalid::Empty("athlete")));
        let long = "x".repeat(MAX_FIELD_LEN + 1);
        assert_eq!(post(1, &long).check(), Err(Invalid::TooLong("athlete")));
    }
}
