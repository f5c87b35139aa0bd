//! The raffle kept beside the delivered sequence: every `every`-th
//! delivered request is an entry, and a delivered draw names a winner
//! picked by a hash of the entries delivered before it, so every replica
//! that delivered the same sequence names the same winner.

use serde::Serialize;
use sha2::{Digest, Sha256};

use proto::order::Stamped;

/// The request a draw is ordered as (`POST /raffle/draw/{auth_id}`).
pub const DRAW_REQUEST: &str = "drawRaffle";

/// One raffle entry, as `GET /raffle` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Its position in the delivered sequence (from 1).
    pub position: u64,
    /// Who made the request.
    pub tablet: String,
    /// What it was, e.g. `getMedalTally/Gaul`.
    pub request: String,
    /// The server that took it.
    pub server: String,
    /// Its Lamport time.
    pub lamport: u64,
}

/// The entries and the winner, as delivered so far.
#[derive(Debug, Clone)]
pub struct Raffle {
    /// Every `every`-th delivered request is an entry.
    every: u64,
    /// Requests delivered.
    ordered: u64,
    /// The entries, in position order. Grows by one per `every` requests:
    /// the raffle lists them all.
    entries: Vec<Entry>,
    /// Named by the last draw delivered that found entries.
    winner: Option<Entry>,
}

impl Raffle {
    /// An empty raffle taking every `every`-th request (at least 1).
    pub fn new(every: u64) -> Self {
        Self {
            every: every.max(1),
            ordered: 0,
            entries: Vec::new(),
            winner: None,
        }
    }

    /// Requests delivered so far.
    pub fn ordered(&self) -> u64 {
        self.ordered
    }

    /// Every how many requests an entry is taken.
    pub fn every(&self) -> u64 {
        self.every
    }

    /// The entries so far.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The winner, once drawn.
    pub fn winner(&self) -> Option<&Entry> {
        self.winner.as_ref()
    }

    /// Delivers `req` at the next position; returns the entry it made, if
    /// it is one.
    pub fn deliver(&mut self, req: &Stamped) -> Option<Entry> {
        self.ordered += 1;
        if req.request == DRAW_REQUEST {
            self.draw();
        }
        self.ordered.is_multiple_of(self.every).then(|| {
            let entry = Entry {
                position: self.ordered,
                tablet: req.tablet.clone(),
                request: req.request.clone(),
                server: req.origin.clone(),
                lamport: req.lamport,
            };
            self.entries.push(entry.clone());
            entry
        })
    }

    /// Names the winner among the entries so far: the one a SHA-256 of all
    /// of them picks. No entries, no winner.
    fn draw(&mut self) {
        if self.entries.is_empty() {
            return;
        }
        let mut hash = Sha256::new();
        for e in &self.entries {
            let line = format!(
                "{} {} {} {} {}\n",
                e.position, e.tablet, e.request, e.server, e.lamport
            );
            hash.update(line.as_bytes());
        }
        let digest = hash.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let pick = u64::from_be_bytes(first) % self.entries.len() as u64;
        self.winner = Some(self.entries[pick as usize].clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(n: u64, request: &str) -> Stamped {
        Stamped {
            origin: "Hands".into(),
            seq: n,
            lamport: n * 2,
            tablet: format!("t{n}"),
            request: request.into(),
        }
    }

    #[test]
    fn every_nth_request_is_an_entry_and_the_draw_is_a_function_of_them() {
        let mut a = Raffle::new(3);
        let mut b = Raffle::new(3);
        for n in 1..=10 {
            a.deliver(&req(n, "getScore/Run"));
            b.deliver(&req(n, "getScore/Run"));
        }
        assert_eq!(
            a.entries().iter().map(|e| e.position).collect::<Vec<_>>(),
            [3, 6, 9]
        );
        assert_eq!(a.winner(), None);
        a.deliver(&req(11, DRAW_REQUEST));
        b.deliver(&req(11, DRAW_REQUEST));
        assert!(a.winner().is_some());
        assert_eq!(a.winner(), b.winner());
        assert!(a.entries().contains(a.winner().unwrap()));
        let mut empty = Raffle::new(3);
        empty.deliver(&req(1, DRAW_REQUEST));
        assert_eq!(empty.winner(), None, "nothing to draw from");
    }
}
