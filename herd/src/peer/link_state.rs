//! What an operator needs to know about each configured neighbour: is its
//! link up, since when, when was it last synced, why did it last fail, and
//! how much has been dropped and repaired on it.
//!
//! Links report here as they go: [`LinkStates::note_up`] and
//! [`LinkStates::note_down`] from a running link, [`LinkStates::note_failure`]
//! from a dial or handshake that did not make a link,
//! [`LinkStates::note_synced`] when an anti-entropy round found both ends
//! holding the same locations, [`LinkStates::note_repaired`] when anti-entropy
//! repaired something. A neighbour never reached since start counts as down
//! since start. STATUS, `/health` and the metrics read [`LinkStates::view`].
//!
//! The set of neighbours is fixed by the topology. Each entry has its own
//! `std` mutex, held only to copy or update a few fields, never across an
//! `.await`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::registry::LinkStats;

/// Longest failure reason kept, in bytes; a longer one is cut.
pub const MAX_REASON_LEN: usize = 256;

/// The transitions of one neighbour's link.
#[derive(Debug)]
struct State {
    /// Registration id of the live link; `None` while down.
    live: Option<u64>,
    /// When the link last came up or went down (or the server started).
    since: Instant,
    /// `since` on the wall clock, for people and other machines.
    since_wall: SystemTime,
    /// When this server last finished sending the neighbour a full sync.
    last_sync: Option<SystemTime>,
    /// Why the link last ended or failed to start.
    last_error: Option<String>,
}

/// One configured neighbour.
#[derive(Debug)]
struct Entry {
    /// The neighbour's name.
    peer: String,
    state: Mutex<State>,
    /// Messages dropped by links to this neighbour that have ended, so the
    /// drop count does not restart with each link.
    dropped_before: AtomicU64,
    /// Locations sent whole (`AT` lines) by links to this neighbour that
    /// have ended, for the same reason.
    locations_sent_before: AtomicU64,
    /// Entries repaired by anti-entropy on links to this neighbour.
    repairs: AtomicU64,
}

/// A copy of one neighbour's link state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    /// The neighbour's name.
    pub peer: String,
    /// Whether an authenticated link is up.
    pub up: bool,
    /// When the link entered its current state (wall clock).
    pub since: SystemTime,
    /// How long it has been in that state (monotonic clock).
    pub for_: Duration,
    /// When the last full sync to the neighbour was sent.
    pub last_sync: Option<SystemTime>,
    /// Why the link last ended or failed to start, if it ever did.
    pub last_error: Option<String>,
    /// Messages dropped on links to this neighbour that have ended.
    pub dropped_before: u64,
    /// Locations sent whole on links to this neighbour that have ended.
    pub locations_sent_before: u64,
    /// Entries repaired by anti-entropy on links to this neighbour.
    pub repairs: u64,
}

impl LinkView {
    /// True when the link is down and has been for longer than `after`.
    pub fn cut_off(&self, after: Duration) -> bool {
        !self.up && self.for_ > after
    }
}

/// The link state of every configured neighbour of one server.
#[derive(Debug)]
pub struct LinkStates {
    /// In name order.
    entries: Vec<Entry>,
}

impl LinkStates {
    /// Every neighbour down since now.
    pub fn new(neighbours: &[String]) -> Self {
        let (now, wall) = (Instant::now(), SystemTime::now());
        let mut entries: Vec<Entry> = neighbours
            .iter()
            .map(|peer| Entry {
                peer: peer.clone(),
                state: Mutex::new(State {
                    live: None,
                    since: now,
                    since_wall: wall,
                    last_sync: None,
                    last_error: None,
                }),
                dropped_before: AtomicU64::new(0),
                locations_sent_before: AtomicU64::new(0),
                repairs: AtomicU64::new(0),
            })
            .collect();
        entries.sort_by(|a, b| a.peer.cmp(&b.peer));
        entries.dedup_by(|a, b| a.peer == b.peer);
        Self { entries }
    }

    /// Link `id` to `peer` is up (authenticated and registered).
    pub fn note_up(&self, peer: &str, id: u64) {
        self.update(peer, |state| {
            if state.live.is_none() {
                state.since = Instant::now();
                state.since_wall = SystemTime::now();
            }
            state.live = Some(id);
        });
    }

    /// Link `id` to `peer` ended for `reason` with its counters at `ended`.
    /// A link that a newer one already replaced changes nothing but the
    /// running totals.
    pub fn note_down(&self, peer: &str, id: u64, reason: &dyn std::fmt::Display, ended: LinkStats) {
        let Some(entry) = self.entry(peer) else {
            return;
        };
        entry
            .dropped_before
            .fetch_add(ended.dropped, Ordering::Relaxed);
        (entry.locations_sent_before).fetch_add(ended.at_sent, Ordering::Relaxed);
        let mut state = lock(entry);
        if state.live == Some(id) {
            state.live = None;
            state.since = Instant::now();
            state.since_wall = SystemTime::now();
            state.last_error = Some(clipped(reason));
        }
    }

