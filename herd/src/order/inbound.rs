//! What one server knows of one origin's stream of ordering lines: the
//! requests received in sequence (FIFO per origin, whatever path each line
//! took over the overlay), those that came early, how far the origin's
//! clock is known to have passed, and how far the origin has acknowledged
//! every other origin's requests.

use std::collections::BTreeMap;
use std::time::Instant;

use proto::order::Stamped;

/// Requests kept that arrived ahead of a gap, per origin; later ones are
/// dropped and asked for again once the gap is filled.
pub const MAX_AHEAD: usize = 4096;

/// One origin's stream, as this server has received it.
#[derive(Debug, Default, Clone)]
pub struct Inbound {
    /// The origin's requests 1..=contig have all been received.
    pub contig: u64,
    /// The origin stamps nothing at or below this again: the greatest
    /// Lamport time of its lines received in sequence.
    pub seen: u64,
    /// Requests received past a gap, by sequence number.
    pub ahead: BTreeMap<u64, Stamped>,
    /// The greatest sequence number the origin is known to have sent.
    pub announced: u64,
    /// The origin's acknowledgements: for every origin, the last of its
    /// requests this origin holds in sequence (from its `OCLK`).
    pub acked: BTreeMap<String, u64>,
    /// Since when a gap has been open, for asking again.
    pub gap_since: Option<Instant>,
    /// When the last `OWANT` for this origin went out.
    pub last_want: Option<Instant>,
}

impl Inbound {
    /// Takes `req` (from this origin). Returns the requests that are now in
    /// sequence, in order: none for a duplicate or one past a gap.
    pub fn accept(&mut self, req: Stamped) -> Vec<Stamped> {
        self.announced = self.announced.max(req.seq);
        if req.seq <= self.contig {
            return Vec::new();
        }
        if req.seq > self.contig + 1 {
            if self.ahead.len() < MAX_AHEAD {
                self.ahead.insert(req.seq, req);
            }
            return Vec::new();
        }
        let mut ready = vec![req];
        self.advance(ready[0].seq, ready[0].lamport);
        while let Some(next) = self.ahead.remove(&(self.contig + 1)) {
            self.advance(next.seq, next.lamport);
            ready.push(next);
        }
        ready
    }

    fn advance(&mut self, seq: u64, lamport: u64) {
        self.contig = seq;
        self.seen = self.seen.max(lamport);
    }

    /// Takes the origin's beacon: it had sent requests up to `seq` and its
    /// clock read `lamport`. Counts only once those requests are here (the
    /// beacon must not overtake them).
    pub fn beacon(&mut self, seq: u64, lamport: u64, acked: &[(String, u64)]) {
        self.announced = self.announced.max(seq);
        if seq <= self.contig {
            self.seen = self.seen.max(lamport);
        }
        for (name, upto) in acked {
            if let Some(have) = self.acked.get_mut(name) {
                *have = (*have).max(*upto);
            } else if self.acked.len() < proto::order::MAX_NAMES {
                self.acked.insert(name.clone(), *upto);
            }
        }
    }

    /// True while requests are known to be missing.
    pub fn has_gap(&self) -> bool {
        self.announced > self.contig
    }

    /// Forgets everything past `cut` (the origin left the view there).
    pub fn cut_at(&mut self, cut: u64) {
        self.ahead.retain(|seq, _| *seq <= cut);
        self.contig = self.contig.min(cut);
        self.announced = self.announced.min(cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(seq: u64, lamport: u64) -> Stamped {
        Stamped {
            origin: "A".into(),
            seq,
            lamport,
            tablet: "t".into(),
            request: "r".into(),
        }
    }

    #[test]
    fn requests_come_out_in_sequence_whatever_order_they_arrive_in() {
        let mut inbound = Inbound::default();
        assert!(inbound.accept(req(2, 5)).is_empty());
        assert!(inbound.has_gap());
        inbound.beacon(3, 9, &[]);
        assert_eq!(inbound.seen, 0, "a beacon past a gap does not count");
        let ready = inbound.accept(req(1, 3));
        assert_eq!(ready.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2]);
        assert!(inbound.accept(req(1, 3)).is_empty(), "duplicate");
        assert_eq!((inbound.contig, inbound.seen), (2, 5));
        inbound.accept(req(3, 7));
        inbound.beacon(3, 9, &[("B".into(), 4)]);
        assert_eq!((inbound.seen, inbound.acked["B"]), (9, 4));
        assert!(!inbound.has_gap());
    }
}
