//! Property tests of the CRDT state alone (no I/O): replicas that receive
//! the same changes in any order, with duplicates, become equal, and the
//! result is the one the operations call for.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::state::State;
use proto::change::{Change, OpId};
use proto::medal::Medal;

const ORIGINS: [&str; 3] = ["Alpha", "Bravo", "Charlie"];
const TEAMS: [&str; 2] = ["Gaul", "Rome"];
const EVENTS: [&str; 2] = ["curling", "skiing"];

/// One operation at one origin.
#[derive(Debug, Clone)]
enum Op {
    Increment { team: usize, medal: usize },
    SetScore { event: usize, time: i128, gaul: i64 },
}

fn op() -> impl Strategy<Value = (usize, Op)> {
    let inc = (0..2usize, 0..3usize).prop_map(|(team, medal)| Op::Increment { team, medal });
    // Few distinct times, so that ties between origins are common.
    let set = (0..2usize, 0..4i128, any::<i64>()).prop_map(|(event, time, gaul)| Op::SetScore {
        event,
        time,
        gaul,
    });
    (0..3usize, prop_oneof![inc, set])
}

/// The changes the origins issue for `ops`, as the real issuer would: per
/// origin sequence numbers and counts, stamps above the origin's last one.
fn issue(ops: &[(usize, Op)]) -> Vec<Change> {
    let mut seq = [0u64; 3];
    let mut counts: BTreeMap<(usize, usize, usize), u64> = BTreeMap::new();
    let mut last_stamp: BTreeMap<(usize, usize), i128> = BTreeMap::new();
    let mut out = Vec::new();
    for (origin, op) in ops {
        seq[*origin] += 1;
        let id = OpId {
            origin: ORIGINS[*origin].into(),
            seq: seq[*origin],
        };
        out.push(match op {
            Op::Increment { team, medal } => {
                let count = counts.entry((*origin, *team, *medal)).or_default();
                *count += 1;
                Change::Medal {
                    op: id,
                    team: TEAMS[*team].into(),
                    medal: Medal::ALL[*medal],
                    count: *count,
                    // Every other increment is a keyed write: keys must
                    // converge like the rest of the state.
                    key: (*count).is_multiple_of(2).then(|| proto::idem::Keyed {
                        key: proto::idem::IdemKey::new(&format!("{origin}-{team}-{medal}-{count}"))
                            .expect("visible ASCII"),
                        at_ns: i128::from(*count),
                        first: None,
                    }),
                }
            }
            Op::SetScore { event, time, gaul } => {
                let last = last_stamp.entry((*origin, *event)).or_insert(i128::MIN);
                *last = (*time).max(last.saturating_add(1));
                Change::Score {
                    op: id,
                    event: EVENTS[*event].into(),
                    stamp_ns: *last,
                    scores: vec![("Gaul".into(), *gaul), ("Rome".into(), 0)],
                    key: None,
                }
            }
        });
    }
    out
}

/// A replica that received `changes` shuffled by `seed`, with `extra`
/// duplicates.
fn replica(changes: &[Change], seed: u64, extra: &[usize]) -> State {
    let mut delivered: Vec<&Change> = changes.iter().collect();
    delivered.extend(extra.iter().map(|i| &changes[i % changes.len()]));
    delivered.shuffle(&mut StdRng::seed_from_u64(seed));
    let mut state = State::default();
    for c in delivered {
        state.apply(c);
    }
    state
}

proptest! {
    #[test]
    fn replicas_converge_on_what_the_operations_call_for(
        ops in prop::collection::vec(op(), 1..60),
        seeds in any::<[u64; 3]>(),
        extra in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        let changes = issue(&ops);
        let states: Vec<State> = seeds.iter().map(|&s| replica(&changes, s, &extra)).collect();
        prop_assert_eq!(&states[0], &states[1]);
        prop_assert_eq!(&states[0], &states[2]);

        for (t, team) in TEAMS.iter().enumerate() {
            let tally = states[0].tally(team);
            for (m, medal) in Medal::ALL.iter().enumerate() {
                let expect = ops.iter().filter(|(_, op)| {
                    matches!(op, Op::Increment { team, medal } if *team == t && *medal == m)
                }).count() as u64;
                prop_assert_eq!(tally.get(*medal), expect);
            }
        }
        for event in EVENTS {
            let newest = changes.iter().filter_map(|c| match c {
                Change::Score { op, event: e, stamp_ns, scores, .. } if e == event =>
                    Some(((*stamp_ns, op.origin.clone()), scores.clone())),
                _ => None,
            }).max_by(|a, b| a.0.cmp(&b.0));
            let got = states[0].score(event, &[]);
            prop_assert_eq!(got.stamp.map(|s| (s.time_ns, s.origin)), newest.as_ref().map(|n| n.0.clone()));
            if let Some((_, scores)) = newest {
                prop_assert_eq!(got.scores, scores);
            }
        }
    }
}
