//! Strategies for every reply a server writes on the client port.

use proptest::prelude::*;

use bytes::Bytes;

use super::client::{field, medal};
use super::location;
use crate::client::Invalid;
use crate::reply::{
    Failed, Heap, JournalStatus, LinkStatus, Reply, Score, SetBy, Status, Tally, Target, View,
};

/// Any tally.
pub fn tally() -> impl Strategy<Value = Tally> {
    (field(), any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(team, gold, silver, bronze)| {
        Tally {
            team,
            gold,
            silver,
            bronze,
        }
    })
}

/// Any score, set or not, with any number a merged change can carry.
pub fn score() -> impl Strategy<Value = Score> {
    let set = (any::<i128>(), field()).prop_map(|(time_ns, server)| SetBy { time_ns, server });
    let scores = prop::collection::vec((field(), any::<i64>()), 0..4);
    (field(), scores, proptest::option::of(set)).prop_map(|(event, scores, set)| Score {
        event,
        scores,
        set,
    })
}

/// A tally or a score.
pub fn view() -> impl Strategy<Value = View> {
    prop_oneof![tally().prop_map(View::Tally), score().prop_map(View::Score)]
}

/// What a `DENIED` or `FAILED` names.
pub fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        (field(), medal()).prop_map(|(team, medal)| Target::Medal { team, medal }),
        field().prop_map(|event| Target::SetScore { event }),
    ]
}

/// A failed write, with a reason of any shape (line breaks included).
pub fn failed() -> impl Strategy<Value = Failed> {
    (target(), "[ -~\\t\\r\\n]{0,40}").prop_map(|(target, reason)| Failed::new(target, &reason))
}

/// A finite number, as JSON carries it.
fn number() -> impl Strategy<Value = f64> {
    prop::num::f64::NORMAL | prop::num::f64::ZERO
}

/// Any status a server could report.
pub fn status() -> impl Strategy<Value = Status> {
    let link = (
        ".{0,8}",
        any::<bool>(),
        number(),
        number(),
        proptest::option::of(number()),
    )
        .prop_map(|(peer, up, since, for_secs, last_sync)| LinkStatus {
            peer,
            up,
            since,
            for_secs,
            last_sync,
            last_error: Some("closed\n\"by\" peer".into()),
        });
    let journal = (".{0,8}", any::<bool>(), any::<u64>()).prop_map(|(path, healthy, records)| {
        JournalStatus {
            path,
            healthy,
            error: (!healthy).then(|| "disk full".into()),
            origin: "A/0123456789abcdef".into(),
            records,
            fsyncs: records / 2,
            records_in_file: 1,
        }
    });
    let heap = (any::<u64>(), any::<u64>()).prop_map(|(allocated, resident)| Heap {
        allocated,
        resident,
    });
    let links = prop::collection::vec(link, 0..3);
    let reasons = prop::collection::vec(".{0,12}", 0..3);
    let counts = (any::<usize>(), any::<u64>(), any::<u64>());
    (
        field(),
        number(),
        reasons,
        links,
        journal,
        counts,
        proptest::option::of(heap),
    )
        .prop_map(
            |(
                server,
                uptime_secs,
                reasons,
                links,
                journal,
                (clients, connections, after),
                heap,
            )| {
                Status {
                    server,
                    uptime_secs,
                    degraded: !reasons.is_empty(),
                    reasons,
                    degraded_after_secs: after,
                    links,
                    journal,
                    clients,
                    connections,
                    heap,
                    coordination: Default::default(),
                }
            },
        )
}

/// The echo of any line: any bytes but a newline.
pub fn echo() -> impl Strategy<Value = Invalid> {
    let byte = any::<u8>().prop_filter("no newline", |b| *b != b'\n');
    prop::collection::vec(byte, 0..40).prop_map(|line| Invalid::new(Bytes::from(line)))
}

/// Any reply, every variant.
pub fn reply() -> impl Strategy<Value = Reply> {
    let names = || prop::collection::vec(field(), 0..5);
    prop_oneof![
        location().prop_map(Reply::At),
        echo().prop_map(Reply::Invalid),
        names().prop_map(Reply::Teams),
        names().prop_map(Reply::Events),
        tally().prop_map(Reply::Tally),
        score().prop_map(Reply::Score),
        view().prop_map(Reply::Ok),
        target().prop_map(Reply::Denied),
        failed().prop_map(Reply::Failed),
        names().prop_map(Reply::Subscribed),
        view().prop_map(Reply::Update),
        any::<u64>().prop_map(Reply::Lagged),
        status().prop_map(|s| Reply::Status(Box::new(s))),
        Just(Reply::Ping),
        Just(Reply::Pong),
    ]
}
