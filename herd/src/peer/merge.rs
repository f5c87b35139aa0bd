//! Applying the Olympic changes that arrive on one link.
//!
//! A merge goes through the journal (an fsync), so merges are taken off the
//! read loop: it hands changes to this loop over a bounded queue, and this
//! loop merges whatever has gathered concurrently, so they share one group
//! commit. A change that advanced the state floods on to every other
//! neighbour; a stale or duplicate one stops here, so floods end.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::link::LinkError;
use crate::shared::Shared;
use olympic::Change;

/// Changes waiting to be merged per link before the read loop waits.
pub(crate) const MERGE_QUEUE: usize = 1024;

/// Most changes merged together.
const MERGE_BATCH: usize = 256;

/// Merges changes from `peer` until the link ends.
pub(crate) async fn run(
    shared: &Shared,
    peer: &str,
    rx: &mut mpsc::Receiver<Arc<Change>>,
) -> LinkError {
    let mut batch = Vec::with_capacity(MERGE_BATCH);
    loop {
        if rx.recv_many(&mut batch, MERGE_BATCH).await == 0 {
            return LinkError::Closed;
        }
        let merges = batch.drain(..).map(|change| async move {
            (
                shared.olympics.merge(Arc::unwrap_or_clone(change)).await,
                (),
            )
        });
        for (result, ()) in futures::future::join_all(merges).await {
            match result {
                Ok(Some(applied)) => shared.peers.flood_change(&applied.change, Some(peer)),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(event = "peer_change_refused", peer = %peer, error = %error);
                }
            }
        }
    }
}
