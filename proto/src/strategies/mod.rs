//! proptest strategies for the values that travel on peer links and in the
//! journal (here), from clients ([`client`]) and back to them ([`reply`]),
//! shared by the property tests of the types that parse them. Each
//! strategy covers the whole shape its parser accepts (any script, any
//! number in range), not just the names a test herd uses.

pub mod client;
pub mod reply;

use std::sync::Arc;

use proptest::prelude::*;

use crate::change::{Change, OpId};
use crate::digest::{FANOUT, Node};
use crate::location::Location;
use crate::medal::Medal;
use crate::peer::{Message, NONCE_LEN, Nonce, TAG_LEN, Tag};
use crate::timestamp::format_diff;

/// A name token as change lines carry it: no white space, no control
/// characters, any script.
pub fn token() -> impl Strategy<Value = String> {
    "[^\\s\\p{Cc}]{1,12}"
}

/// A server name: a token without `/` that is not `.` or `..`.
pub fn server_name() -> impl Strategy<Value = String> {
    "[^\\s\\p{Cc}/]{1,12}".prop_filter("not a directory name", |n| n != "." && n != "..")
}

/// An origin: a bare server name (format-1 journals) or a name and an
/// incarnation of 16 to 32 lower-case hex digits.
pub fn origin() -> impl Strategy<Value = String> {
    prop_oneof![
        server_name(),
        (server_name(), "[0-9a-f]{16,32}").prop_map(|(name, inc)| format!("{name}/{inc}")),
    ]
}

/// Any operation id.
fn op_id() -> impl Strategy<Value = OpId> {
    (origin(), any::<u64>()).prop_map(|(origin, seq)| OpId { origin, seq })
}

/// No key, or any idempotency key with any time.
fn keyed() -> impl Strategy<Value = Option<crate::idem::Keyed>> {
    prop::option::of(
        ("[!-~]{1,16}", any::<i128>()).prop_map(|(key, at_ns)| crate::idem::Keyed {
            key: crate::idem::IdemKey::new(&key).expect("visible ASCII"),
            at_ns,
            first: None,
        }),
    )
}

/// Any change, with the whole range of every number.
pub fn change() -> impl Strategy<Value = Change> {
    let medal = (op_id(), token(), 0..Medal::ALL.len(), any::<u64>(), keyed()).prop_map(
        |(op, team, m, count, key)| Change::Medal {
            op,
            team,
            medal: Medal::ALL[m],
            count,
            key,
        },
    );
    let scores = prop::collection::vec((token(), any::<i64>()), 1..5);
    let score = (op_id(), token(), any::<i128>(), scores, keyed()).prop_map(
        |(op, event, stamp_ns, scores, key)| Change::Score {
            op,
            event,
            stamp_ns,
            scores,
            key,
        },
    );
    let first = prop::option::of(any::<[u64; 3]>());
    let medal = (medal, first).prop_map(|(mut change, first)| {
        if let Change::Medal { key: Some(key), .. } = &mut change {
            key.first = first;
        }
        change
    });
    let void = (op_id(), token(), 0..Medal::ALL.len()).prop_map(|(op, team, m)| Change::Void {
        op,
        team,
        medal: Medal::ALL[m],
    });
    prop_oneof![medal, score, void]
}

/// A run of protocol white space, never `\n` (which ends a line).
pub fn space() -> impl Strategy<Value = String> {
    "[ \\t\\r\\x0b\\x0c]{1,3}"
}

/// A client ID: anything but the protocol's white space, in any script
/// (control characters and other spaces included).
pub fn client_id() -> impl Strategy<Value = String> {
    "[^ \\t\\r\\n\\x0b\\x0c]{1,24}"
}

/// `±D[.D]` degrees within `max`.
pub fn degrees(max: u32) -> impl Strategy<Value = String> {
    let frac = proptest::option::of("[0-9]{1,12}");
    (any::<bool>(), 0..=max, frac).prop_map(move |(neg, int, frac)| {
        let sign = if neg { '-' } else { '+' };
        // The bound itself only with a zero fraction.
        let frac = frac.filter(|_| int < max);
        match frac {
            Some(f) => format!("{sign}{int}.{f}"),
            None => format!("{sign}{int}"),
        }
    })
}

/// A client time as IAMAT carries it: `SECONDS[.FRACTION]`.
pub fn client_time() -> impl Strategy<Value = String> {
    "[0-9]{1,20}(\\.[0-9]{1,9})?"
}