    /// An attempt to link with `peer` failed (connect or handshake).
    pub fn note_failure(&self, peer: &str, reason: &dyn std::fmt::Display) {
        self.update(peer, |state| state.last_error = Some(clipped(reason)));
    }

    /// An anti-entropy round has just found this server and `peer` holding
    /// the same locations.
    pub fn note_synced(&self, peer: &str) {
        self.update(peer, |state| state.last_sync = Some(SystemTime::now()));
    }

    /// Anti-entropy repaired `entries` on the link to `peer` (entries it
    /// found missing or stale on one side and sent).
    pub fn note_repaired(&self, peer: &str, entries: u64) {
        if let Some(entry) = self.entry(peer) {
            entry.repairs.fetch_add(entries, Ordering::Relaxed);
        }
    }

    /// Every configured neighbour's state, in name order.
    pub fn view(&self) -> Vec<LinkView> {
        self.entries
            .iter()
            .map(|entry| {
                let state = lock(entry);
                LinkView {
                    peer: entry.peer.clone(),
                    up: state.live.is_some(),
                    since: state.since_wall,
                    for_: state.since.elapsed(),
                    last_sync: state.last_sync,
                    last_error: state.last_error.clone(),
                    dropped_before: entry.dropped_before.load(Ordering::Relaxed),
                    locations_sent_before: entry.locations_sent_before.load(Ordering::Relaxed),
                    repairs: entry.repairs.load(Ordering::Relaxed),
                }
            })
            .collect()
    }

    fn entry(&self, peer: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.peer == peer)
    }

    /// Applies `change` to `peer`'s state; a name not configured is ignored.
    fn update(&self, peer: &str, change: impl FnOnce(&mut State)) {
        if let Some(entry) = self.entry(peer) {
            change(&mut lock(entry));
        }
    }
}

fn lock(entry: &Entry) -> std::sync::MutexGuard<'_, State> {
    entry.state.lock().expect("link state lock poisoned")
}

/// `reason` as text of at most [`MAX_REASON_LEN`] bytes.
fn clipped(reason: &dyn std::fmt::Display) -> String {
    let mut text = reason.to_string();
    if text.len() > MAX_REASON_LEN {
        let mut cut = MAX_REASON_LEN;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states() -> LinkStates {
        LinkStates::new(&["Hands".into(), "Goloman".into()])
    }

    fn of<'a>(views: &'a [LinkView], peer: &str) -> &'a LinkView {
        views.iter().find(|v| v.peer == peer).unwrap()
    }

    #[test]
    fn a_neighbour_never_reached_is_down_since_start() {
        let states = states();
        std::thread::sleep(Duration::from_millis(20));
        let views = states.view();
        assert_eq!(
            views.iter().map(|v| v.peer.as_str()).collect::<Vec<_>>(),
            ["Goloman", "Hands"]
        );
        let hands = of(&views, "Hands");
        assert!(!hands.up);
        assert!(hands.cut_off(Duration::from_millis(10)));
        assert!(!hands.cut_off(Duration::from_secs(10)));
    }

    #[test]
    fn up_then_down_keeps_the_reason_and_restarts_the_clock() {
        let states = states();
        states.note_up("Hands", 1);
        states.note_synced("Hands");
        let hands = of(&states.view(), "Hands").clone();
        assert!(hands.up && hands.last_sync.is_some());
        let ended = LinkStats {
            dropped: 3,
            at_sent: 7,
            ..LinkStats::default()
        };
        states.note_down("Hands", 1, &"closed by the neighbour", ended);
        let hands = of(&states.view(), "Hands").clone();
        assert!(!hands.up);
        assert!(!hands.cut_off(Duration::from_secs(1)));
        assert_eq!(hands.last_error.as_deref(), Some("closed by the neighbour"));
        assert_eq!(hands.dropped_before, 3);
        assert_eq!(hands.locations_sent_before, 7);
    }

    #[test]
    fn the_end_of_a_replaced_link_does_not_take_the_new_one_down() {
        let states = states();
        states.note_up("Hands", 1);
        states.note_up("Hands", 2);
        states.note_down(
            "Hands",
            1,
            &"replaced by a newer link",
            LinkStats::default(),
        );
        assert!(of(&states.view(), "Hands").up);
    }

    #[test]
    fn failures_and_repairs_are_kept_per_neighbour_and_unknown_names_ignored() {
        let states = states();
        states.note_failure("Hands", &"x".repeat(1000));
        states.note_repaired("Goloman", 5);
        states.note_repaired("Nobody", 5);
        states.note_failure("Nobody", &"y");
        let views = states.view();
        assert_eq!(
            of(&views, "Hands").last_error.as_ref().unwrap().len(),
            MAX_REASON_LEN
        );
        assert_eq!(of(&views, "Goloman").repairs, 5);
        assert_eq!(views.len(), 2);
    }
}
