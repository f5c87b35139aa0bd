//! How locations spread over the links: a Plumtree (Leitão, Pereira and
//! Rodrigues, "Epidemic Broadcast Trees", SRDS 2007).
//!
//! Every link starts *eager*: a location a server takes goes out whole on
//! it. A location that arrives over an eager link and is not taken (the
//! server had it already, by a faster path) makes the link *lazy* at this
//! end and sends `PRUNE`, which makes it lazy at the other end too. So the
//! eager links thin out to a tree made of the first arrivals, the fastest
//! paths, and on the five-server graph each report costs four location
//! messages instead of eight.
//!
//! On a lazy link a taken location is only *announced*: `IHAVE client
//! time`, batched with the link's other lines. A server that hears of a
//! location it does not hold waits [`GRAFT_AFTER`] for it to arrive by the
//! tree; if it has not, the tree is broken somewhere (a link or a server
//! went down), so it sends `GRAFT client` to the announcer, which makes
//! that link eager at both ends and sends the locations asked for. Lost
//! announcements and grafts are harmless: anti-entropy repairs whatever a
//! link lost.
//!
//! A tree under load is slow, not broken: a location can wait in a busy
//! eager link's queue longer than [`GRAFT_AFTER`], and grafting it then
//! makes a second eager path that sends every location twice until a
//! duplicate prunes it. So while locations keep arriving whole at this
//! server ([`Flow`]), the tree is taken to be up and an announced location
//! is given up to [`GRAFT_PATIENCE`] to arrive before it is grafted; when
//! nothing arrives (the tree above this server is cut), it is grafted
//! after [`GRAFT_AFTER`] as before.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indexmap::IndexMap;
use proto::gossip::{Announced, MAX_ANNOUNCED};
use proto::peer::Message;
use tokio::time::Instant;

use super::link::LinkError;
use super::outbox::Outbox;
use super::registry::Counters;
use crate::shared::Shared;

/// How long an announced location may take to arrive by the tree before
/// this server asks the announcer for it.
pub const GRAFT_AFTER: Duration = Duration::from_millis(100);

/// How long an announced location may take to arrive while locations
/// still arrive whole at this server (the tree is up, only slow), before
/// this server asks the announcer for it. Well within the one second in
/// which a server must get every update after a link or server fails.
pub const GRAFT_PATIENCE: Duration = Duration::from_millis(500);

/// Most announced-but-missing locations one link keeps waiting for; the
/// rest are left to anti-entropy. Each costs about 100 bytes (its client
/// ID, times, and its slot), so this bounds a link's list to about 400 KB.
pub const MAX_MISSING: usize = 4096;

/// How often the announced-but-missing locations are checked.
const CHECK_EVERY: Duration = Duration::from_millis(20);

/// When a location last arrived whole at this server, over any link: while
/// they keep arriving, the spreading tree is up. One per server.
#[derive(Debug)]
pub(crate) struct Flow {
    /// What `last` counts from.
    start: Instant,
    /// One more than the milliseconds from `start` to the last arrival; 0
    /// while nothing has arrived.
    last: AtomicU64,
}

impl Default for Flow {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            last: AtomicU64::new(0),
        }
    }
}

impl Flow {
    /// A location arrived whole.
    pub(crate) fn arrived(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last.store(ms + 1, Ordering::Relaxed);
    }

    /// True if a location arrived whole later than `within` before `now`
    /// (or at any time after `now`).
    fn since(&self, now: Instant, within: Duration) -> bool {
        match self.last.load(Ordering::Relaxed) {
            0 => false,
            ms => {
                now.saturating_duration_since(self.start + Duration::from_millis(ms - 1)) < within
            }
        }
    }
}

/// One announced location this server lacks.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    /// The newest client time announced.
    time: i128,
    /// When it was first announced.
    heard: Instant,
    /// When to check for it next.
    due: Instant,
}

/// What to do about an announced location once it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// It has not arrived, but the tree is up: look again shortly.
    Wait,
    /// It (or a newer one) arrived: forget it.
    Arrived,
    /// Ask the announcer for it.
    Graft,
}

impl Waiting {
    /// Decides, at `now`, about a due announcement of which this server
    /// holds the client time `held`, while locations arrive whole
    /// (`flowing`) or not. Waiting moves `due` on by [`CHECK_EVERY`].
    fn check(&mut self, held: Option<i128>, flowing: bool, now: Instant) -> Check {
        if held.is_some_and(|held| held >= self.time) {
            return Check::Arrived;
        }
        if flowing && now < self.heard + GRAFT_PATIENCE {
            self.due = now + CHECK_EVERY;
            return Check::Wait;
        }
        Check::Graft
    }
}

/// Announced locations this server lacks, heard over one link, by client.
/// Bounded; what does not fit is left to anti-entropy.
#[derive(Debug)]
pub(crate) struct Missing {
    waiting: Mutex<IndexMap<String, Waiting>>,
    capacity: usize,
}

