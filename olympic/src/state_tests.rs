//! Tests of the replicated state: merge order, ties, voids.

use super::*;

fn medal(origin: &str, seq: u64, team: &str, count: u64) -> Change {
    Change::Medal {
        op: OpId {
            origin: origin.into(),
            seq,
        },
        team: team.into(),
        medal: Medal::Gold,
        count,
        key: None,
    }
}

fn score(origin: &str, seq: u64, stamp_ns: i128, gaul: i64) -> Change {
    Change::Score {
        op: OpId {
            origin: origin.into(),
            seq,
        },
        event: "curling".into(),
        stamp_ns,
        scores: vec![("Gaul".into(), gaul), ("Rome".into(), 0)],
        key: None,
    }
}

#[test]
fn counts_sum_over_origins_and_keep_the_largest_per_origin() {
    let mut s = State::default();
    assert!(s.apply(&medal("A", 1, "Gaul", 1)).is_some());
    assert!(s.apply(&medal("A", 3, "Gaul", 3)).is_some());
    assert!(s.apply(&medal("A", 2, "Gaul", 2)).is_none(), "older count");
    assert!(s.apply(&medal("A", 3, "Gaul", 3)).is_none(), "duplicate");
    assert!(s.apply(&medal("B", 1, "Gaul", 1)).is_some());
    assert_eq!(s.tally("Gaul").gold, 4);
    assert_eq!(s.tally("Rome").gold, 0);
    assert_eq!(s.seen("A"), 3);
}

#[test]
fn equal_times_are_won_by_the_greater_server_name() {
    let mut s = State::default();
    s.apply(&score("Bravo", 1, 100, 1));
    assert!(
        s.apply(&score("Alpha", 1, 100, 2)).is_none(),
        "Alpha < Bravo"
    );
    assert!(s.apply(&score("Charlie", 1, 100, 3)).is_some());
    assert!(s.apply(&score("Zulu", 2, 99, 4)).is_none(), "older time");
    let got = s.score("curling", &[]);
    assert_eq!(got.scores[0], ("Gaul".into(), 3));
    assert_eq!(got.stamp.unwrap().origin, "Charlie");
}

#[test]
fn superseded_changes_still_raise_the_seen_number() {
    let mut s = State::default();
    s.apply(&score("B", 1, 100, 1));
    let late = score("A", 9, 50, 2);
    assert!(s.would_change(&late));
    assert!(s.apply(&late).is_none());
    assert_eq!(s.seen("A"), 9);
    assert!(!s.would_change(&late));
}

fn keyed(origin: &str, seq: u64, count: u64, key: &str) -> Change {
    let mut change = medal(origin, seq, "Gaul", count);
    if let Change::Medal { key: k, .. } = &mut change {
        *k = Some(proto::idem::Keyed {
            key: proto::idem::IdemKey::new(key).unwrap(),
            at_ns: 7,
            first: None,
        });
    }
    change
}

#[test]
fn one_key_applied_at_two_origins_counts_once_in_any_order_and_through_snapshots() {
    let changes = [
        medal("A", 1, "Gaul", 1),
        keyed("A", 2, 2, "k"),
        keyed("B", 1, 1, "k"),
        medal("B", 2, "Gaul", 2),
    ];
    let mut states = Vec::new();
    for order in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 3, 0, 1], [1, 3, 2, 0]] {
        let mut s = State::default();
        for i in order {
            s.apply(&changes[i]);
        }
        assert_eq!(s.tally("Gaul").gold, 3, "{order:?}");
        assert!(!s.would_change(&changes[2]), "the void is held");
        states.push(s);
    }
    assert!(states.windows(2).all(|w| w[0] == w[1]));
    let mut rebuilt = State::default();
    for c in states[0].changes() {
        rebuilt.apply(&c);
    }
    assert_eq!(rebuilt.tally("Gaul").gold, 3);
    assert_eq!(rebuilt.changes(), states[0].changes());
    // A void that arrives before the count it voids takes nothing off.
    let mut early = State::default();
    early.apply(&Change::Void {
        op: OpId {
            origin: "B".into(),
            seq: 1,
        },
        team: "Gaul".into(),
        medal: Medal::Gold,
    });
    early.apply(&medal("A", 1, "Gaul", 1));
    assert_eq!(early.tally("Gaul").gold, 1);
    early.apply(&medal("B", 1, "Gaul", 1));
    assert_eq!(early.tally("Gaul").gold, 1);
}

#[test]
fn changes_rebuild_the_state() {
    let mut s = State::default();
    s.apply(&medal("A", 1, "Gaul", 1));
    s.apply(&medal("B", 4, "Rome", 2));
    s.apply(&score("B", 5, 10, 7));
    let mut t = State::default();
    for c in s.changes() {
        t.apply(&c);
    }
    assert_eq!(s, t);
    assert_eq!(s.changes_by_origin()["B"].len(), 2);
}
