//! Anti-entropy: two linked servers regularly compare digests of what they
//! hold and send each other what differs, so whatever a full link queue
//! dropped, or a lost line, or an outage, is repaired while the link stays
//! up.
//!
//! # Locations
//!
//! Each end, every `[limits] anti_entropy_ms` (and soon after its link
//! queue dropped something), sends `SUMS - <h0..h15>`: its hashes of the 16
//! top nodes of the store's [digest tree](crate::digest). The receiver
//! compares them with its own; for each child that differs it answers with
//! that child's own 16 hashes (`SUMS <child> ...`), and so on down. Where a
//! differing child is a leaf, the receiver sends every client it holds in
//! that leaf and asks for the other side's with `PULL <leaf> ...`. Both
//! sides then hold, per client, the newer of the two locations (newest
//! wins, and a repaired location that is news to its receiver floods on
//! like any other). A round where nothing differs costs one line of about
//! 280 bytes per direction; a difference costs a descent of three short
//! round trips and the clients of the differing leaves (the store has
//! 4,096 leaves, so about a 4,096th of the clients per differing client).
//!
//! # Olympic state
//!
//! The Olympic state is a few dozen values, so it is compared whole: `OSUM
//! <hash>` carries a hash of the state's change lines; a receiver holding
//! something else sends its state (the same lines as a link-up sync) and
//! `OPULL` to get the other's. Merging is idempotent, so duplicates are
//! harmless.
//!
//! Messages go through the link's outbox like every other line; requested
//! leaves are a bitmap there, and the link's writer sends their clients
//! straight from the store, after the queued messages.

use std::time::Duration;

use tokio::time::Instant;

use super::message::{MAX_PULL, Message};
use super::outbox::{Outbox, Pushed};
use super::registry::Counters;
use crate::digest::{FANOUT, Node};
use crate::shared::Shared;

/// The messages that start a round: the top of the store's digest and the
/// Olympic digest.
pub(crate) fn round(shared: &Shared) -> [Message; 2] {
    let digest = shared.db.digest();
    [
        Message::Sums {
            node: Node::ROOT,
            hashes: digest.children(Node::ROOT),
        },
        Message::OlympicSum(olympic_digest(shared)),
    ]
}

/// A hash of the whole Olympic state: its change lines in their fixed order.
pub(crate) fn olympic_digest(shared: &Shared) -> u64 {
    let mut text = Vec::new();
    for change in shared.olympics.snapshot() {
        text.extend_from_slice(change.encode().as_bytes());
        text.push(b'\n');
    }
    crate::digest::line_hash(&text)
}

/// What to do about a neighbour's `SUMS`: our hashes of the inner children
/// that differ (to descend), and the leaves that differ (to exchange).
pub(crate) fn compare(
    shared: &Shared,
    node: Node,
    theirs: &[u64; FANOUT],
) -> (Vec<Message>, Vec<usize>) {
    let digest = shared.db.digest();
    let mine = digest.children(node);
    let mut descend = Vec::new();
    let mut leaves = Vec::new();
    for (i, child) in (0..FANOUT).filter_map(|i| Some((i, node.child(i)?))) {
        if mine[i] == theirs[i] {
            continue;
        }
        match child.leaf_index() {
            Some(leaf) => leaves.push(leaf),
            None => descend.push(Message::Sums {
                node: child,
                hashes: digest.children(child),
            }),
        }
    }
    (descend, leaves)
}

/// Answers one anti-entropy message from `peer`, queueing the answer on
/// `outbox`. Returns false for a message that is not about anti-entropy.
pub(crate) fn answer(
    shared: &Shared,
    peer: &str,
    message: &Message,
    outbox: &Outbox,
    counters: &Counters,
) -> bool {
    let mut queue = |message: Message| counters.note(peer, outbox.push(message));
    match message {
        Message::Sums { node, hashes } => {
            let (descend, leaves) = compare(shared, *node, hashes);
            if *node == Node::ROOT && descend.is_empty() && leaves.is_empty() {
                // Both hold the same locations: the neighbour is in sync.
                shared.peers.states().note_synced(peer);
            }
            descend.into_iter().for_each(&mut queue);
            if !leaves.is_empty() {
                counters.note_repair(leaves.len());
                for chunk in leaves.chunks(MAX_PULL) {
                    queue(Message::Pull(
                        chunk.iter().map(|&l| Node::leaf(l)).collect(),
                    ));
                }
                outbox.request_leaves(leaves);
            }
        }
        Message::Pull(leaves) => {
            outbox.request_leaves(leaves.iter().filter_map(|n| n.leaf_index()));
        }
        Message::OlympicSum(theirs) => {
            if *theirs != olympic_digest(shared) {
                counters.note_repair(0);
                olympic_state(shared).for_each(&mut queue);
                queue(Message::OlympicPull);
            }
        }
        Message::OlympicPull => olympic_state(shared).for_each(&mut queue),
        _ => return false,
    }
    true
}

/// The whole Olympic state as the messages that carry it.
pub(crate) fn olympic_state(shared: &Shared) -> impl Iterator<Item = Message> {
    shared
        .olympics
        .snapshot()
        .into_iter()
        .map(|change| Message::Change(std::sync::Arc::new(change)))
}

/// Starts a round every `every`, and sooner (a tenth of that) once the
/// link's queue has dropped something and has drained since, until the
/// link ends.
pub(crate) async fn run(
    shared: &Shared,
    peer: &str,
    outbox: &Outbox,
    counters: &Counters,
    every: Duration,
) -> super::LinkError {
    let check = (every / 10).max(Duration::from_millis(5));
    let mut last_round = Instant::now();
    let mut dropped_at_round = counters.stats().dropped;
    loop {
        tokio::time::sleep(check).await;
        let dropped = counters.stats().dropped;
        let due = last_round.elapsed() >= every;
        let after_drops = dropped != dropped_at_round && outbox.is_idle();
        if !(due || after_drops) {
            continue;
        }
        for message in round(shared) {
            if outbox.push(message) == Pushed::Dropped {
                counters.note(peer, Pushed::Dropped);
            }
        }
        last_round = Instant::now();
        dropped_at_round = counters.stats().dropped;
    }
}
