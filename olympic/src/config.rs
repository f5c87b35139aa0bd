//! Which teams and events exist, and how a name typed by anyone is turned
//! into the configured spelling.
//!
//! Names are matched case-insensitively (Unicode lower case), and every reply,
//! change line and journal record uses the spelling from the configuration,
//! so `ROME`, `rome` and `Rome` are one team everywhere in the herd.

use std::collections::HashMap;

use serde::Deserialize;

use super::error::OlympicError;
use super::origin::check_origin;
use proto::change::Change;

/// Journal records after which the journal is rewritten as one snapshot.
pub const DEFAULT_COMPACT_AFTER: usize = 10_000;

/// Longest team, event or server name, in bytes. Keeps every change line and
/// snapshot far below the journal's record limit.
pub const MAX_NAME_LEN: usize = 64;

/// Most teams, and most events, a configuration may list.
pub const MAX_NAMES: usize = 64;

/// The `[olympics]` configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OlympicsConfig {
    /// Teams that win medals and score in events, in reply order.
    pub teams: Vec<String>,
    /// Events that have a score, in reply order.
    pub events: Vec<String>,
    /// Once the journal holds more records than this, it is rewritten as a
    /// single snapshot so that it (and the replay at start) stays small.
    pub compact_after: usize,
}

impl Default for OlympicsConfig {
    fn default() -> Self {
        Self {
            teams: vec!["Gaul".into(), "Rome".into()],
            events: vec!["curling".into(), "skating".into(), "skiing".into()],
            compact_after: DEFAULT_COMPACT_AFTER,
        }
    }
}

pub(crate) use proto::change::is_token;

/// True if `name` is a token of at most [`MAX_NAME_LEN`] bytes.
fn is_name(name: &str) -> bool {
    name.len() <= MAX_NAME_LEN && is_token(name)
}

/// Checks a server name: a token that is also safe as a file name.
pub(crate) fn check_server_name(name: &str) -> Result<(), OlympicError> {
    if is_name(name) && !name.contains('/') && name != "." && name != ".." {
        Ok(())
    } else {
        Err(OlympicError::BadServerName(name.to_owned()))
    }
}

/// One list of names with case-insensitive lookup.
#[derive(Debug, Clone)]
struct NameList {
    /// Configured spellings, in configured order.
    names: Vec<String>,
    /// Lower-cased name to its index in `names`.
    index: HashMap<String, usize>,
}

impl NameList {
    fn new(what: &str, names: &[String]) -> Result<Self, OlympicError> {
        if names.is_empty() || names.len() > MAX_NAMES {
            return Err(OlympicError::BadConfig(format!(
                "{} {what}s configured; 1 to {MAX_NAMES} are allowed",
                names.len()
            )));
        }
        let mut index = HashMap::new();
        for (i, name) in names.iter().enumerate() {
            if !is_name(name) {
                return Err(OlympicError::BadConfig(format!(
                    "{what} name {name:?} must be 1 to {MAX_NAME_LEN} bytes with no white space"
                )));
            }
            if index.insert(name.to_lowercase(), i).is_some() {
                return Err(OlympicError::BadConfig(format!(
                    "{what} {name:?} is listed twice (names ignore case)"
                )));
            }
        }
        Ok(Self {
            names: names.to_vec(),
            index,
        })
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.index.get(&name.to_lowercase()).copied()
    }
}

/// The validated team and event names of a configuration.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    /// Teams, configured spelling and order.
    teams: NameList,
    /// Events, configured spelling and order.
    events: NameList,
}

impl Names {
    /// Validates `config`: both lists non-empty, names usable as tokens and
    /// distinct ignoring case, `compact_after` at least 1.
    pub(crate) fn new(config: &OlympicsConfig) -> Result<Self, OlympicError> {
        if config.compact_after == 0 {
            return Err(OlympicError::BadConfig(
                "compact_after must be at least 1".into(),
            ));
        }
        Ok(Self {
            teams: NameList::new("team", &config.teams)?,
            events: NameList::new("event", &config.events)?,
        })
    }

    /// Every team, configured spelling and order.
    pub(crate) fn teams(&self) -> &[String] {
        &self.teams.names
    }

    /// Every event, configured spelling and order.
    pub(crate) fn events(&self) -> &[String] {
        &self.events.names
    }

    /// The configured spelling of team `name`.
    pub(crate) fn team(&self, name: &str) -> Option<&str> {
        self.teams.find(name).map(|i| self.teams.names[i].as_str())
    }

    /// The configured spelling of event `name`.
    pub(crate) fn event(&self, name: &str) -> Option<&str> {
        self.events
            .find(name)
            .map(|i| self.events.names[i].as_str())
    }

