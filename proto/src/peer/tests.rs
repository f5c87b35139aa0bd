//! The peer grammar's round trips and refusals.

use super::*;

fn round_trip(msg: Message) {
    let bytes = msg.to_bytes();
    assert_eq!(bytes.last(), Some(&b'\n'));
    let parsed = Message::parse(&bytes[..bytes.len() - 1]).unwrap();
    assert_eq!(parsed, msg);
}

#[test]
fn every_message_round_trips() {
    let nonce = Nonce([7; NONCE_LEN]);
    let tag = Tag([9; TAG_LEN]);
    round_trip(Message::Hello {
        name: "Goloman".into(),
        nonce,
        tag: None,
    });
    round_trip(Message::Hello {
        name: "Hands".into(),
        nonce,
        tag: Some(tag),
    });
    round_trip(Message::Auth { tag });
    round_trip(Message::Ping);
    round_trip(Message::Pong);
    let at = b"AT Goloman +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997";
    round_trip(Message::At(Arc::new(Location::from_at_line(at).unwrap())));
}

#[test]
fn at_is_written_exactly_as_stored() {
    let at = b"AT Goloman +0.263873386 kiwi +34.068930-118.445127 1520023934.918963997";
    let msg = Message::parse(at).unwrap();
    assert_eq!(&msg.to_bytes()[..], [&at[..], b"\n"].concat());
}

#[test]
fn anti_entropy_messages_round_trip() {
    let mut hashes = [0; FANOUT];
    hashes[3] = u64::MAX;
    hashes[15] = 0x0123_4567_89ab_cdef;
    round_trip(Message::Sums {
        node: Node::ROOT,
        hashes,
    });
    let inner = Node::ROOT.child(10).unwrap().child(3).unwrap();
    round_trip(Message::Sums {
        node: inner,
        hashes,
    });
    round_trip(Message::Have {
        leaf: Node::leaf(0xa3f),
        hashes: vec![0, u64::MAX, 0xfeed],
        answer: true,
    });
    round_trip(Message::Have {
        leaf: Node::leaf(0),
        hashes: vec![],
        answer: false,
    });
    round_trip(Message::OlympicSum(0xfeed));
    round_trip(Message::OlympicPull);
    let sums = Message::Sums {
        node: Node::ROOT,
        hashes,
    };
    let text = String::from_utf8(sums.to_bytes().to_vec()).unwrap();
    assert!(
        text.starts_with(
            "SUMS - 0000000000000000 0000000000000000 0000000000000000 ffffffffffffffff"
        )
    );
}

#[test]
fn malformed_anti_entropy_messages_are_errors() {
    let hashes = vec!["0000000000000000"; FANOUT].join(" ");
    for (line, verb) in [
        (format!("SUMS a3f {hashes}"), "SUMS"),
        (format!("SUMS - {hashes} 0000000000000000"), "SUMS"),
        ("SUMS - 00".to_owned(), "SUMS"),
        (format!("SUMS x {hashes}"), "SUMS"),
        ("HAVE".to_owned(), "HAVE"),
        ("HAVE a3".to_owned(), "HAVE"),
        ("HAD a3f 12".to_owned(), "HAD"),
        (
            format!(
                "HAVE 000 {}",
                vec!["0000000000000000"; MAX_HAVE + 1].join(" ")
            ),
            "HAVE",
        ),
        ("OSUM 12".to_owned(), "OSUM"),
        ("OSUM 000000000000000G".to_owned(), "OSUM"),
        ("OPULL now".to_owned(), "OPULL"),
    ] {
        assert_eq!(
            Message::parse(line.as_bytes()),
            Err(MessageError { verb }),
            "{line}"
        );
    }
}

#[test]
fn malformed_known_verbs_are_errors() {
    for (line, verb) in [
        (&b"HELLO Goloman"[..], "HELLO"),
        (b"HELLO Goloman abcd", "HELLO"),
        (b"AUTH", "AUTH"),
        (b"AUTH zz", "AUTH"),
        (b"PING now", "PING"),
        (b"AT S +1.0 c +1+2 5", "AT"),
    ] {
        assert_eq!(Message::parse(line), Err(MessageError { verb }));
    }
    let long_tag = format!("AUTH {}", "ab".repeat(TAG_LEN + 1));
    assert!(Message::parse(long_tag.as_bytes()).is_err());
}

#[test]
fn olympic_changes_round_trip_and_malformed_ones_are_errors() {
    round_trip(Message::parse(b"MEDAL Goloman 3 Gaul gold 2").unwrap());
    round_trip(Message::parse(b"SCORE Hands 7 curling 1700000000000000000 Gaul 3 Rome 2").unwrap());
    assert_eq!(
        Message::parse(b"MEDAL gold Goloman"),
        Err(MessageError { verb: "MEDAL" })
    );
}

#[test]
fn unknown_verbs_and_blank_lines_are_unknown_not_errors() {
    for line in [&b"TROPHY gold Goloman"[..], b"", b"at lower case"] {
        assert_eq!(
            Message::parse(line),
            Ok(Message::Unknown(Bytes::copy_from_slice(line)))
        );
    }
}

#[test]
fn tag_debug_hides_bytes() {
    assert_eq!(format!("{:?}", Tag([0xab; TAG_LEN])), "Tag(..)");
}
