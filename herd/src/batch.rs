//! The replies to one batch of a client's input, and the IAMAT reports
//! they promise: both leave a [`Batch`] together, the reports first.
//!
//! A client that pipelines reports sends many for itself in one read, and
//! newest wins, so only the newest of them per client needs to reach the
//! store and the links. A batch holds them while it gathers replies, and
//! stores and floods them (commits) before anything can observe the store:
//! its bytes can only be taken for writing through [`Batch::to_write`],
//! and the server's state only reached through [`Batch::stored`], both of
//! which commit first; dropping a batch commits too. So the client's own
//! later commands, and every client that has seen one of its replies, find
//! the reports stored; to everyone else the batch simply took effect a few
//! microseconds later. What it saves is a lock of the store and of every
//! link's outbox per superseded report.

use bytes::{BufMut, BytesMut};

use crate::metrics::ServerMetrics;
use crate::shared::Shared;
use base::topology::Limits;
use proto::location::Location;
use proto::reply::Reply;

/// Most clients held before the batch is committed early, so a batch
/// naming many clients stays cheap to search.
const MAX_HELD: usize = 32;

/// One connection's replies not yet written, and the reports behind them.
#[derive(Debug)]
pub struct Batch<'a> {
    /// The server; reached through [`Batch::stored`] for anything that
    /// reads or changes its state.
    shared: &'a Shared,
    /// The newest report per client answered in this batch, not yet stored.
    held: Vec<Location>,
    /// Whole replies not yet written.
    out: BytesMut,
}

impl<'a> Batch<'a> {
    /// An empty batch for a connection to `shared`.
    pub fn new(shared: &'a Shared) -> Self {
        Self {
            shared,
            held: Vec::new(),
            out: BytesMut::new(),
        }
    }

    /// The server's name, as its `AT` lines carry it.
    pub fn name(&self) -> &'a str {
        &self.shared.name
    }

    /// The server's synchronised clock now: the time a line is received.
    pub fn now(&self) -> std::time::SystemTime {
        self.shared.now()
    }

    /// The limits on client connections.
    pub fn limits(&self) -> &'a Limits {
        &self.shared.limits
    }

    /// The raffle's orderer: counting a request reads no stored state, so
    /// it needs no commit.
    pub fn order(&self) -> &'a crate::order::Orderer {
        &self.shared.order
    }

    /// The server's counters.
    pub fn metrics(&self) -> &'a ServerMetrics {
        &self.shared.metrics
    }

    /// True when the store is full and `client` is not in it: a report
    /// for it would be refused.
    pub fn refuses(&self, client: &str) -> bool {
        self.shared.db.refuses(client)
    }

    /// The server, with this batch's reports stored: the way to its state
    /// for anything but an IAMAT.
    pub fn stored(&mut self) -> &'a Shared {
        self.commit();
        self.shared
    }

    /// Answers a report with its `AT` line and holds it for the commit, in
    /// place of an older report for the same client (an equal or newer one
    /// held stays, as the store would keep it).
    pub fn at(&mut self, location: Location) {
        location.write(&mut self.out);
        let held = self
            .held
            .iter_mut()
            .rev()
            .find(|held| held.same_client(&location));
        match held {
            Some(held) if location.supersedes(held) => *held = location,
            Some(_) => {}
            None => {
                if self.held.len() >= MAX_HELD {
                    self.commit();
                }
                self.held.push(location);
            }
        }
    }

    /// Adds a reply (or an update line) to the output.
    pub fn reply(&mut self, reply: &Reply) {
        reply.write(&mut self.out);
    }

    /// Adds bytes formatted elsewhere to the output.
    pub fn push(&mut self, bytes: &[u8]) {
        self.out.put_slice(bytes);
    }

    /// The output, to append a reply to.
    pub fn out(&mut self) -> &mut impl BufMut {
        &mut self.out
    }

    /// Bytes gathered and not yet written.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// True when nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// What was gathered since the output was `start` bytes long: the
    /// reply just added, for the log.
    pub fn since(&self, start: usize) -> &[u8] {
        self.out.get(start..).unwrap_or_default()
    }

    /// The bytes to write, the reports having been stored and flooded.
    pub fn to_write(&mut self) -> &[u8] {
        self.commit();
        &self.out
    }

    /// Drops what was written.
    pub fn written(&mut self) {
        self.out.clear();
    }

    /// Offers every held report to the store and floods those it takes.
    fn commit(&mut self) {
        for location in self.held.drain(..) {
            self.shared.store_and_flood(location, None);
        }
    }
}

