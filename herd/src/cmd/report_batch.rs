//! IAMAT reports held while one batch of a client's input is answered, then
//! stored and flooded once per client.
//!
//! A client that pipelines reports sends many for itself in one read, and
//! newest wins, so only the newest of them per client needs to reach the
//! store and the links. Holding them until the batch is answered changes
//! nothing anyone can observe: the connection commits the batch before it
//! writes any reply, before it waits on anything, and before it answers
//! any command other than IAMAT, so its own later commands, and every
//! client that has seen one of its replies, find the reports stored. To
//! everyone else the batch simply took effect a few microseconds later.
//! What it saves is a lock of the store and of every link's outbox per
//! superseded report.

use crate::db::Db;
use crate::peer::Peers;
use proto::location::Location;

/// Most clients held before the batch is committed early, so a batch
/// naming many clients stays cheap to search.
const MAX_HELD: usize = 32;

/// The newest report per client of the batch being answered.
#[derive(Debug, Default)]
pub struct ReportBatch {
    newest: Vec<Location>,
}

impl ReportBatch {
    /// Holds `location` in place of an older report for the same client
    /// (an equal or newer one held stays, as the store would keep it).
    pub fn add(&mut self, db: &Db, peers: &Peers, location: Location) {
        match self
            .newest
            .iter_mut()
            .rev()
            .find(|held| held.client_bytes() == location.client_bytes())
        {
            Some(held) => {
                if location.supersedes(held) {
                    *held = location;
                }
            }
            None => {
                if self.newest.len() >= MAX_HELD {
                    self.commit(db, peers);
                }
                self.newest.push(location);
            }
        }
    }

    /// Offers every held report to the store and floods those it takes.
    pub fn commit(&mut self, db: &Db, peers: &Peers) {
        for location in self.newest.drain(..) {
            if let Some(stored) = db.offer(location).taken() {
                peers.flood(&stored, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use super::*;

    fn report(client: &str, time: u32) -> Location {
        let line = format!("AT S +0.000000000 {client} +1+2 {time}");
        Location::from_at_line(line.as_bytes()).unwrap()
    }

    fn held(db: &Db, client: &str) -> Option<String> {
        let location = db.get(client)?;
        Some(String::from_utf8_lossy(location.at_line()).into_owned())
    }

    #[test]
    fn reports_are_stored_and_flooded_on_commit_newest_per_client() {
        let (db, peers) = (Db::new(), Peers::new(vec!["A".into()], 8));
        let _link = peers.register("A", &CancellationToken::new());
        let mut batch = ReportBatch::default();
        batch.add(&db, &peers, report("a", 2));
        batch.add(&db, &peers, report("a", 3));
        batch.add(&db, &peers, report("a", 1));
        batch.add(&db, &peers, report("b", 1));
        assert_eq!(held(&db, "a"), None, "nothing stored before commit");
        batch.commit(&db, &peers);
        assert_eq!(held(&db, "a").unwrap(), "AT S +0.000000000 a +1+2 3");
        assert_eq!(held(&db, "b").unwrap(), "AT S +0.000000000 b +1+2 1");
        let stats = peers.stats("A").unwrap();
        assert_eq!(
            (stats.coalesced, stats.dropped),
            (0, 0),
            "one flood per client"
        );
    }

    #[test]
    fn a_held_report_older_than_the_store_changes_nothing() {
        let (db, peers) = (Db::new(), Peers::new(vec![], 8));
        db.offer(report("a", 5));
        let mut batch = ReportBatch::default();
        batch.add(&db, &peers, report("a", 4));
        batch.commit(&db, &peers);
        assert_eq!(held(&db, "a").unwrap(), "AT S +0.000000000 a +1+2 5");
    }

    #[test]
    fn a_batch_naming_many_clients_commits_early() {
        let (db, peers) = (Db::new(), Peers::new(vec![], 8));
        let mut batch = ReportBatch::default();
        for c in 0..=MAX_HELD {
            batch.add(&db, &peers, report(&format!("c{c}"), 1));
        }
        assert!(held(&db, "c0").is_some());
        assert_eq!(batch.newest.len(), 1);
    }
}
