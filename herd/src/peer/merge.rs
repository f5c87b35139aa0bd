//! Applying the replica updates (Olympic changes, today) that arrive on one
//! link.
//!
//! Applying may go through a journal (an fsync), so it is taken off the
//! read loop: the read loop hands updates to this loop over a bounded
//! queue, and this loop applies whatever has gathered at once, so they
//! share one group commit. An update that advanced its replica floods on to
//! every other neighbour; a stale or duplicate one stops here, so floods
//! end.

use proto::peer::Message;
use tokio::sync::mpsc;

use super::link::LinkError;
use crate::shared::Shared;

/// Updates waiting to be applied per link before the read loop waits.
pub(crate) const MERGE_QUEUE: usize = 1024;

/// Most updates applied together.
const MERGE_BATCH: usize = 256;

/// Applies updates from `peer` until the link ends.
pub(crate) async fn run(
    shared: &Shared,
    peer: &str,
    rx: &mut mpsc::Receiver<Message>,
) -> LinkError {
    let mut batch = Vec::with_capacity(MERGE_BATCH);
    loop {
        if rx.recv_many(&mut batch, MERGE_BATCH).await == 0 {
            return LinkError::Closed;
        }
        for replica in shared.replicas() {
            let (mine, rest): (Vec<Message>, Vec<Message>) =
                batch.drain(..).partition(|update| replica.owns(update));
            batch = rest;
            for advanced in replica.apply(peer, mine).await {
                shared.peers.flood_update(&advanced, Some(peer));
            }
        }
        batch.clear();
    }
}