/// A connection that ends with reports held (its client gone, its socket
/// failed) still stores them: they were answered.
impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.commit();
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::auth::CacofonixId;
    use crate::db::Db;
    use crate::peer::Peers;
    use crate::places::Places;
    use olympic::Olympics;

    /// A server with `neighbours` and its journal in `data`.
    async fn server(neighbours: &[&str], data: &std::path::Path) -> Shared {
        Shared {
            name: "S".into(),
            db: Db::new(),
            places: Places::new(&Default::default(), None).unwrap(),
            peers: Peers::new(neighbours.iter().map(|n| n.to_string()).collect(), 8),
            limits: Limits::default(),
            olympics: Olympics::open(&Default::default(), "S", data)
                .await
                .unwrap(),
            cacofonix: CacofonixId::new(b"test-cacofonix").unwrap(),
            metrics: Default::default(),
            coord: crate::coord::Coordination::new(
                "S",
                &crate::coord::CoordConfig::of_names(&["S"]),
                Default::default(),
            ),
            order: crate::order::Orderer::in_memory("S", &["S".into()], &Default::default()),
        }
    }

    fn report(client: &str, time: u32) -> Location {
        let line = format!("AT S +0.000000000 {client} +1+2 {time}");
        Location::from_at_line(line.as_bytes()).unwrap()
    }

    fn held(shared: &Shared, client: &str) -> Option<String> {
        let location = shared.db.get(client)?;
        Some(String::from_utf8_lossy(location.at_line()).into_owned())
    }

    #[tokio::test]
    async fn reports_are_stored_newest_per_client_and_flooded_once_before_the_replies_leave() {
        let data = tempfile::tempdir().unwrap();
        let shared = server(&["A"], data.path()).await;
        let _link = shared.peers.register("A", &CancellationToken::new());
        let mut batch = Batch::new(&shared);
        for (client, time) in [("a", 2), ("a", 3), ("a", 1), ("b", 1)] {
            batch.at(report(client, time));
        }
        assert_eq!(held(&shared, "a"), None, "nothing stored before commit");
        let written = String::from_utf8(batch.to_write().to_vec()).unwrap();
        assert_eq!(
            written.lines().count(),
            4,
            "every report answered: {written}"
        );
        assert_eq!(held(&shared, "a").unwrap(), "AT S +0.000000000 a +1+2 3");
        assert_eq!(held(&shared, "b").unwrap(), "AT S +0.000000000 b +1+2 1");
        let stats = shared.peers.stats("A").unwrap();
        assert_eq!(
            (stats.coalesced, stats.dropped),
            (0, 0),
            "one flood per client"
        );
    }

    #[tokio::test]
    async fn the_state_is_reached_only_with_the_reports_stored() {
        let data = tempfile::tempdir().unwrap();
        let shared = server(&[], data.path()).await;
        let mut batch = Batch::new(&shared);
        batch.at(report("a", 1));
        assert_eq!(
            held(batch.stored(), "a").unwrap(),
            "AT S +0.000000000 a +1+2 1"
        );
    }

    #[tokio::test]
    async fn a_dropped_batch_still_stores_what_it_answered() {
        let data = tempfile::tempdir().unwrap();
        let shared = server(&[], data.path()).await;
        Batch::new(&shared).at(report("a", 1));
        assert!(held(&shared, "a").is_some());
    }

    #[tokio::test]
    async fn a_held_report_older_than_the_store_changes_nothing() {
        let data = tempfile::tempdir().unwrap();
        let shared = server(&[], data.path()).await;
        shared.db.offer(report("a", 5));
        let mut batch = Batch::new(&shared);
        batch.at(report("a", 4));
        batch.to_write();
        assert_eq!(held(&shared, "a").unwrap(), "AT S +0.000000000 a +1+2 5");
    }

    #[tokio::test]
    async fn a_batch_naming_many_clients_commits_early() {
        let data = tempfile::tempdir().unwrap();
        let shared = server(&[], data.path()).await;
        let mut batch = Batch::new(&shared);
        for c in 0..=MAX_HELD {
            batch.at(report(&format!("c{c}"), 1));
        }
        assert!(held(&shared, "c0").is_some());
        assert_eq!(batch.held.len(), 1);
    }
}
