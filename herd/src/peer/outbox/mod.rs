//! What one link has yet to send: the newest pending location per client,
//! and a short FIFO of everything else.
//!
//! Newest wins, so a link never needs more than one pending location per
//! client: an update that lands while an older one for the same client is
//! still waiting takes its place (keeping its turn) instead of queueing
//! behind it. Under load the neighbour then gets, parses and logs only the
//! updates it can use, and a burst for one client costs one line, not one
//! per report. Olympic changes and `PONG` go through a plain FIFO: their
//! order matters and they are few.
//!
//! Both are bounded by the link's queue capacity: a location for a client
//! not already pending, or a message for a full FIFO, is dropped and counted
//! (the neighbour gets the newest state at the next update for that client
//! or when its link is synced again). Pushing never waits; the lock is a
//! `std::sync::Mutex` held only to update or swap the containers, never
//! across an `.await`.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use tokio::sync::Notify;

use super::anti_entropy::Repair;
use proto::gossip::{Announced, MAX_ANNOUNCED};
use proto::location::Location;
use proto::peer::Message;

/// A pending location, found by its client ID. Hashed by the client hash
/// the location carries, so a push hashes no bytes.
#[derive(Debug, Clone)]
struct ClientKey(Arc<Location>);

impl Hash for ClientKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        ClientOf(&self.0).hash(state);
    }
}

impl PartialEq for ClientKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.same_client(&other.0)
    }
}

impl Eq for ClientKey {}

/// The client of a location, to look up its pending entry without taking
/// a reference count.
struct ClientOf<'a>(&'a Location);

impl Hash for ClientOf<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.client_hash());
    }
}

impl indexmap::Equivalent<ClientKey> for ClientOf<'_> {
    fn equivalent(&self, key: &ClientKey) -> bool {
        self.0.same_client(&key.0)
    }
}

/// Newest pending location per client, in the order clients first became
/// pending. The keys hash as their cached client hash, which a one-multiply
/// hasher spreads well enough.
type Locations = IndexMap<ClientKey, Arc<Location>, rustc_hash::FxBuildHasher>;

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Queued to be sent.
    Queued,
    /// Took the place of an older pending location for the same client, or
    /// was not newer than the one pending, so it was not needed.
    Coalesced,
    /// The outbox was full: dropped.
    Dropped,
}

/// Everything waiting to be written.
#[derive(Debug, Default)]
struct Pending {
    locations: Locations,
    /// Locations to announce (`IHAVE`) rather than send, while the link
    /// is lazy: newest per client, like `locations`.
    announced: Locations,
    fifo: VecDeque<Message>,
    /// Anti-entropy work owed to the neighbour: flags and node sets, so it
    /// is bounded however often it is asked for, and never dropped.
    repair: Repair,
    /// Some pending location was replaced by a newer one for its client
    /// since the writer last took: updates come faster than they are sent.
    superseded: bool,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.locations.is_empty()
            && self.announced.is_empty()
            && self.fifo.is_empty()
            && self.repair.is_empty()
    }
}

/// The outgoing side of one link, shared by everyone who floods to it and
/// the link's writer.
#[derive(Debug)]
pub(crate) struct Outbox {
    /// Most pending locations, and most pending FIFO messages.
    capacity: usize,
    pending: Mutex<Pending>,
    /// Wakes the writer when the outbox stops being empty.
    ready: Notify,
    /// Set while the writer sends repair work it took, so no new
    /// anti-entropy round starts before it is done.
    repairing: std::sync::atomic::AtomicBool,
    /// Whether locations go out whole (eager) or as announcements (lazy);
    /// see `spread.rs`.
    eager: std::sync::atomic::AtomicBool,
}

/// What the writer takes out in one go; kept by the writer and reused, so a
/// steady link allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Taken {
    locations: Locations,
    announced: Locations,
    fifo: VecDeque<Message>,
    /// Anti-entropy work to do after the messages.
    pub(crate) repair: Repair,
    /// Whether some location was superseded while these waited.
    pub(crate) superseded: bool,
}

/// Pending entries a link keeps room for between bursts: a burst grows its
/// maps to the clients it held (up to the queue's 65,536 by default), and
/// [`Taken::trim`] gives that room back once they are sent, so memory per
/// stored client does not carry every link's largest burst.
const KEEP_ROOM: usize = 4096;

impl Taken {
    /// Frees the room of a burst beyond [`KEEP_ROOM`] entries, once drained.
    pub(crate) fn trim(&mut self) {
        self.locations.shrink_to(KEEP_ROOM);
        self.announced.shrink_to(KEEP_ROOM);
        self.fifo.shrink_to(KEEP_ROOM);
    }