    /// Checks a score list for `event` (canonical) and returns it with
    /// canonical team names in configured order: every team exactly once.
    pub(crate) fn scores(
        &self,
        event: &str,
        scores: &[(String, i64)],
    ) -> Result<Vec<(String, i64)>, OlympicError> {
        let mut by_team: Vec<Option<i64>> = vec![None; self.teams.names.len()];
        for (team, score) in scores {
            let i = self
                .teams
                .find(team)
                .ok_or_else(|| OlympicError::UnknownTeam(team.clone()))?;
            if by_team[i].replace(*score).is_some() {
                return Err(OlympicError::DuplicateTeam {
                    event: event.to_owned(),
                    team: self.teams.names[i].clone(),
                });
            }
        }
        self.teams
            .names
            .iter()
            .zip(by_team)
            .map(|(team, score)| match score {
                Some(score) => Ok((team.clone(), score)),
                None => Err(OlympicError::MissingTeam {
                    event: event.to_owned(),
                    team: team.clone(),
                }),
            })
            .collect()
    }

    /// `change` with every name in configured spelling (scores in configured
    /// team order), or why it does not fit this configuration.
    pub(crate) fn canonicalize(&self, change: &Change) -> Result<Change, OlympicError> {
        if change.op().seq == 0 {
            return Err(OlympicError::BadChange("sequence number 0".into()));
        }
        check_origin(&change.op().origin)?;
        Ok(match change {
            Change::Medal {
                op,
                team,
                medal,
                count,
                key,
            } => {
                if *count == 0 {
                    return Err(OlympicError::BadChange("medal count 0".into()));
                }
                let team = self
                    .team(team)
                    .ok_or_else(|| OlympicError::UnknownTeam(team.clone()))?;
                Change::Medal {
                    op: op.clone(),
                    team: team.to_owned(),
                    medal: *medal,
                    count: *count,
                    key: key.clone(),
                }
            }
            Change::Void { op, team, medal } => {
                let team = self
                    .team(team)
                    .ok_or_else(|| OlympicError::UnknownTeam(team.clone()))?;
                Change::Void {
                    op: op.clone(),
                    team: team.to_owned(),
                    medal: *medal,
                }
            }
            Change::Score {
                op,
                event,
                stamp_ns,
                scores,
                key,
            } => {
                let event = self
                    .event(event)
                    .ok_or_else(|| OlympicError::UnknownEvent(event.clone()))?;
                Change::Score {
                    op: op.clone(),
                    event: event.to_owned(),
                    stamp_ns: *stamp_ns,
                    scores: self.scores(event, scores)?,
                    key: key.clone(),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names::new(&OlympicsConfig::default()).unwrap()
    }

    fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
        list.iter().map(|(t, s)| (t.to_string(), *s)).collect()
    }

    #[test]
    fn lookups_ignore_case_and_return_the_configured_spelling() {
        let n = names();
        assert_eq!(n.team("gAUL"), Some("Gaul"));
        assert_eq!(n.team("ROME"), Some("Rome"));
        assert_eq!(n.team("Carthage"), None);
        assert_eq!(n.event("Curling"), Some("curling"));
        assert_eq!(n.event("bobsleigh"), None);
    }

    #[test]
    fn scores_are_reordered_and_every_team_is_required_once() {
        let n = names();
        let got = n
            .scores("curling", &pairs(&[("rome", 3), ("GAUL", 7)]))
            .unwrap();
        assert_eq!(got, pairs(&[("Gaul", 7), ("Rome", 3)]));
        assert!(matches!(
            n.scores("curling", &pairs(&[("Gaul", 1)])),
            Err(OlympicError::MissingTeam { team, .. }) if team == "Rome"
        ));
        assert!(matches!(
            n.scores("curling", &pairs(&[("Gaul", 1), ("gaul", 2), ("Rome", 0)])),
            Err(OlympicError::DuplicateTeam { team, .. }) if team == "Gaul"
        ));
        assert!(matches!(
            n.scores("curling", &pairs(&[("Gaul", 1), ("Rome", 2), ("Egypt", 0)])),
            Err(OlympicError::UnknownTeam(t)) if t == "Egypt"
        ));
    }

    #[test]
    fn bad_configurations_are_refused() {
        let base = OlympicsConfig::default();
        let dup = OlympicsConfig {
            teams: vec!["Gaul".into(), "GAUL".into()],
            ..base.clone()
        };
        let spaced = OlympicsConfig {
            events: vec!["ice dance".into()],
            ..base.clone()
        };
        let empty = OlympicsConfig {
            teams: vec![],
            ..base.clone()
        };
        let never = OlympicsConfig {
            compact_after: 0,
            ..base
        };
        for config in [dup, spaced, empty, never] {
            assert!(matches!(
                Names::new(&config),
                Err(OlympicError::BadConfig(_))
            ));
        }
    }

    #[test]
    fn server_names_must_be_safe_file_names() {
        assert!(check_server_name("Goloman").is_ok());
        let long = "x".repeat(MAX_NAME_LEN + 1);
        for bad in ["", "a b", "../x", "a/b", ".", "..", &long] {
            assert!(check_server_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn config_reads_from_toml_with_defaults_and_rejects_unknown_keys() {
        let c: OlympicsConfig = toml::from_str("teams = [\"Gaul\", \"Rome\", \"Egypt\"]").unwrap();
        assert_eq!(c.teams.len(), 3);
        assert_eq!(c.events, OlympicsConfig::default().events);
        assert_eq!(c.compact_after, DEFAULT_COMPACT_AFTER);
        assert!(toml::from_str::<OlympicsConfig>("medals = []").is_err());
    }
}
