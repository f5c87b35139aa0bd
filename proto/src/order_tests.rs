//! Tests of the ordering lines: every line round-trips, malformed ones are refused.

use super::*;

fn req() -> Stamped {
    Stamped {
        origin: "Goloman".into(),
        seq: 7,
        lamport: 1234,
        tablet: "tablet-3".into(),
        request: "getMedalTally/Gaul".into(),
    }
}

fn round_trip(order: Order) {
    let mut dst = BytesMut::new();
    order.write(&mut dst);
    assert_eq!(Order::parse(&dst), Some(order.clone()), "{dst:?}");
}

#[test]
fn every_ordering_line_round_trips() {
    round_trip(Order::Req(req()));
    round_trip(Order::Resend {
        nonce: 9,
        req: req(),
    });
    round_trip(Order::Clock {
        origin: "Hands".into(),
        beat: 3,
        view: 2,
        seq: 0,
        lamport: 55,
        acked: vec![("Goloman".into(), 4), ("Hands".into(), 0)],
    });
    round_trip(Order::Want {
        asker: "Hands".into(),
        nonce: 1,
        origin: "Goloman".into(),
        from: 4,
    });
    round_trip(Order::Propose {
        leader: "Wilkes".into(),
        view: 3,
        prev: 2,
        position: 700,
        members: vec!["Hands".into(), "Wilkes".into()],
    });
    round_trip(Order::Flush {
        origin: "Hands".into(),
        view: 3,
        held: vec![("Goloman".into(), 4), ("Hands".into(), 0)],
    });
    round_trip(Order::Install {
        leader: "Wilkes".into(),
        view: 3,
        prev: 1,
        members: vec!["Hands".into(), "Wilkes".into()],
        old: vec!["Goloman".into(), "Hands".into()],
        cut: vec![("Goloman".into(), 4)],
    });
    round_trip(Order::Install {
        leader: "Wilkes".into(),
        view: 3,
        prev: 2,
        members: vec!["Wilkes".into()],
        old: vec![],
        cut: vec![],
    });
    round_trip(Order::Fetch {
        asker: "Hands".into(),
        nonce: 2,
        from: 100,
    });
    round_trip(Order::Log {
        to: "Hands".into(),
        nonce: 2,
        position: 100,
        view: 1,
        req: req(),
    });
}

#[test]
fn malformed_ordering_lines_are_none() {
    let long = format!("OREQ A 1 1 t {}", "x".repeat(MAX_FIELD + 1));
    for line in [
        &b"OREQ Goloman 1 2 tablet"[..],
        b"OREQ Goloman x 2 tablet r",
        b"OREQ Goloman 1 2 tablet r extra",
        b"OCLK Hands 1 2 3",
        b"OCLK Hands 1 2 3 4 Goloman",
        b"OWANT Hands 1 Goloman",
        b"OVIEW Wilkes 3 2 2 Hands",
        b"OVIEW Wilkes 3 2 1 Hands 2 Hands",
        b"OFLUSH Hands 3 Goloman",
        b"OFLUSH Hands 3 Goloman -1",
        long.as_bytes(),
    ] {
        assert_eq!(Order::parse(line), None, "{line:?}");
    }
}
