//! Deterministic tests of coordination on a simulated overlay: the real
//! [`Coordination`] of every server, simulated time moved on by hand, lines
//! flooded hop by hop over the course's five-server topology, links cut and
//! servers killed at chosen instants. No socket, no sleep, no randomness:
//! each run is the same run.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use olympic::SystemClock;
use proto::coord::Coord;

use super::{CoordConfig, Coordination, TICK};
use crate::peer::tests::harness::{FIVE, FIVE_LINKS, linked, pair};

/// Longest a test lets simulated time run waiting for something.
const PATIENCE: Duration = Duration::from_secs(20);

struct Sim {
    config: CoordConfig,
    nodes: BTreeMap<String, Coordination>,
    links: BTreeSet<(String, String)>,
    cut: BTreeSet<(String, String)>,
    start: Instant,
    now: Instant,
    /// The greatest term each server has reported, to check terms only grow.
    terms: BTreeMap<String, u64>,
    restarts: u64,
}

impl Sim {
    fn five() -> Self {
        Self::new(CoordConfig::of_names(&FIVE))
    }

    fn new(config: CoordConfig) -> Self {
        let start = Instant::now();
        let mut sim = Self {
            config,
            nodes: BTreeMap::new(),
            links: FIVE_LINKS.iter().map(|(a, b)| pair(a, b)).collect(),
            cut: BTreeSet::new(),
            start,
            now: start,
            terms: BTreeMap::new(),
            restarts: 0,
        };
        for name in FIVE {
            sim.boot(name);
        }
        sim
    }

    fn boot(&mut self, name: &str) {
        self.restarts += 1;
        // A restarted server remembers nothing, its term included.
        self.terms.remove(name);
        let node = Coordination::new_at(
            name,
            &self.config,
            Arc::new(SystemClock::new()),
            self.now,
            self.restarts * 1_000_000,
        );
        self.nodes.insert(name.to_owned(), node);
    }

    fn kill(&mut self, name: &str) {
        self.nodes.remove(name);
    }

    fn cut(&mut self, a: &str, b: &str) {
        self.cut.insert(pair(a, b));
    }

    fn isolate(&mut self, name: &str) {
        for (a, b) in self.links.clone() {
            if a == name || b == name {
                self.cut.insert((a, b));
            }
        }
    }

    fn heal(&mut self) {
        self.cut.clear();
    }

    /// Running neighbours of `name` over links that are not cut.
    fn reachable_neighbours(&self, name: &str) -> Vec<String> {
        let mut out = linked(&self.links, &self.cut, name);
        out.retain(|n| self.nodes.contains_key(n));
        out
    }

    /// One tick: every server moves on, then every line is flooded hop by
    /// hop until the floods end.
    fn step(&mut self) {
        self.now += TICK;
        let mut queue: VecDeque<(String, String, Coord)> = VecDeque::new();
        for (name, node) in &self.nodes {
            for line in node.tick(self.now) {
                for to in self.reachable_neighbours(name) {
                    queue.push_back((to, name.clone(), line.clone()));
                }
            }
        }
        while let Some((to, from, line)) = queue.pop_front() {
            let Some(node) = self.nodes.get(&to) else {
                continue;
            };
            let (forward, out) = node.receive(&line, self.now);
            for next in self.reachable_neighbours(&to) {
                if forward && next != from {
                    queue.push_back((next.clone(), to.clone(), line.clone()));
                }
                for new in &out {
                    queue.push_back((next.clone(), to.clone(), new.clone()));
                }
            }
        }
        for (name, node) in &self.nodes {
            let term = node.view_at(self.now).term;
            let seen = self.terms.entry(name.clone()).or_default();
            assert!(
                term >= *seen,
                "{name}'s term went back from {seen} to {term}"
            );
            *seen = term;
        }
    }

    fn run_for(&mut self, span: Duration) {
        let until = self.now + span;
        while self.now < until {
            self.step();
        }
    }