/// A stored location, as a peer floods it.
pub fn location() -> impl Strategy<Value = Location> {
    let diff = any::<i64>().prop_map(|d| format_diff(i128::from(d)));
    (
        server_name(),
        diff,
        client_id(),
        degrees(90),
        degrees(180),
        client_time(),
    )
        .prop_map(|(server, diff, client, lat, lng, time)| {
            let line = format!("AT {server} {diff} {client} {lat}{lng} {time}");
            Location::from_at_line(line.as_bytes()).expect("a well-formed AT line")
        })
}

/// The node `depth` levels down the digest tree along `path` (one child
/// index per level).
pub fn node_at(depth: usize, path: [usize; 3]) -> Node {
    path[..depth]
        .iter()
        .fold(Node::ROOT, |node, &i| node.child(i).expect("an inner node"))
}

/// Any node of the digest tree with `depth` in `depths`.
pub fn node(depths: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Node> {
    (depths, [0..FANOUT, 0..FANOUT, 0..FANOUT]).prop_map(|(depth, path)| node_at(depth, path))
}

/// A line whose verb no server knows: kept and written verbatim.
fn unknown_line() -> impl Strategy<Value = bytes::Bytes> {
    "[a-z]{1,8}( [!-~]{1,10}){0,3}".prop_map(bytes::Bytes::from)
}

/// Any coordination line, every variant.
pub fn coord() -> impl Strategy<Value = crate::coord::Coord> {
    use crate::coord::Coord;
    let name = server_name;
    prop_oneof![
        (name(), any::<u64>()).prop_map(|(origin, seq)| Coord::Here { origin, seq }),
        (name(), any::<u64>()).prop_map(|(origin, term)| Coord::Elect { origin, term }),
        (name(), any::<u64>(), name()).prop_map(|(origin, term, candidate)| Coord::Alive {
            origin,
            term,
            candidate
        }),
        (name(), any::<u64>(), any::<u64>()).prop_map(|(origin, term, beat)| Coord::Lead {
            origin,
            term,
            beat
        }),
        (name(), any::<u64>(), any::<u64>()).prop_map(|(leader, term, round)| Coord::Poll {
            leader,
            term,
            round
        }),
        (name(), name(), any::<u64>(), any::<i64>()).prop_map(|(origin, leader, round, ns)| {
            Coord::Reading {
                origin,
                leader,
                round,
                clock_ns: i128::from(ns),
            }
        }),
        (
            name(),
            any::<u64>(),
            any::<u64>(),
            prop::collection::vec((name(), any::<i64>()), 0..6)
        )
            .prop_map(|(leader, term, round, adjustments)| Coord::Adjust {
                leader,
                term,
                round,
                adjustments
            }),
    ]
}

/// Any peer message, every variant.
pub fn message() -> impl Strategy<Value = Message> {
    let nonce = any::<[u8; NONCE_LEN]>().prop_map(Nonce);
    let tag = || any::<[u8; TAG_LEN]>().prop_map(Tag);
    let hello = (client_id(), nonce, proptest::option::of(tag()))
        .prop_map(|(name, nonce, tag)| Message::Hello { name, nonce, tag });
    let sums = (node(0..=2), any::<[u64; FANOUT]>())
        .prop_map(|(node, hashes)| Message::Sums { node, hashes });
    let pull = (
        node(3..=3),
        prop::collection::vec(any::<u64>(), 0..40),
        any::<bool>(),
    )
        .prop_map(|(leaf, hashes, answer)| Message::Have {
            leaf,
            hashes,
            answer,
        });
    prop_oneof![
        hello,
        tag().prop_map(|tag| Message::Auth { tag }),
        Just(Message::Ping),
        Just(Message::Pong),
        location().prop_map(|l| Message::At(Arc::new(l))),
        change().prop_map(|c| Message::Change(Arc::new(c))),
        sums,
        pull,
        any::<u64>().prop_map(Message::OlympicSum),
        Just(Message::OlympicPull),
        prop::collection::vec((client_id(), any::<u64>()), 1..5).prop_map(|items| {
            Message::IHave(
                items
                    .into_iter()
                    .map(|(client, secs)| crate::gossip::Announced {
                        client,
                        time: i128::from(secs),
                    })
                    .collect(),
            )
        }),
        prop::collection::vec(client_id(), 1..5).prop_map(Message::Graft),
        Just(Message::Prune),
        coord().prop_map(Message::Coord),
        unknown_line().prop_map(Message::Unknown),
    ]
}
