//! Random schedules of writes, link cuts, lossy links, small queues,
//! restarts and journal loss over three servers on the simulated network;
//! afterwards every replica holds the same locations and tallies, and every
//! acknowledged increment is counted exactly once (unless its only copy was
//! destroyed with a journal).

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;

use super::harness::Herd;
use crate::peer::transport::{Faults, MemNet};
use base::topology::Limits;
use olympic::{Change, Medal};
use proto::location::Location;

const NAMES: [&str; 3] = ["A", "B", "C"];
const LINKS: [(&str, &str); 3] = [("A", "B"), ("A", "C"), ("B", "C")];

/// How long the herd gets to converge once every link is healed.
const CONVERGE: Duration = Duration::from_secs(30);

/// One step of a schedule.
#[derive(Debug, Clone)]
enum Step {
    /// A client reports at a server; equal times at two servers are ties.
    Report {
        at: usize,
        client: u8,
        time: u8,
    },
    /// An acknowledged gold medal for Gaul at a server.
    Medal {
        at: usize,
    },
    /// A link is cut (a partition), or healed.
    Cut {
        link: usize,
    },
    Heal {
        link: usize,
    },
    /// A server restarts, keeping its journal or losing it.
    Restart {
        at: usize,
        lose_journal: bool,
    },
    /// Time passes.
    Pause {
        ms: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, 0..12u8, 0..6u8).prop_map(|(at, client, time)| Step::Report { at, client, time }),
        4 => (0..3usize).prop_map(|at| Step::Medal { at }),
        1 => (0..3usize).prop_map(|link| Step::Cut { link }),
        1 => (0..3usize).prop_map(|link| Step::Heal { link }),
        1 => (0..3usize, any::<bool>()).prop_map(|(at, lose_journal)| Step::Restart { at, lose_journal }),
        2 => (0..60u8).prop_map(|ms| Step::Pause { ms }),
    ]
}

fn faults() -> impl Strategy<Value = Faults> {
    (0..20u32, 0..10u32, 0..10u32).prop_map(|(drop, duplicate, reorder)| Faults {
        drop: f64::from(drop) / 100.0,
        duplicate: f64::from(duplicate) / 100.0,
        reorder: f64::from(reorder) / 100.0,
    })
}

/// Gaul's gold count per origin at one server.
fn gold_by_origin(herd: &Herd, name: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for change in herd.node(name).shared.olympics.snapshot() {
        if let Change::Medal {
            op,
            team,
            medal: Medal::Gold,
            count,
            ..
        } = change
            && team == "Gaul"
        {
            let held = counts.entry(op.origin).or_default();
            *held = count.max(*held);
        }
    }
    counts
}

/// Lowers `floor` (per origin, the increments sure to survive) to what the
/// servers other than `name` hold, for each origin `name` holds more of:
/// losing `name`'s journal may destroy the rest.
fn lower_floor(herd: &Herd, name: &str, floor: &mut BTreeMap<String, u64>) {
    let others: Vec<_> = NAMES
        .iter()
        .filter(|&&n| n != name)
        .map(|n| gold_by_origin(herd, n))
        .collect();
    for (origin, count) in gold_by_origin(herd, name) {
        let elsewhere = others.iter().filter_map(|o| o.get(&origin)).max();
        let elsewhere = elsewhere.copied().unwrap_or(0);
        if elsewhere < count {
            let sure = floor.entry(origin).or_insert(count);
            *sure = (*sure).min(elsewhere);
        }
    }
}

/// Every location a server holds, as text, by client.
fn locations(herd: &Herd, name: &str) -> BTreeMap<String, String> {
    herd.node(name)
        .shared
        .db
        .snapshot()
        .into_iter()
        .map(|l| {
            (
                l.client().to_owned(),
                String::from_utf8_lossy(l.at_line()).into_owned(),
            )
        })
        .collect()
}

/// What a schedule did, for the checks after it.
#[derive(Debug, Default)]
struct Record {
    /// Acknowledged increments, by origin.
    acked: BTreeMap<String, u64>,
    /// Whether any server restarted.
    restarted: bool,
    /// Per origin, the increments sure to survive lost journals
    /// ([`lower_floor`]).
    floor: BTreeMap<String, u64>,
    /// Each client's newest stored report.
    newest: BTreeMap<String, Arc<Location>>,
}

impl Record {
    /// The gold tally every replica may end with.
    fn expected_gold(&self) -> RangeInclusive<u64> {
        // Increments only a wiped server held may still have been on their way
        // out when it stopped, so those above the floor may be gone; nothing
        // else, and nothing is counted twice.
        let total: u64 = self.acked.values().sum();
        let sure: u64 = self
            .acked
            .iter()
            .map(|(origin, n)| self.floor.get(origin).map_or(*n, |f| (*f).min(*n)))
            .sum();
        sure..=total
    }
}

