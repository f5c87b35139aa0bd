//! Deterministic tests of the total order on a simulated overlay: the real
//! [`Engine`] of each of the course's five servers, lines flooded hop by
//! hop over its topology with seeded random delays (so lines from
//! different origins, and even on one link, overtake each other), requests
//! taken at random servers, servers killed and restarted, links cut and
//! healed. Each seed is the same run every time.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use proto::order::Order;

use super::engine::Engine;
use super::view::Observed;
use super::{Entry, TICK};
use crate::peer::tests::harness::{FIVE, FIVE_LINKS, linked, pair};

/// Longest a test lets simulated time run waiting for something.
const PATIENCE: Duration = Duration::from_secs(60);

/// `[raffle] every` in these tests.
const EVERY: u64 = 10;

/// `[raffle] suspect_ms` in these tests.
const SUSPECT: Duration = Duration::from_millis(1500);

type Key = (String, u64);

struct Sim {
    rng: StdRng,
    /// Longest delay of one hop.
    max_delay_ms: u64,
    nodes: BTreeMap<String, Engine>,
    links: BTreeSet<(String, String)>,
    cut: BTreeSet<(String, String)>,
    now: Instant,
    next_tick: Instant,
    /// Lines in flight: (arrival, counter, to, from, line).
    flight: BTreeMap<(Instant, u64), (String, String, Order)>,
    counter: u64,
    /// Every server's delivered sequence, as `(origin, seq)`, with views.
    delivered: BTreeMap<String, Vec<Key>>,
    entries: BTreeMap<String, Vec<Entry>>,
    /// Every request taken, by `(origin, seq)`.
    taken: BTreeSet<Key>,
    restarts: u64,
}

fn servers() -> Vec<String> {
    FIVE.iter().map(|s| s.to_string()).collect()
}

impl Sim {
    fn new(seed: u64, max_delay_ms: u64) -> Self {
        let now = Instant::now();
        let mut sim = Self {
            rng: StdRng::seed_from_u64(seed),
            max_delay_ms,
            nodes: BTreeMap::new(),
            links: FIVE_LINKS.iter().map(|(a, b)| pair(a, b)).collect(),
            cut: BTreeSet::new(),
            now,
            next_tick: now,
            flight: BTreeMap::new(),
            counter: 0,
            delivered: BTreeMap::new(),
            entries: BTreeMap::new(),
            taken: BTreeSet::new(),
            restarts: 0,
        };
        for name in FIVE {
            sim.boot(name);
        }
        sim
    }

    fn boot(&mut self, name: &str) {
        self.restarts += 1;
        let engine = Engine::new(
            name,
            &servers(),
            EVERY,
            SUSPECT,
            self.now,
            self.restarts * 1_000_000_000,
        );
        self.nodes.insert(name.to_owned(), engine);
    }

    fn reachable_neighbours(&self, name: &str) -> Vec<String> {
        let mut out = linked(&self.links, &self.cut, name);
        out.retain(|n| self.nodes.contains_key(n));
        out
    }

    /// The running servers `name` can reach, itself excluded.
    fn side_of(&self, name: &str) -> Vec<String> {
        let mut seen = BTreeSet::from([name.to_owned()]);
        let mut todo = vec![name.to_owned()];
        while let Some(n) = todo.pop() {
            for m in self.reachable_neighbours(&n) {
                if seen.insert(m.clone()) {
                    todo.push(m);
                }
            }
        }
        seen.remove(name);
        seen.into_iter().collect()
    }

    fn send(&mut self, from: &str, line: Order, except: Option<&str>) {
        for to in self.reachable_neighbours(from) {
            if Some(to.as_str()) == except {
                continue;
            }
            let delay =
                Duration::from_micros(self.rng.random_range(100..=self.max_delay_ms * 1000));
            self.counter += 1;
            let at = self.now + delay;
            self.flight
                .insert((at, self.counter), (to, from.to_owned(), line.clone()));
        }
    }

