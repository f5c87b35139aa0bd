//! Locations stored while answering one batch of a client's input, flooded
//! once per client when the batch ends.
//!
//! A client that pipelines reports sends many for itself in one read;
//! newest wins, so only the last of them needs to reach the links. Holding
//! them until the batch is answered (microseconds) spares every link's
//! outbox a lock and a lookup per report. The batch is sent before the
//! connection waits on anything, so a flood is never held behind a slow
//! client or upstream.

use std::sync::Arc;

use super::Peers;
use crate::location::Location;

/// Most clients held before the batch is sent early, so a batch naming
/// many clients stays cheap to search.
const MAX_HELD: usize = 32;

/// The newest stored location per client, not yet flooded.
#[derive(Debug, Default)]
pub struct FloodBatch {
    newest: Vec<Arc<Location>>,
}

impl FloodBatch {
    /// Holds `stored` (just taken by the store) in place of an older one
    /// for the same client.
    pub fn add(&mut self, peers: &Peers, stored: Arc<Location>) {
        match self
            .newest
            .iter_mut()
            .rev()
            .find(|held| held.client == stored.client)
        {
            Some(held) => {
                if held.client_time < stored.client_time {
                    *held = stored;
                }
            }
            None => {
                if self.newest.len() >= MAX_HELD {
                    self.send(peers);
                }
                self.newest.push(stored);
            }
        }
    }

    /// Floods everything held to every live link.
    pub fn send(&mut self, peers: &Peers) {
        for location in self.newest.drain(..) {
            peers.flood(&location, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use super::*;

    fn location(client: &str, time: u32) -> Arc<Location> {
        let line = format!("AT S +0.000000000 {client} +1+2 {time}");
        Arc::new(Location::from_at_line(line.as_bytes()).unwrap())
    }

    #[test]
    fn only_the_newest_per_client_is_flooded_and_only_on_send() {
        let peers = Peers::new(vec!["A".into()], 8);
        let _link = peers.register("A", &CancellationToken::new());
        let mut batch = FloodBatch::default();
        for t in 1..=5 {
            batch.add(&peers, location("a", t));
        }
        batch.add(&peers, location("b", 1));
        assert_eq!(peers.stats("A").unwrap().coalesced, 0);
        batch.send(&peers);
        let stats = peers.stats("A").unwrap();
        assert_eq!((stats.coalesced, stats.dropped), (0, 0));
        batch.add(&peers, location("a", 6));
        batch.send(&peers);
        assert_eq!(
            peers.stats("A").unwrap().coalesced,
            1,
            "a@6 replaced the pending a@5, so a@5 had been queued"
        );
    }

    #[test]
    fn many_clients_are_sent_early_not_searched_forever() {
        let peers = Peers::new(vec!["A".into()], 1024);
        let _link = peers.register("A", &CancellationToken::new());
        let mut batch = FloodBatch::default();
        for c in 0..(MAX_HELD + 1) {
            batch.add(&peers, location(&format!("c{c}"), 1));
        }
        assert_eq!(batch.newest.len(), 1);
    }
}