    /// Connected sides of the running servers.
    fn sides(&self) -> Vec<Vec<String>> {
        let mut left: BTreeSet<String> = self.nodes.keys().cloned().collect();
        let mut sides = Vec::new();
        while let Some(first) = left.pop_first() {
            let mut side = vec![first.clone()];
            let mut todo = vec![first];
            while let Some(n) = todo.pop() {
                for m in self.reachable_neighbours(&n) {
                    if left.remove(&m) {
                        side.push(m.clone());
                        todo.push(m);
                    }
                }
            }
            side.sort();
            sides.push(side);
        }
        sides
    }

    /// The one leader every server of `side` follows, if they agree and it
    /// is the only server of the side that leads.
    fn agreed_leader(&self, side: &[String]) -> Option<String> {
        let leaders: BTreeSet<Option<String>> = side
            .iter()
            .map(|n| self.nodes[n].view_at(self.now).leader)
            .collect();
        let leading: Vec<&String> = side.iter().filter(|n| self.nodes[*n].is_leader()).collect();
        match (leaders.len(), leaders.first(), leading.as_slice()) {
            (1, Some(Some(leader)), [only]) if *only == leader => Some(leader.clone()),
            _ => None,
        }
    }

    /// Runs until every connected side has exactly one leader all its
    /// servers follow; returns the leaders and the simulated time it took.
    fn settle(&mut self, what: &str) -> (Vec<String>, Duration) {
        let began = self.now;
        loop {
            let leaders: Option<Vec<String>> = self
                .sides()
                .iter()
                .map(|side| self.agreed_leader(side))
                .collect();
            if let Some(leaders) = leaders {
                return (leaders, self.now - began);
            }
            assert!(
                self.now - began < PATIENCE,
                "{what}: no single leader per side after {PATIENCE:?}"
            );
            self.step();
        }
    }

    fn term_of(&self, name: &str) -> u64 {
        self.nodes[name].view_at(self.now).term
    }
}

#[test]
fn five_servers_starting_together_agree_on_the_top_ranked_one() {
    let mut sim = Sim::five();
    // Every server times out at the same tick: five simultaneous candidates.
    let (leaders, took) = sim.settle("start");
    assert_eq!(leaders, ["Wilkes"], "the name that sorts last ranks first");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    // It stays settled.
    sim.run_for(Duration::from_secs(5));
    assert_eq!(sim.settle("later").0, ["Wilkes"]);
    assert!(sim.nodes.values().all(|n| n.view_at(sim.now).majority));
}

#[test]
fn priority_beats_name_order() {
    let mut config = CoordConfig::of_names(&FIVE);
    config.priorities.insert("Goloman".into(), 10);
    let mut sim = Sim::new(config);
    assert_eq!(sim.settle("start").0, ["Goloman"]);
}

#[test]
fn a_dead_leader_is_replaced_within_two_seconds_with_a_newer_term() {
    let mut sim = Sim::five();
    sim.settle("start");
    sim.run_for(Duration::from_secs(1));
    let old_term = sim.term_of("Hands");
    sim.kill("Wilkes");
    let (leaders, took) = sim.settle("after the leader died");
    assert_eq!(leaders, ["Welsh"]);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(sim.term_of("Hands") > old_term);
}

#[test]
fn a_leader_cut_off_leads_only_itself_and_takes_over_after_the_hold_down() {
    let mut sim = Sim::five();
    sim.settle("start");
    sim.isolate("Wilkes");
    let (mut leaders, took) = sim.settle("Wilkes cut off");
    leaders.sort();
    assert_eq!(leaders, ["Welsh", "Wilkes"]);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let majority: BTreeMap<String, bool> = sim
        .nodes
        .iter()
        .map(|(n, c)| (n.clone(), c.view_at(sim.now).majority))
        .collect();
    assert!(!majority["Wilkes"] && majority["Welsh"] && majority["Goloman"]);
    sim.heal();
    // Right after the heal Wilkes follows Welsh (a newer term): no
    // immediate takeover.
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.settle("just healed").0, ["Welsh"]);
    // After the hold-down the bully takes over.
    sim.run_for(super::election::HOLD_DOWN + Duration::from_secs(1));
    assert_eq!(sim.settle("healed").0, ["Wilkes"]);
}

