//! Who this server hears: every server floods a `HERE` beacon every
//! [`BEACON_EVERY`], and any coordination line counts as hearing its
//! origin. A server not heard for [`MEMBER_TIMEOUT`] is taken to be on the
//! other side of a partition (or dead). From this the server knows how many
//! others it hears (the election's "am I alone?") and whether its side
//! holds a majority of the configured servers.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proto::coord::Coord;

/// How often a server floods `HERE`.
pub const BEACON_EVERY: Duration = Duration::from_millis(150);

/// A server not heard for this long (four beacons) is no longer counted on
/// this side. Shorter than the election's `LEADER_TIMEOUT`, so a server
/// that has lost everyone knows it is alone by the time it would call an
/// election, and leads itself without raising the term.
pub const MEMBER_TIMEOUT: Duration = Duration::from_millis(600);

/// The servers this one hears, and its own beacons.
#[derive(Debug)]
pub struct Members {
    /// This server's name.
    me: String,
    /// How many servers the topology configures, this one included.
    configured: usize,
    /// When each other server was last heard. Bounded by the topology:
    /// only configured names are kept.
    heard: BTreeMap<String, Instant>,
    /// Beacons sent; each `HERE` line is new, so floods forward it.
    seq: u64,
    /// When the next beacon is due.
    next_beacon: Instant,
}

impl Members {
    /// A server of `configured` that hears nobody yet. `first_seq` numbers
    /// its first beacon (see [`Election::new`](super::election::Election::new)).
    pub fn new(me: &str, configured: &[String], now: Instant, first_seq: u64) -> Self {
        Self {
            me: me.to_owned(),
            configured: configured.len().max(1),
            heard: configured
                .iter()
                .filter(|n| *n != me)
                .map(|n| (n.clone(), now.checked_sub(MEMBER_TIMEOUT).unwrap_or(now)))
                .collect(),
            seq: first_seq,
            next_beacon: now,
        }
    }

    /// Notes that `origin` was heard at `now` (names not configured are ignored).
    pub fn heard(&mut self, origin: &str, now: Instant) {
        if let Some(at) = self.heard.get_mut(origin) {
            *at = now;
        }
    }

    /// The other servers heard within [`MEMBER_TIMEOUT`], in name order.
    pub fn side(&self, now: Instant) -> Vec<&str> {
        self.heard
            .iter()
            .filter(|(_, at)| now.saturating_duration_since(**at) < MEMBER_TIMEOUT)
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// How many other servers this one hears.
    pub fn others(&self, now: Instant) -> usize {
        self.side(now).len()
    }

    /// True when this server and those it hears are more than half of the
    /// configured servers: what a change that must not happen on a minority
    /// side requires.
    pub fn has_majority(&self, now: Instant) -> bool {
        (self.others(now) + 1) * 2 > self.configured
    }

    /// A beacon to flood, if one is due.
    pub fn beacon(&mut self, now: Instant) -> Option<Coord> {
        if now < self.next_beacon {
            return None;
        }
        self.next_beacon = now + BEACON_EVERY;
        self.seq += 1;
        Some(Coord::Here {
            origin: self.me.clone(),
            seq: self.seq,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_counts_only_servers_heard_recently() {
        let names: Vec<String> = ["A", "B", "C", "D", "E"].map(String::from).to_vec();
        let start = Instant::now();
        let mut members = Members::new("A", &names, start, 0);
        assert!(!members.has_majority(start), "alone is a minority of 5");
        members.heard("B", start);
        assert!(!members.has_majority(start), "2 of 5");
        members.heard("C", start);
        members.heard("Zed", start);
        assert!(members.has_majority(start), "3 of 5");
        assert_eq!(members.side(start), ["B", "C"]);
        let later = start + MEMBER_TIMEOUT;
        assert_eq!(members.others(later), 0, "not heard for the timeout");
    }
}