async fn run_schedule(seed: u64, faults: Faults, queue: usize, steps: Vec<Step>) {
    let net = MemNet::new(seed);
    net.set_faults(faults);
    let limits = Limits {
        peer_queue: queue,
        anti_entropy_ms: 100,
        ..Limits::default()
    };
    let mut herd = Herd::start_simulated(&NAMES, &LINKS, limits, &net).await;
    let mut record = Record::default();
    for step in steps {
        play(&mut herd, &net, step, &mut record).await;
    }
    net.heal_all();
    await_convergence(&herd, &record).await;
    check_reports(&herd, &record);
    herd.shutdown().await;
}

/// Takes one step of a schedule, noting in `record` what the checks need.
async fn play(herd: &mut Herd, net: &MemNet, step: Step, record: &mut Record) {
    match step {
        Step::Report { at, client, time } => {
            let client = format!("phone-{client}");
            if let Some(stored) = herd.node(NAMES[at]).iamat(&client, u64::from(time) + 1) {
                let held = record
                    .newest
                    .entry(client)
                    .or_insert_with(|| Arc::clone(&stored));
                if stored.supersedes(held) {
                    *held = stored;
                }
            }
        }
        Step::Medal { at } => {
            let shared = &herd.node(NAMES[at]).shared;
            let applied = shared.olympics.increment("Gaul", Medal::Gold).await;
            let applied = applied.expect("a durable increment");
            shared.flood_change(&applied.change);
            *record
                .acked
                .entry(applied.change.op().origin.clone())
                .or_default() += 1;
        }
        Step::Cut { link } => {
            let (a, b) = LINKS[link];
            net.cut(herd.addr(a), herd.addr(b));
        }
        Step::Heal { link } => {
            let (a, b) = LINKS[link];
            net.heal(herd.addr(a), herd.addr(b));
        }
        Step::Restart { at, lose_journal } => {
            record.restarted = true;
            if lose_journal {
                lower_floor(herd, NAMES[at], &mut record.floor);
            }
            herd.stop(NAMES[at]).await;
            if lose_journal {
                let journal = herd
                    .data_dir(NAMES[at])
                    .join(format!("{}.journal", NAMES[at]));
                std::fs::remove_file(journal).expect("the journal exists");
            }
            herd.restart(NAMES[at]).await;
        }
        Step::Pause { ms } => tokio::time::sleep(Duration::from_millis(u64::from(ms))).await,
    }
}

/// Waits up to [`CONVERGE`] until every replica holds the same locations
/// and the same gold tally, within [`Record::expected_gold`]; panics with
/// each server's state if they do not.
async fn await_convergence(herd: &Herd, record: &Record) {
    let expected = record.expected_gold();
    let converged = |herd: &Herd| {
        let first = locations(herd, "A");
        let gold = |n: &str| herd.node(n).shared.olympics.tally("Gaul").map(|t| t.gold);
        NAMES.iter().all(|n| locations(herd, n) == first)
            && NAMES.iter().all(|n| gold(n) == gold("A"))
            && gold("A").is_some_and(|g| expected.contains(&g))
    };
    let deadline = tokio::time::Instant::now() + CONVERGE;
    while !converged(herd) {
        if tokio::time::Instant::now() > deadline {
            let report = state_report(herd);
            let Record { acked, floor, .. } = record;
            panic!(
                "no convergence; expected gold in {expected:?} (acked {acked:?}, floor {floor:?}): {report:#?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Each server's clients, gold, live links and gold by origin, for a
/// failure message.
fn state_report(herd: &Herd) -> Vec<String> {
    NAMES
        .iter()
        .map(|n| {
            let node = herd.node(n);
            format!(
                "{n}: {} clients, gold {:?}, links {:?}, origins {:?}",
                node.shared.db.len(),
                node.shared.olympics.tally("Gaul").map(|t| t.gold),
                node.shared.peers.live(),
                gold_by_origin(herd, n),
            )
        })
        .collect()
}

/// Every location held was reported, and without restarts each client's
/// newest report is what is held.
fn check_reports(herd: &Herd, record: &Record) {
    let held = locations(herd, "A");
    let reported: BTreeMap<String, String> = record
        .newest
        .iter()
        .map(|(c, l)| (c.clone(), String::from_utf8_lossy(l.at_line()).into_owned()))
        .collect();
    if !record.restarted {
        assert_eq!(held, reported, "each client's newest report everywhere");
    }
    for (client, line) in &held {
        assert!(
            reported.contains_key(client),
            "{client} was never reported: {line}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        max_shrink_iters: 8,
        ..ProptestConfig::default()
    })]

    #[test]
    fn replicas_converge_and_count_every_acknowledged_increment_once(
        seed in any::<u64>(),
        faults in faults(),
        queue in 2..64usize,
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(run_schedule(seed, faults, queue, steps));
    }
}