    /// Sends what `name` queued and records what it delivered.
    fn collect(&mut self, name: &str) {
        let Some(node) = self.nodes.get_mut(name) else {
            return;
        };
        let out = node.drain();
        for d in out.delivered {
            let seq = self.delivered.entry(name.to_owned()).or_default();
            assert_eq!(
                d.position as usize,
                seq.len() + 1,
                "{name} positions run on"
            );
            seq.push((d.req.origin.clone(), d.req.seq));
            if let Some(e) = d.entry {
                self.entries.entry(name.to_owned()).or_default().push(e);
            }
        }
        for line in out.send {
            self.send(name, line, None);
        }
    }

    fn take(&mut self, name: &str, tablet: &str) {
        let Some(node) = self.nodes.get_mut(name) else {
            return;
        };
        let req = node.take(tablet, "getMedalTally/Gaul");
        self.taken.insert((req.origin, req.seq));
        self.collect(name);
    }

    /// Moves simulated time on by one millisecond.
    fn step(&mut self) {
        self.now += Duration::from_millis(1);
        while let Some(((at, _), _)) = self.flight.first_key_value()
            && *at <= self.now
        {
            let Some((_, (to, from, line))) = self.flight.pop_first() else {
                break;
            };
            if self.cut.contains(&pair(&to, &from)) {
                continue;
            }
            let Some(node) = self.nodes.get_mut(&to) else {
                continue;
            };
            if node.receive(&line, self.now) {
                self.send(&to, line, Some(&from));
            }
            self.collect(&to);
        }
        if self.now >= self.next_tick {
            self.next_tick = self.now + TICK;
            let names: Vec<String> = self.nodes.keys().cloned().collect();
            for name in names {
                let side = self.side_of(&name);
                let leader = side.iter().all(|s| *s < name);
                let observed = Observed {
                    leader,
                    majority: (side.len() + 1) * 2 > FIVE.len(),
                    side,
                };
                let now = self.now;
                if let Some(node) = self.nodes.get_mut(&name) {
                    node.observe(now, &observed);
                    node.tick(now);
                }
                self.collect(&name);
            }
        }
    }

    /// Runs `span`, taking a request every `gap_ms` on average at a random
    /// running server.
    fn load(&mut self, span: Duration, gap_ms: u64) {
        let until = self.now + span;
        while self.now < until {
            if self.rng.random_range(0..gap_ms.max(1)) == 0 {
                let names: Vec<String> = self.nodes.keys().cloned().collect();
                let name = names[self.rng.random_range(0..names.len())].clone();
                let tablet = format!("tablet-{}", self.rng.random_range(0..20));
                self.take(&name, &tablet);
            }
            self.step();
        }
    }

    fn quiet(&mut self, span: Duration) {
        self.load(span, u64::MAX);
    }

    /// Runs until the running servers have each delivered every request
    /// taken by any of `origins`.
    fn settle(&mut self, what: &str) {
        let began = self.now;
        loop {
            let all = self.nodes.keys().all(|n| {
                let have: BTreeSet<&Key> = self
                    .delivered
                    .get(n)
                    .map(|d| d.iter().collect())
                    .unwrap_or_default();
                self.taken.iter().all(|k| have.contains(k))
            });
            if all {
                return;
            }
            assert!(
                self.now - began < PATIENCE,
                "{what}: not everything delivered after {PATIENCE:?}: {:?}",
                self.nodes
                    .keys()
                    .map(|n| (n, self.delivered.get(n).map_or(0, Vec::len)))
                    .collect::<Vec<_>>()
            );
            self.step();
        }
    }

    /// Every server's delivered sequence is a prefix of the longest, with
    /// no request twice, and so are the entries.
    fn check_agreement(&self) {
        let longest = self
            .delivered
            .values()
            .max_by_key(|d| d.len())
            .cloned()
            .unwrap_or_default();
        let unique: BTreeSet<&Key> = longest.iter().collect();
        assert_eq!(unique.len(), longest.len(), "a request delivered twice");
        for (name, seq) in &self.delivered {
            assert_eq!(seq[..], longest[..seq.len()], "{name} diverges");
        }
        let most = self
            .entries
            .values()
            .max_by_key(|e| e.len())
            .cloned()
            .unwrap_or_default();
        for (name, entries) in &self.entries {
            assert_eq!(
                entries[..],
                most[..entries.len()],
                "{name}'s entries diverge"
            );
        }
    }