impl Missing {
    /// An empty list holding at most `capacity` clients.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            waiting: Mutex::new(IndexMap::new()),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IndexMap<String, Waiting>> {
        self.waiting.lock().expect("missing list lock poisoned")
    }
}

/// After a location arrived over the link to `peer`: one that was not taken
/// over an eager link prunes it.
pub(crate) fn arrived(peer: &str, taken: bool, outbox: &Outbox, counters: &Counters) {
    if !taken && outbox.set_eager(false) {
        counters.note(peer, outbox.push(Message::Prune));
    }
}

/// Takes in one spreading message from `peer`. Returns false for a message
/// that is not about spreading.
pub(crate) fn answer(
    shared: &Shared,
    peer: &str,
    message: Message,
    outbox: &Outbox,
    missing: &Missing,
    counters: &Counters,
) -> bool {
    match message {
        Message::Prune => {
            outbox.set_eager(false);
        }
        Message::IHave(items) => {
            let now = Instant::now();
            let mut waiting = missing.lock();
            for Announced { client, time } in items {
                let held = shared.db.get(&client).map(|l| l.client_time());
                if held.is_some_and(|held| held >= time) || waiting.len() >= missing.capacity {
                    continue;
                }
                let entry = waiting.entry(client).or_insert(Waiting {
                    time,
                    heard: now,
                    due: now + GRAFT_AFTER,
                });
                entry.time = entry.time.max(time);
            }
        }
        Message::Graft(clients) => {
            outbox.set_eager(true);
            for client in clients {
                if let Some(location) = shared.db.get(&client) {
                    counters.note(peer, outbox.push_location(&location));
                }
            }
        }
        _ => return false,
    }
    true
}

/// Asks `peer` for the locations it announced that have not arrived by the
/// tree in time, until the link ends.
pub(crate) async fn run(
    shared: &Shared,
    peer: &str,
    outbox: &Outbox,
    missing: &Missing,
    counters: &Counters,
) -> LinkError {
    let mut checked = Instant::now();
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let now = Instant::now();
        // The tree still brings locations: it is slow, not cut. Counted
        // from the last check, not from now: a server that was not
        // scheduled for a while has not read what arrived meanwhile.
        let flowing = shared.peers.flow().since(checked, GRAFT_AFTER);
        checked = now;
        let mut due = Vec::new();
        missing.lock().retain(|client, waiting| {
            if waiting.due > now {
                return true;
            }
            let held = shared.db.get(client).map(|l| l.client_time());
            match waiting.check(held, flowing, now) {
                Check::Wait => true,
                Check::Arrived => false,
                Check::Graft => {
                    due.push(client.clone());
                    false
                }
            }
        });
        {
            // A burst of announcements grows the list; give the room back.
            let mut waiting = missing.lock();
            if waiting.is_empty() {
                waiting.shrink_to_fit();
            }
        }
        if due.is_empty() {
            continue;
        }
        outbox.set_eager(true);
        for clients in due.chunks(MAX_ANNOUNCED) {
            counters.note(peer, outbox.push(Message::Graft(clients.to_vec())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heard_at(now: Instant) -> Waiting {
        Waiting {
            time: 10,
            heard: now,
            due: now + GRAFT_AFTER,
        }
    }

    #[test]
    fn an_announced_location_that_arrived_newer_or_equal_is_forgotten() {
        let now = Instant::now();
        for held in [10, 11] {
            let check = heard_at(now).check(Some(held), false, now + GRAFT_AFTER);
            assert_eq!(check, Check::Arrived);
        }
    }

    #[test]
    fn with_nothing_arriving_a_missing_location_is_grafted_once_due() {
        let now = Instant::now();
        let check = heard_at(now).check(Some(9), false, now + GRAFT_AFTER);
        assert_eq!(check, Check::Graft);
        assert_eq!(
            heard_at(now).check(None, false, now + GRAFT_AFTER),
            Check::Graft
        );
    }

    #[test]
    fn while_the_tree_still_delivers_a_missing_location_waits_up_to_the_patience() {
        let now = Instant::now();
        let mut waiting = heard_at(now);
        let mut at = now + GRAFT_AFTER;
        while at < now + GRAFT_PATIENCE {
            assert_eq!(waiting.check(None, true, at), Check::Wait, "{:?}", at - now);
            assert_eq!(waiting.due, at + CHECK_EVERY);
            at = waiting.due;
        }
        assert_eq!(waiting.check(None, true, at), Check::Graft);
    }

    #[test]
    fn the_flow_counts_only_recent_arrivals() {
        let flow = Flow::default();
        let now = Instant::now();
        assert!(!flow.since(now, GRAFT_AFTER), "nothing arrived yet");
        flow.arrived();
        let now = Instant::now();
        assert!(flow.since(now, GRAFT_AFTER));
        assert!(!flow.since(now + GRAFT_AFTER * 2, GRAFT_AFTER));
        let before = now.checked_sub(GRAFT_AFTER * 5).unwrap_or(now);
        assert!(
            flow.since(before, GRAFT_AFTER),
            "arrived after the reference"
        );
    }
}