    /// Every taken message, FIFO first, then locations; leaves `self` empty
    /// with its capacity kept.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Message> + '_ {
        let mut announced = Vec::new();
        let mut batches = Vec::new();
        for (_, location) in self.announced.drain(..) {
            announced.push(Announced::of(&location));
            if announced.len() == MAX_ANNOUNCED {
                batches.push(Message::IHave(std::mem::take(&mut announced)));
            }
        }
        if !announced.is_empty() {
            batches.push(Message::IHave(announced));
        }
        self.fifo
            .drain(..)
            .chain(self.locations.drain(..).map(|(_, loc)| Message::At(loc)))
            .chain(batches)
    }
}

impl Outbox {
    /// An empty outbox holding at most `capacity` locations and `capacity`
    /// other messages (at least one each).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            pending: Mutex::new(Pending::default()),
            ready: Notify::new(),
            repairing: std::sync::atomic::AtomicBool::new(false),
            eager: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// True while locations go out whole on this link (it is a branch of
    /// the spreading tree); false while they are only announced.
    pub(crate) fn is_eager(&self) -> bool {
        self.eager.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Makes the link eager (push locations) or lazy (announce them).
    /// Returns whether that changed anything.
    pub(crate) fn set_eager(&self, eager: bool) -> bool {
        self.eager.swap(eager, std::sync::atomic::Ordering::Relaxed) != eager
    }

    /// Makes `location` the one pending for its client, unless a newer or
    /// equal one already is: to send while the link is eager, to announce
    /// while it is lazy.
    pub(crate) fn push_location(&self, location: &Arc<Location>) -> Pushed {
        let eager = self.is_eager();
        let mut guard = self.lock();
        let pending = &mut *guard;
        let was_empty = pending.is_empty();
        let held = if eager {
            &mut pending.locations
        } else {
            &mut pending.announced
        };
        let full = held.len() >= self.capacity;
        let pushed = match held.get_mut(&ClientOf(location)) {
            Some(held) => {
                if location.supersedes(held) {
                    *held = Arc::clone(location);
                    pending.superseded = true;
                }
                Pushed::Coalesced
            }
            None if full => Pushed::Dropped,
            None => {
                let key = ClientKey(Arc::clone(location));
                held.insert(key, Arc::clone(location));
                Pushed::Queued
            }
        };
        drop(guard);
        if was_empty && pushed == Pushed::Queued {
            self.ready.notify_one();
        }
        pushed
    }

    /// Queues a message that must go out in order (an Olympic change, `PONG`).
    pub(crate) fn push(&self, message: Message) -> Pushed {
        let mut pending = self.lock();
        if pending.fifo.len() >= self.capacity {
            return Pushed::Dropped;
        }
        let was_empty = pending.is_empty();
        pending.fifo.push_back(message);
        drop(pending);
        if was_empty {
            self.ready.notify_one();
        }
        Pushed::Queued
    }

    /// Notes anti-entropy work owed to the neighbour (`note` changes the
    /// link's [`Repair`]). Never fails: work asked for twice is done once.
    pub(crate) fn repair(&self, note: impl FnOnce(&mut Repair)) {
        let mut pending = self.lock();
        let was_empty = pending.is_empty();
        note(&mut pending.repair);
        let now_empty = pending.is_empty();
        drop(pending);
        if was_empty && !now_empty {
            self.ready.notify_one();
        }
    }

    /// True while anti-entropy work is owed to the neighbour (a round, a
    /// digest, leaves to pull or send), queued or being sent.
    pub(crate) fn owes_repair(&self) -> bool {
        self.repairing.load(std::sync::atomic::Ordering::Relaxed) || !self.lock().repair.is_empty()
    }

    /// The writer has sent all the repair work it took.
    pub(crate) fn repair_sent(&self) {
        self.repairing
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// True when nothing waits to be sent.
    pub(crate) fn is_idle(&self) -> bool {
        self.lock().is_empty()
    }

    /// Moves everything pending into `taken` (which must be empty); returns
    /// false when there was nothing.
    pub(crate) fn take(&self, taken: &mut Taken) -> bool {
        let mut pending = self.lock();
        if pending.is_empty() {
            return false;
        }
        std::mem::swap(&mut pending.locations, &mut taken.locations);
        std::mem::swap(&mut pending.fifo, &mut taken.fifo);
        std::mem::swap(&mut pending.announced, &mut taken.announced);
        pending.repair.move_into(&mut taken.repair);
        if !taken.repair.is_empty() {
            self.repairing
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        taken.superseded = std::mem::take(&mut pending.superseded);
        true
    }

    /// Messages pending: locations plus the FIFO.
    pub(crate) fn len(&self) -> usize {
        let pending = self.lock();
        pending.locations.len() + pending.fifo.len()
    }

    /// Resolves once something may have been pushed since the last
    /// [`Outbox::take`] that found it empty. May resolve spuriously.
    pub(crate) async fn ready(&self) {
        self.ready.notified().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().expect("outbox lock poisoned")
    }
}

#[cfg(test)]
mod tests;