#[test]
fn a_flapping_server_that_outranks_the_leader_does_not_flap_the_leadership() {
    let mut sim = Sim::five();
    sim.settle("start");
    sim.isolate("Wilkes");
    sim.settle("Wilkes cut off");
    let mut changes = 0;
    let mut last = sim.nodes["Goloman"].view_at(sim.now).leader;
    for _ in 0..8 {
        sim.heal();
        for _ in 0..(Duration::from_millis(1500).as_millis() / TICK.as_millis()) {
            sim.step();
            let now = sim.nodes["Goloman"].view_at(sim.now).leader;
            if now != last && now.is_some() {
                changes += 1;
                eprintln!(
                    "{:?}: Goloman follows {now:?} (was {last:?})",
                    sim.now - sim.start
                );
            }
            last = now;
        }
        sim.isolate("Wilkes");
        sim.run_for(Duration::from_millis(1500));
    }
    assert_eq!(changes, 0, "Goloman's leader changed {changes} times");
}

#[test]
fn a_partition_of_two_and_three_has_one_leader_per_side_and_one_after_healing() {
    let mut sim = Sim::five();
    sim.settle("start");
    for (a, b) in [
        ("Goloman", "Holiday"),
        ("Goloman", "Wilkes"),
        ("Hands", "Wilkes"),
    ] {
        sim.cut(a, b);
    }
    let (mut leaders, took) = sim.settle("partitioned");
    leaders.sort();
    assert_eq!(leaders, ["Hands", "Wilkes"]);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let view = |sim: &Sim, n: &str| sim.nodes[n].view_at(sim.now);
    assert!(!view(&sim, "Hands").majority && !view(&sim, "Goloman").majority);
    assert!(view(&sim, "Welsh").majority);
    sim.heal();
    sim.run_for(super::election::HOLD_DOWN + Duration::from_secs(2));
    let (leaders, _) = sim.settle("healed");
    assert_eq!(leaders, ["Wilkes"]);
    assert!(FIVE.iter().all(|n| view(&sim, n).majority));
}

#[test]
fn lines_from_an_older_term_are_ignored() {
    let mut sim = Sim::five();
    sim.settle("start");
    // A newer term everywhere: Wilkes dies and comes back.
    sim.kill("Wilkes");
    sim.settle("Wilkes dead");
    sim.boot("Wilkes");
    sim.run_for(super::election::HOLD_DOWN + Duration::from_secs(2));
    assert_eq!(sim.settle("Wilkes back").0, ["Wilkes"]);
    let term = sim.term_of("Hands");
    let hands = &sim.nodes["Hands"];
    let offset = hands.clock().offset_ns();
    for stale in [
        Coord::Lead {
            origin: "Goloman".into(),
            term: term - 1,
            beat: u64::MAX,
        },
        Coord::Adjust {
            leader: "Goloman".into(),
            term: term - 1,
            round: u64::MAX,
            adjustments: vec![("Hands".into(), 3_600_000_000_000)],
        },
    ] {
        let (_, caused) = hands.receive(&stale, sim.now);
        assert!(caused.is_empty());
    }
    let view = hands.view_at(sim.now);
    assert_eq!((view.leader.as_deref(), view.term), (Some("Wilkes"), term));
    // (The offset may slew a little from earlier rounds; an hour it is not.)
    let moved = hands.clock().offset_ns() - offset;
    assert!(
        moved.abs() < 1_000_000_000,
        "a stale TADJ is not applied: moved {moved}"
    );
}

#[test]
fn a_current_leaders_adjustment_is_applied_once() {
    let mut sim = Sim::five();
    sim.settle("start");
    let term = sim.term_of("Hands");
    let hands = &sim.nodes["Hands"];
    let adjust = Coord::Adjust {
        leader: "Wilkes".into(),
        term,
        round: u64::MAX,
        adjustments: vec![("Hands".into(), 5_000_000)],
    };
    let before = hands.clock().offset_ns();
    assert!(
        hands.receive(&adjust, sim.now).0,
        "forwarded the first time"
    );
    assert!(
        !hands.receive(&adjust, sim.now).0,
        "dropped the second time"
    );
    assert_eq!(hands.clock().offset_ns() - before, 5_000_000);
    let _ = sim.start;
}
