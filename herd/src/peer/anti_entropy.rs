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
//! differing child is a leaf, the receiver says what it holds there: `HAVE
//! <leaf> <hash> ...`, one hash per stored line. The other side sends back
//! every line of that leaf whose hash is not listed, and, if the list has
//! hashes it does not hold, its own list as `HAD <leaf> ...` (never
//! answered), which brings it the lines it lacks. Both sides then hold, per
//! client, the winner of the two locations (newest wins, and a repaired
//! location that is news to its receiver floods on like any other). A round
//! where nothing differs costs one line of about 280 bytes per direction; a
//! difference costs a descent of three short round trips, a hash (17 bytes)
//! per line held in each differing leaf, and only the lines that differ.
//!
//! # Olympic state
//!
//! The Olympic state is a few dozen values, so it is compared whole: `OSUM
//! <hash>` carries a hash of the state's change lines; a receiver holding
//! something else sends its state (the same lines as a link-up sync) and
//! `OPULL` to get the other's. Merging is idempotent, so duplicates are
//! harmless.
//!
//! What a link owes its neighbour ([`Repair`]: a round to start, digests
//! and leaf descriptions to send, lines the neighbour lacks, the Olympic
//! state) is kept in its outbox as flags, node sets and shared handles to
//! stored lines, never as queued messages, so it cannot be dropped by a
//! full queue; the link's writer builds the messages when it writes them,
//! after the queued ones.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rustc_hash::FxHashSet;
use tokio::time::Instant;

use super::outbox::Outbox;
use super::registry::Counters;
use crate::shared::Shared;
use proto::digest::{FANOUT, Node, NodeSet, line_hash};
use proto::location::Location;
use proto::peer::{MAX_HAVE, Message};

/// Anti-entropy work a link owes its neighbour. Kept in the link's outbox
/// as flags and node sets, so it is bounded (the lines to send are shared
/// handles to stored locations), asked-for work is never dropped however
/// full the link is, and the messages are built from the state at the
/// moment they are written.
#[derive(Debug, Default)]
pub(crate) struct Repair {
    /// Start a round: send the top of the digest and the Olympic digest.
    pub(crate) round: bool,
    /// Inner nodes whose children's hashes to send (`SUMS`).
    pub(crate) sums: NodeSet,
    /// Leaves whose line hashes to send, asking for the neighbour's (`HAVE`).
    pub(crate) have: NodeSet,
    /// Leaves whose line hashes to send as an answer (`HAD`).
    pub(crate) had: NodeSet,
    /// Stored locations the neighbour lacks.
    pub(crate) lines: Vec<Arc<Location>>,
    /// Ask for the neighbour's Olympic state (`OPULL`).
    pub(crate) olympic_pull: bool,
    /// Send the whole Olympic state.
    pub(crate) olympic_send: bool,
}

impl Repair {
    /// True when nothing is owed.
    pub(crate) fn is_empty(&self) -> bool {
        !self.round
            && !self.olympic_pull
            && !self.olympic_send
            && self.sums.is_empty()
            && self.have.is_empty()
            && self.had.is_empty()
            && self.lines.is_empty()
    }

    /// Moves everything owed into `into`, leaving `self` empty.
    pub(crate) fn move_into(&mut self, into: &mut Repair) {
        into.round |= std::mem::take(&mut self.round);
        into.olympic_pull |= std::mem::take(&mut self.olympic_pull);
        into.olympic_send |= std::mem::take(&mut self.olympic_send);
        self.sums.move_into(&mut into.sums);
        self.have.move_into(&mut into.have);
        self.had.move_into(&mut into.had);
        into.lines.append(&mut self.lines);
    }

