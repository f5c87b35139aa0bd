//! `SUBSCRIBE <event-or-team> [...]`: stream every change of those events
//! and teams on this connection, wherever in the herd it was made.

use bytes::Bytes;

use crate::shared::Shared;
use olympic::Update;

/// What a connection is subscribed to, by configured name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topics {
    /// Events whose score changes are streamed.
    events: Vec<String>,
    /// Teams whose tally changes are streamed.
    teams: Vec<String>,
}

impl Topics {
    /// True when `update` concerns one of the topics.
    pub fn wants(&self, update: &Update) -> bool {
        match update {
            Update::Score(score) => self.events.contains(&score.event),
            Update::Tally(tally) => self.teams.contains(&tally.team),
        }
    }

    /// Adds `other`'s topics to these.
    pub fn extend(&mut self, other: Topics) {
        for event in other.events {
            if !self.events.contains(&event) {
                self.events.push(event);
            }
        }
        for team in other.teams {
            if !self.teams.contains(&team) {
                self.teams.push(team);
            }
        }
    }
}

/// A parsed SUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// Names as the client spelled them.
    names: Vec<String>,
}

impl Subscribe {
    /// One or more names.
    pub fn parse<'a>(it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let names = it
            .map(|n| std::str::from_utf8(n).ok().map(str::to_owned))
            .collect::<Option<Vec<_>>>()?;
        (!names.is_empty()).then_some(Self { names })
    }

    /// Resolves the names (events first, then teams) and the reply
    /// `SUBSCRIBED <name> ...`; `None` if any name is unknown.
    pub fn apply(self, shared: &Shared) -> Option<(Bytes, Topics)> {
        let mut topics = Topics::default();
        let mut reply = String::from("SUBSCRIBED");
        for name in &self.names {
            if let Some(event) = shared.olympics.event(name) {
                topics.events.push(event.to_owned());
                reply.push(' ');
                reply.push_str(event);
            } else if let Some(team) = shared.olympics.team(name) {
                topics.teams.push(team.to_owned());
                reply.push(' ');
                reply.push_str(team);
            } else {
                return None;
            }
        }
        reply.push('\n');
        Some((Bytes::from(reply), topics))
    }
}