    fn cut_between(&mut self, a: &[&str], b: &[&str]) {
        for x in a {
            for y in b {
                self.cut.insert(pair(x, y));
            }
        }
    }
}

#[test]
fn random_delays_and_reordering_give_every_server_the_same_sequence_and_entries() {
    for seed in 1..=4 {
        let mut sim = Sim::new(seed, 20);
        sim.load(Duration::from_secs(3), 3);
        sim.settle("load");
        sim.check_agreement();
        let n = sim.taken.len();
        assert!(n > 500, "seed {seed}: only {n} requests");
        for name in FIVE {
            assert_eq!(sim.delivered[name].len(), n, "seed {seed}: {name}");
            assert_eq!(sim.entries[name].len() as u64, n as u64 / EVERY);
        }
    }
}

#[test]
fn nothing_is_delivered_while_a_member_is_silent_and_before_suspicion() {
    let mut sim = Sim::new(7, 5);
    sim.load(Duration::from_millis(500), 5);
    sim.settle("start");
    let before = sim.delivered["Hands"].len();
    sim.nodes.remove("Welsh");
    sim.take("Hands", "t1");
    sim.quiet(Duration::from_millis(500));
    assert_eq!(
        sim.delivered["Hands"].len(),
        before,
        "Welsh has not acknowledged it"
    );
}

#[test]
fn a_crashed_member_is_removed_and_ordering_goes_on_without_it() {
    let mut sim = Sim::new(11, 10);
    sim.load(Duration::from_secs(1), 4);
    sim.nodes.remove("Welsh");
    sim.taken.retain(|(o, _)| o != "Welsh");
    sim.load(Duration::from_secs(3), 4);
    sim.quiet(Duration::from_secs(2));
    sim.delivered.remove("Welsh");
    sim.settle("without Welsh");
    sim.check_agreement();
    for name in ["Goloman", "Hands", "Holiday", "Wilkes"] {
        let view = sim.nodes[name].view();
        assert!(
            view.id > 1 && !view.members.contains("Welsh"),
            "{name}: {view:?}"
        );
    }
}

#[test]
fn a_partition_orders_only_on_the_majority_side_and_the_heal_loses_nothing() {
    let mut sim = Sim::new(23, 10);
    sim.load(Duration::from_secs(1), 4);
    sim.settle("before");
    // Holiday and Welsh (2 of 5) from the rest: cut Holiday's links to
    // Goloman and Wilkes.
    sim.cut_between(&["Holiday"], &["Goloman", "Wilkes"]);
    let minority_before = sim.delivered["Welsh"].len();
    sim.load(Duration::from_secs(4), 4);
    assert_eq!(
        sim.delivered["Welsh"].len(),
        sim.delivered["Holiday"].len(),
        "the minority side agrees"
    );
    assert!(
        sim.delivered["Welsh"].len() <= minority_before + 40,
        "the minority orders nothing past the suspicion"
    );
    assert!(
        sim.delivered["Hands"].len() > minority_before + 100,
        "the majority goes on"
    );
    sim.check_agreement();
    sim.cut.clear();
    // Requests keep coming while the minority rejoins: members may deliver
    // different amounts before the view change freezes them.
    sim.load(Duration::from_secs(4), 2);
    sim.settle("after the heal");
    sim.check_agreement();
    let view = sim.nodes["Hands"].view().clone();
    assert_eq!(
        view.members.len(),
        5,
        "Holiday and Welsh rejoined: {view:?}"
    );
    let n = sim.taken.len();
    for name in FIVE {
        assert_eq!(sim.delivered[name].len(), n, "{name}");
    }
}
