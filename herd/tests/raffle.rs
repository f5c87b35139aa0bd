//! The raffle between real `herd` processes on loopback: Olympic line
//! verbs from twenty connections ("tablets") spread over the five
//! servers, `[raffle] every = 10`, one server SIGKILLed mid-stream and
//! started again, a draw by Cacofonix. Every replica must list the same
//! entries and name the same winner.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use common::{CACOFONIX, FIVE, FIVE_LINKS, TestHerd, exchange_str, wait_for};
use serde_json::Value;

/// Long enough for a view change (suspect 1.5 s, flush, install) on a
/// loaded machine.
const ORDERED_WITHIN: Duration = Duration::from_secs(60);

const EXTRA: &str = "[raffle]\nevery = 10\nsuspect_ms = 1500\n";

/// `RAFFLE` at `addr`, as JSON.
fn raffle(addr: SocketAddr) -> Value {
    let reply = exchange_str(addr, "RAFFLE\n");
    let json = reply
        .trim_end()
        .strip_prefix("RAFFLE ")
        .unwrap_or_else(|| panic!("not a RAFFLE reply: {reply:?}"));
    serde_json::from_str(json).expect("RAFFLE answers JSON")
}

/// Sends `per_tablet` Olympic requests on each of `tablets` connections,
/// spread round-robin over `servers`; returns how many were sent.
fn send_load(herd: &TestHerd, servers: &[&str], tablets: usize, per_tablet: usize) -> u64 {
    std::thread::scope(|scope| {
        for t in 0..tablets {
            let addr = herd.client(servers[t % servers.len()]);
            scope.spawn(move || {
                let mut input = String::new();
                for i in 0..per_tablet {
                    input.push_str(match i % 3 {
                        0 => "TALLY Gaul\n",
                        1 => "SCORE Javelin\n",
                        _ => "TALLY Rome\n",
                    });
                }
                let reply = exchange_str(addr, &input);
                assert_eq!(reply.lines().count(), per_tablet, "every request answered");
            });
        }
    });
    (tablets * per_tablet) as u64
}

/// Ok once every server in `names` has ordered `n` requests and lists the
/// same entries (and winner); returns the entries.
fn agreed(herd: &TestHerd, names: &[&str], n: u64) -> Result<Value, String> {
    let all: Vec<Value> = names.iter().map(|s| raffle(herd.client(s))).collect();
    let ordered: Vec<u64> = all
        .iter()
        .map(|r| r["ordered"].as_u64().unwrap_or(0))
        .collect();
    if ordered.iter().any(|o| *o != n) {
        return Err(format!("ordered {ordered:?}, want {n}"));
    }
    let shown: BTreeSet<String> = all
        .iter()
        .map(|r| format!("{} {}", r["entries"], r["winner"]))
        .collect();
    if shown.len() != 1 {
        return Err(format!("entries differ: {shown:?}"));
    }
    Ok(all[0].clone())
}

#[test]
fn five_replicas_list_the_same_entries_through_a_sigkill_and_a_restart() {
    let mut herd = TestHerd::start(&FIVE, &FIVE_LINKS, EXTRA);
    let mut sent = send_load(&herd, &FIVE, 20, 25);
    wait_for("every replica orders the first 500", ORDERED_WITHIN, || {
        agreed(&herd, &FIVE, sent).map(drop)
    });

    // Hands: the others stay connected without it (Welsh's only link is
    // to Holiday).
    herd.kill9("Hands");
    let rest = ["Goloman", "Holiday", "Welsh", "Wilkes"];
    sent += send_load(&herd, &rest, 20, 25);
    let mut entries = Value::Null;
    wait_for(
        "the others go on ordering without Hands",
        ORDERED_WITHIN,
        || {
            entries = agreed(&herd, &rest, sent)?;
            Ok(())
        },
    );
    let view = &raffle(herd.client("Wilkes"))["view"];
    assert!(
        !view["members"].to_string().contains("Hands"),
        "Hands was removed from the view: {view}"
    );
    assert_eq!(entries["entries"].as_array().map(Vec::len), Some(100));
    assert_eq!(entries["every"], 10);

    herd.spawn("Hands");
    herd.wait_ready("Hands");
    wait_for(
        "Hands catches up and lists the same entries",
        ORDERED_WITHIN,
        || agreed(&herd, &FIVE, sent).map(drop),
    );

    let reply = exchange_str(herd.client("Welsh"), "DRAW wrong-id judge\n");
    assert_eq!(reply.trim_end(), "DRAW denied");
    let reply = exchange_str(herd.client("Welsh"), &format!("DRAW {CACOFONIX} judge\n"));
    assert_eq!(reply.trim_end(), "DRAW queued");
    sent += 1;
    let mut drawn = Value::Null;
    wait_for(
        "every replica names the same winner",
        ORDERED_WITHIN,
        || {
            drawn = agreed(&herd, &FIVE, sent)?;
            Ok(())
        },
    );
    let winner = &drawn["winner"];
    assert!(winner.is_object(), "a winner: {drawn}");
    assert!(drawn["entries"].as_array().unwrap().contains(winner));
    let view = &drawn["view"];
    assert_eq!(view["members"].as_array().map(Vec::len), Some(5), "{view}");
}
