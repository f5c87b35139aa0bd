//! Tests of the change lines: their documented form, keys, voids and malformed lines.

use super::*;
use crate::strategies;
use proptest::prelude::*;

fn op(origin: &str, seq: u64) -> OpId {
    OpId {
        origin: origin.into(),
        seq,
    }
}

#[test]
fn lines_have_the_documented_form() {
    let medal = Change::Medal {
        op: op("Hands", 7),
        team: "Gaul".into(),
        medal: Medal::Silver,
        count: 3,
        key: None,
    };
    assert_eq!(medal.encode(), "MEDAL Hands 7 Gaul silver 3");
    let score = Change::Score {
        op: op("Welsh", 9),
        event: "curling".into(),
        stamp_ns: -5,
        scores: vec![("Gaul".into(), 2), ("Rome".into(), -1)],
        key: None,
    };
    assert_eq!(score.encode(), "SCORE Welsh 9 curling -5 Gaul 2 Rome -1");
    assert_eq!(Change::parse(b"MEDAL  Hands 7\tGaul SILVER 3"), Some(medal));
    assert_eq!(Change::parse(score.encode().as_bytes()), Some(score));
}

#[test]
fn keyed_changes_end_with_their_key_and_a_team_called_key_is_a_team() {
    let keyed = Some(Keyed {
        key: IdemKey::new("k-1").unwrap(),
        at_ns: 42,
        first: None,
    });
    let medal = Change::Medal {
        op: op("Hands", 7),
        team: "Gaul".into(),
        medal: Medal::Gold,
        count: 3,
        key: keyed.clone(),
    };
    assert_eq!(medal.encode(), "MEDAL Hands 7 Gaul gold 3 KEY k-1 42");
    assert_eq!(Change::parse(medal.encode().as_bytes()), Some(medal));
    let score = Change::Score {
        op: op("Welsh", 9),
        event: "curling".into(),
        stamp_ns: 5,
        scores: vec![("Gaul".into(), 2), ("KEY".into(), 1)],
        key: None,
    };
    assert_eq!(Change::parse(score.encode().as_bytes()), Some(score));
    let score = Change::Score {
        op: op("Welsh", 9),
        event: "curling".into(),
        stamp_ns: 5,
        scores: vec![("Gaul".into(), 2), ("KEY".into(), 1)],
        key: keyed,
    };
    assert_eq!(
        score.encode(),
        "SCORE Welsh 9 curling 5 Gaul 2 KEY 1 KEY k-1 42"
    );
    assert_eq!(Change::parse(score.encode().as_bytes()), Some(score));
    assert_eq!(Change::parse(b"MEDAL Hands 7 Gaul gold 3 KEY k-1"), None);
    assert_eq!(Change::parse(b"MEDAL Hands 7 Gaul gold 3 KEY k-1 x"), None);
}

#[test]
fn a_keyed_medal_carries_its_first_answer_and_a_void_names_an_increment() {
    let medal = Change::Medal {
        op: op("Hands", 7),
        team: "Gaul".into(),
        medal: Medal::Gold,
        count: 3,
        key: Some(Keyed {
            key: IdemKey::new("k-1").unwrap(),
            at_ns: 42,
            first: Some([4, 0, 2]),
        }),
    };
    assert_eq!(
        medal.encode(),
        "MEDAL Hands 7 Gaul gold 3 KEY k-1 42 FIRST 4 0 2"
    );
    assert_eq!(Change::parse(medal.encode().as_bytes()), Some(medal));
    let void = Change::Void {
        op: op("Hands", 7),
        team: "Gaul".into(),
        medal: Medal::Gold,
    };
    assert_eq!(void.encode(), "VOID Hands 7 Gaul gold");
    assert_eq!(Change::parse(void.encode().as_bytes()), Some(void));
    for bad in [
        "MEDAL Hands 7 Gaul gold 3 KEY k-1 42 FIRST 4 0",
        "MEDAL Hands 7 Gaul gold 3 KEY k-1 42 LAST 4 0 2",
        "MEDAL Hands 7 Gaul gold 3 x y z FIRST 4 0 2",
        "VOID Hands 7 Gaul",
        "VOID Hands 7 Gaul gold 3",
        "VOID Hands 7 Gaul gold KEY k-1 42",
    ] {
        assert_eq!(Change::parse(bad.as_bytes()), None, "{bad:?}");
    }
}

#[test]
fn malformed_lines_are_refused() {
    for bad in [
        "",
        "MEDAL",
        "MEDAL Hands 7 Gaul silver",
        "MEDAL Hands 7 Gaul silver 3 extra",
        "MEDAL Hands 7 Gaul tin 3",
        "MEDAL Hands -7 Gaul gold 3",
        "MEDAL Hands +7 Gaul gold 3",
        "MEDAL Hands 7 Gaul gold 99999999999999999999999",
        "SCORE Welsh 9 curling 5",
        "SCORE Welsh 9 curling 5 Gaul",
        "SCORE Welsh 9 curling 5 Gaul 1 Rome",
        "SCORE Welsh 9 curling 5 Gaul 9223372036854775808",
        "SCORE Welsh 9 curling 1.5 Gaul 1",
        "SCORE Welsh 9 curling - Gaul 1",
        "AT Welsh 9",
    ] {
        assert_eq!(Change::parse(bad.as_bytes()), None, "{bad:?}");
    }
    assert_eq!(Change::parse(b"MEDAL H\xff 1 Gaul gold 1"), None);
}

proptest! {
    #[test]
    fn every_change_survives_its_line_form(c in strategies::change()) {
        prop_assert_eq!(Change::parse(c.encode().as_bytes()), Some(c));
    }
}