    /// Takes every owed message but the lines (which [`Repair::lines`]
    /// still holds), built from the state as it is now.
    pub(crate) fn control_messages(&mut self, shared: &Shared) -> Vec<Message> {
        let mut out = Vec::new();
        let round = std::mem::take(&mut self.round);
        if round {
            self.sums.insert(Node::ROOT);
        }
        let digest = shared.db.digest();
        while let Some(node) = self.sums.pop() {
            let hashes = digest.children(node);
            out.push(Message::Sums { node, hashes });
        }
        for (set, answer) in [(&mut self.have, true), (&mut self.had, false)] {
            while let Some(leaf) = set.pop() {
                out.extend(have_lines(shared, leaf, answer));
            }
        }
        if round {
            out.push(Message::OlympicSum(replica_digest(shared)));
        }
        if std::mem::take(&mut self.olympic_pull) {
            out.push(Message::OlympicPull);
        }
        if std::mem::take(&mut self.olympic_send) {
            out.extend(replica_state(shared));
        }
        out
    }
}

/// The `HAVE` (or `HAD`) lines that describe what this server holds in
/// `leaf`: one hash per stored line, [`MAX_HAVE`] per line at most.
fn have_lines(shared: &Shared, leaf: Node, answer: bool) -> Vec<Message> {
    let mut held = Vec::new();
    shared
        .db
        .leaf(leaf.leaf_index().unwrap_or_default(), &mut held);
    let hashes: Vec<u64> = held.iter().map(|l| line_hash(l.at_line())).collect();
    if hashes.is_empty() {
        return vec![Message::Have {
            leaf,
            hashes,
            answer,
        }];
    }
    hashes
        .chunks(MAX_HAVE)
        .map(|chunk| Message::Have {
            leaf,
            hashes: chunk.to_vec(),
            answer,
        })
        .collect()
}

/// One hash of every replica's state ([`super::replica`]).
pub(crate) fn replica_digest(shared: &Shared) -> u64 {
    super::replica::digest_of(&shared.replicas())
}

/// Every replica's whole state, as the messages that carry it.
pub(crate) fn replica_state(shared: &Shared) -> impl Iterator<Item = Message> {
    shared.replicas().into_iter().flat_map(|r| r.snapshot())
}

/// Takes in one anti-entropy message from `peer`, noting on `outbox` what
/// it calls for. Returns false for a message that is not about
/// anti-entropy.
pub(crate) fn answer(
    shared: &Shared,
    peer: &str,
    message: &Message,
    outbox: &Outbox,
    counters: &Counters,
) -> bool {
    match message {
        Message::Sums { node, hashes } => {
            answer_sums(shared, peer, *node, hashes, outbox, counters);
        }
        Message::Have {
            leaf,
            hashes,
            answer,
        } => answer_have(shared, *leaf, hashes, *answer, outbox),
        Message::OlympicSum(theirs) => {
            if *theirs != replica_digest(shared) {
                counters.note_repair(0);
                outbox.repair(|repair| {
                    repair.olympic_send = true;
                    repair.olympic_pull = true;
                });
            }
        }
        Message::OlympicPull => outbox.repair(|repair| repair.olympic_send = true),
        _ => return false,
    }
    true
}

/// `SUMS`: compares the neighbour's child hashes of `node` with ours and
/// owes the differing children (their sums, or for a leaf what we hold).
fn answer_sums(
    shared: &Shared,
    peer: &str,
    node: Node,
    hashes: &[u64; FANOUT],
    outbox: &Outbox,
    counters: &Counters,
) {
    let mine = shared.db.digest().children(node);
    let differing: Vec<Node> = (0..FANOUT)
        .filter(|&i| mine[i] != hashes[i])
        .filter_map(|i| node.child(i))
        .collect();
    if differing.is_empty() {
        if node == Node::ROOT {
            // Both hold the same locations: the neighbour is in sync.
            shared.peers.states().note_synced(peer);
        }
        return;
    }
    let leaves = differing.iter().filter(|n| n.is_leaf()).count();
    if leaves > 0 {
        counters.note_repair(leaves);
    }
    outbox.repair(|repair| {
        for child in differing {
            // A differing leaf: tell the neighbour what we hold there.
            let set = if child.is_leaf() {
                &mut repair.have
            } else {
                &mut repair.sums
            };
            set.insert(child);
        }
    });
}

