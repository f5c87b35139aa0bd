//! The seam between the peer links and the replicated state they carry
//! beside the locations.
//!
//! A [`Replica`] is small state every server holds a copy of, kept equal
//! by flooding its updates and by anti-entropy: a link compares the
//! [`digest`](Replica::digest) of every replica (one `OSUM` line) and, when
//! they differ, sends the [`snapshot`](Replica::snapshot) of each (merging
//! is idempotent, so what the neighbour already has costs nothing). An
//! update from a neighbour goes to the replica that
//! [`owns`](Replica::owns) it, and what [`apply`](Replica::apply) says
//! advanced the state floods on to every other neighbour.
//!
//! The Olympic state is the replica today (`impl Replica for Olympics`);
//! the peer layer knows it only through this trait, so the next replicated
//! state plugs in beside it in [`Shared::replicas`](crate::shared::Shared).

use std::sync::Arc;

use futures::future::BoxFuture;
use proto::digest::line_hash;
use proto::peer::Message;

use olympic::Olympics;

/// Replicated state carried over the peer links.
pub trait Replica: Send + Sync {
    /// A hash of the whole state: equal digests, equal states.
    fn digest(&self) -> u64;

    /// The whole state, as the update messages that rebuild it.
    fn snapshot(&self) -> Vec<Message>;

    /// True if `message` is an update of this replica.
    fn owns(&self, message: &Message) -> bool;

    /// Applies updates a neighbour sent; resolves to those that advanced the
    /// state, to be flooded on (a stale or duplicate update stops here, so
    /// floods end). An update that cannot be applied is logged and dropped.
    fn apply<'a>(&'a self, from: &'a str, updates: Vec<Message>) -> BoxFuture<'a, Vec<Message>>;
}

impl Replica for Olympics {
    fn digest(&self) -> u64 {
        let mut text = Vec::new();
        for change in Olympics::snapshot(self) {
            text.extend_from_slice(change.encode().as_bytes());
            text.push(b'\n');
        }
        line_hash(&text)
    }

    fn snapshot(&self) -> Vec<Message> {
        Olympics::snapshot(self)
            .into_iter()
            .map(|change| Message::Change(Arc::new(change)))
            .collect()
    }

    fn owns(&self, message: &Message) -> bool {
        matches!(message, Message::Change(_))
    }

    fn apply<'a>(&'a self, from: &'a str, updates: Vec<Message>) -> BoxFuture<'a, Vec<Message>> {
        Box::pin(async move {
            // Merged together, so they share one journal commit.
            let merges = updates.into_iter().filter_map(|update| match update {
                Message::Change(change) => Some(self.merge(Arc::unwrap_or_clone(change))),
                _ => None,
            });
            let mut advanced = Vec::new();
            for result in futures::future::join_all(merges).await {
                match result {
                    Ok(Some(applied)) => advanced.push(Message::Change(Arc::new(applied.change))),
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(event = "peer_change_refused", peer = %from, error = %error);
                    }
                }
            }
            advanced
        })
    }
}

/// One digest of every replica of `replicas`, for `OSUM`.
pub(crate) fn digest_of(replicas: &[&dyn Replica]) -> u64 {
    let mut digests = Vec::with_capacity(replicas.len() * 8);
    for replica in replicas {
        digests.extend_from_slice(&replica.digest().to_le_bytes());
    }
    line_hash(&digests)
}
