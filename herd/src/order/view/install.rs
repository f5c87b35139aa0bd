//! Step 4 of the view change: a member takes the leader's `OVIEW`, waits
//! until it holds every request up to the cut, delivers them in the old
//! view (the old members' first, then the others'), and switches to the
//! new view; requests of servers left out wait until they rejoin.

use super::Installing;
use crate::order::engine::{Engine, View};

/// A hold-back queue key: `(lamport, origin)`.
type QueueKey = (u64, String);

impl Engine {
    pub(super) fn receive_install(
        &mut self,
        view: u64,
        members: &[String],
        old: &[String],
        cut: &[(String, u64)],
    ) {
        self.change.note_view(view);
        let mine = self.change.frozen.as_ref().is_some_and(|f| f.view == view);
        if !mine || !members.contains(&self.me) {
            return;
        }
        for (origin, seq) in cut {
            if let Some(inbound) = self.inbound.get_mut(origin) {
                inbound.announced = inbound.announced.max(*seq);
            }
        }
        self.change.installing = Some(Installing {
            view,
            members: members.iter().cloned().collect(),
            old: old.iter().cloned().collect(),
            cut: cut.iter().cloned().collect(),
        });
        self.try_install();
    }

    /// Installs the view once every request up to the cut is held:
    /// delivers them all in order, in the old view, then switches.
    pub(in crate::order) fn try_install(&mut self) {
        let Some(inst) = self.change.installing.clone() else {
            return;
        };
        let held_all = inst.cut.iter().all(|(origin, seq)| {
            *origin == self.me || self.inbound.get(origin).is_none_or(|i| i.contig >= *seq)
        });
        if !held_all {
            return;
        }
        let up_to = |o: &str, s: u64| inst.cut.get(o).is_some_and(|c| s <= *c);
        let (mut batch, outside): (Vec<QueueKey>, Vec<QueueKey>) = self
            .pending
            .iter()
            .filter(|((_, o), s)| up_to(o, **s))
            .map(|(k, _)| k.clone())
            .partition(|(_, o)| inst.old.contains(o));
        batch.extend(outside);
        for key in batch {
            if let Some(seq) = self.pending.remove(&key)
                && let Some(req) = self.held.get(&(key.1.clone(), seq)).cloned()
            {
                self.record(req, self.view.id);
            }
        }
        // Requests of servers left out wait until they rejoin.
        let outside: Vec<String> = self
            .servers
            .iter()
            .filter(|s| !inst.members.contains(*s))
            .cloned()
            .collect();
        for name in &outside {
            let c = inst.cut.get(name).copied().unwrap_or(0);
            self.pending.retain(|(_, o), s| o != name || *s <= c);
            if let Some(inbound) = self.inbound.get_mut(name) {
                inbound.cut_at(c);
            }
            for inbound in self.inbound.values_mut() {
                if let Some(a) = inbound.acked.get_mut(name) {
                    *a = (*a).min(c);
                }
            }
        }
        tracing::info!(event = "view_installed", view = inst.view, members = ?inst.members, position = self.raffle.ordered());
        self.view = View {
            id: inst.view,
            members: inst.members,
        };
        self.change.installing = None;
        self.change.frozen = None;
        self.views_installed.push(self.view.clone());
        // Beacon at once: the members count only beacons of this view.
        self.beaconed = (0, 0);
        self.deliver();
    }
}
