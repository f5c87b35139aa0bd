//! `SUBSCRIBE`: stream every change of some events and teams on this
//! connection, wherever in the herd it was made. What a connection is
//! subscribed to is its [`Feed`].

use tokio::sync::broadcast;

use super::Refused;
use crate::batch::Batch;
use olympic::Update;
use proto::client::Subscribe;
use proto::reply::Reply;

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
    fn extend(&mut self, other: Topics) {
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

/// A connection's subscription: nothing until it subscribes, then the
/// server's update feed and the topics it wants of it.
#[derive(Debug, Default)]
pub struct Feed(Option<(broadcast::Receiver<Update>, Topics)>);

impl Feed {
    /// True once the connection has subscribed.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// The next update of the feed, whether wanted or not; never resolves
    /// before the connection subscribes.
    pub async fn next(&mut self) -> Result<Update, broadcast::error::RecvError> {
        match &mut self.0 {
            Some((rx, _)) => rx.recv().await,
            None => std::future::pending().await,
        }
    }

    /// The line for `next`'s outcome, if the connection should be sent
    /// one: the update if it is wanted, or `LAGGED n` if the feed overran
    /// this connection. A closed feed is dropped.
    pub fn line(&mut self, next: Result<Update, broadcast::error::RecvError>) -> Option<Reply> {
        match next {
            Ok(update) => {
                let (_, topics) = self.0.as_ref()?;
                topics.wants(&update).then(|| Reply::Update(update.shown()))
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => Some(Reply::Lagged(missed)),
            Err(broadcast::error::RecvError::Closed) => {
                self.0 = None;
                None
            }
        }
    }
}

/// Resolves the names (events first, then teams), starts or widens the
/// feed, and answers `SUBSCRIBED <name> ...`; refused if any name is
/// unknown.
pub fn apply(cmd: Subscribe, batch: &mut Batch<'_>, feed: &mut Feed) -> Result<(), Refused> {
    let olympics = &batch.stored().olympics;
    let mut topics = Topics::default();
    let mut names = Vec::with_capacity(cmd.names().len());
    for name in cmd.names() {
        if let Some(event) = olympics.event(name.as_str()) {
            topics.events.push(event.to_owned());
            names.push(event.to_owned());
        } else if let Some(team) = olympics.team(name.as_str()) {
            topics.teams.push(team.to_owned());
            names.push(team.to_owned());
        } else {
            return Err(Refused);
        }
    }
    match &mut feed.0 {
        Some((_, held)) => held.extend(topics),
        None => feed.0 = Some((olympics.subscribe(), topics)),
    }
    batch.reply(&Reply::Subscribed(names));
    Ok(())
}
