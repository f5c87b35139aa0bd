//! Catching up during a view change: a member coming back from another
//! view asks the leader for the delivered sequence (`OFETCH`), the leader
//! answers with `OLOG` lines, and the member delivers them in position
//! order before it answers the proposal.

use proto::order::Order;

use crate::order::MAX_RESEND;
use crate::order::engine::Engine;

impl Engine {
    /// Sends the delivered sequence from `from` to `asker`, if this
    /// server leads the proposal it catches up for.
    pub(super) fn answer_fetch(&mut self, asker: &str, from: u64) {
        let leads = self.change.leading.is_some()
            || self
                .change
                .frozen
                .as_ref()
                .is_some_and(|f| f.leader == self.me);
        if !leads {
            return;
        }
        let entries: Vec<(u64, u64, String, u64)> = self
            .log
            .iter()
            .filter(|(p, ..)| *p >= from)
            .take(MAX_RESEND)
            .cloned()
            .collect();
        for (position, view, origin, seq) in entries {
            let Some(req) = self.held.get(&(origin, seq)).cloned() else {
                continue;
            };
            self.nonce += 1;
            let line = Order::Log {
                to: asker.to_owned(),
                nonce: self.nonce,
                position,
                view,
                req,
            };
            self.send(line);
        }
    }

    /// Delivers the caught-up `OLOG` entries that are next in sequence.
    pub(super) fn apply_log(&mut self) {
        while let Some((view, req)) = self.change.log_ahead.remove(&(self.raffle.ordered() + 1)) {
            if let Some(seq) = self.pending.remove(&(req.lamport, req.origin.clone()))
                && seq != req.seq
            {
                self.pending.insert((req.lamport, req.origin.clone()), seq);
            }
            if let Some(inbound) = self.inbound.get_mut(&req.origin) {
                inbound.ahead.retain(|s, _| *s > req.seq);
                inbound.contig = inbound.contig.max(req.seq);
                inbound.seen = inbound.seen.max(req.lamport);
            }
            self.clock = self.clock.max(req.lamport);
            self.held.insert((req.origin.clone(), req.seq), req.clone());
            self.record(req, view);
        }
        self.change
            .log_ahead
            .retain(|p, _| *p > self.raffle.ordered());
    }
}