/// `HAVE`/`HAD`: owes the neighbour the lines of `leaf` it lacks and, if it
/// asks for an `answer` and holds lines we lack, our own hashes there.
fn answer_have(shared: &Shared, leaf: Node, hashes: &[u64], answer: bool, outbox: &Outbox) {
    let Some(index) = leaf.leaf_index() else {
        return;
    };
    let theirs: FxHashSet<u64> = hashes.iter().copied().collect();
    let mut held = Vec::new();
    shared.db.leaf(index, &mut held);
    // Each stored line hashed once: what we hold, and what of it
    // they lack.
    let mut mine = FxHashSet::default();
    held.retain(|l| {
        let hash = line_hash(l.at_line());
        mine.insert(hash);
        !theirs.contains(&hash)
    });
    // They hold lines we lack: ask for them with our own hashes.
    let ask = answer && theirs.iter().any(|h| !mine.contains(h));
    if held.is_empty() && !ask {
        return;
    }
    outbox.repair(|repair| {
        repair.lines.append(&mut held);
        if ask {
            repair.had.insert(leaf);
        }
    });
}

/// While a link carries locations (whole or announced), rounds come this
/// many times less often:
/// a round taken mid-flood finds the floods still in flight as differences
/// and sends them a second time.
pub const BUSY_STRETCH: u32 = 10;

/// Starts a round every `every` (every `every × BUSY_STRETCH` while
/// locations moved on the link within the last `every`), and sooner once
/// the link's queue has dropped something and no location has moved on the
/// link for a quarter of `every` since, until the link ends. No round starts
/// while the last one's repairs are still owed: a round compared mid-repair
/// would find the same differences again and send the same leaves twice.
/// Neither starts one mid-flood: every location still in flight would show
/// as a difference and be sent again (with the stale lines of the side that
/// is behind), which loads the links more, drops more, and repairs again.
pub(crate) async fn run(outbox: &Outbox, counters: &Counters, every: Duration) -> super::LinkError {
    let check = (every / 10).max(Duration::from_millis(5));
    let mut last_round = Instant::now();
    let mut dropped_at_round = counters.stats().dropped;
    // Locations sent or announced, either way: a lazy link carries the
    // flood as announcements.
    let moved = || {
        let stats = counters.stats();
        stats.at_sent + stats.at_received + counters.announces.load(Ordering::Relaxed)
    };
    let (mut last_moved, mut moved_at) = (moved(), Instant::now());
    loop {
        tokio::time::sleep(check).await;
        let stats = counters.stats();
        if moved() != last_moved {
            (last_moved, moved_at) = (moved(), Instant::now());
        }
        let busy = moved_at.elapsed() < every;
        let wait = if busy { every * BUSY_STRETCH } else { every };
        let due = last_round.elapsed() >= wait;
        let quiet = moved_at.elapsed() >= every / 4 && outbox.is_idle();
        let after_drops = stats.dropped != dropped_at_round && quiet;
        if !(due || after_drops) || outbox.owes_repair() {
            continue;
        }
        outbox.repair(|repair| repair.round = true);
        last_round = Instant::now();
        dropped_at_round = stats.dropped;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::peer::Peers;

    #[tokio::test]
    async fn a_link_that_carries_only_announcements_is_busy_and_rounds_wait_until_it_is_quiet() {
        let peers = Peers::new(vec!["A".into()], 8);
        let link = peers.register("A", &CancellationToken::new());
        let every = Duration::from_secs(1);
        let rounds = {
            let (outbox, counters) = (Arc::clone(&link.outbox), Arc::clone(&link.counters));
            tokio::spawn(async move { run(&outbox, &counters, every).await })
        };
        // Three rounds' time of a lazy link's traffic: announcements only.
        for _ in 0..60 {
            link.counters.announces.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(every / 20).await;
        }
        assert!(
            !link.outbox.owes_repair(),
            "no round while the link carries the flood as announcements"
        );
        tokio::time::sleep(every * 3).await;
        assert!(
            link.outbox.owes_repair(),
            "a round once the link has been quiet for `every`"
        );
        rounds.abort();
    }
}
