//! A 100,000-client burst on real processes, pipelined at Hands as fast as
//! it takes them: in the herd's default configuration (link queues of
//! 65,536 clients each) and over small link queues that it overflows, every
//! server holds every client within seconds, what the queues dropped
//! repaired by anti-entropy, while every link stays up.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::status::*;
use common::*;

/// Distinct clients in the burst.
const CLIENTS: usize = 100_000;

/// Every this many clients is reported a second time, newer, at the end of
/// the burst.
const UPDATE_EVERY: usize = 50;

/// How long after the burst every server may take to hold every client:
/// "a few seconds" (about 7 s on an idle two-core machine, debug build),
/// with the margin a loaded one needs (77 s was seen at load average 20).
const CONVERGE_WITHIN: Duration = Duration::from_secs(60);

/// Clients whose WHATSAT is checked on every server.
const SAMPLES: usize = 40;

/// The burst: every client once, then every [`UPDATE_EVERY`]th again with
/// a later time and other coordinates.
fn burst() -> String {
    let first =
        (0..CLIENTS).map(|i| format!("IAMAT burst-{i} +34.1-118.4 {}\n", 1_900_000_000 + i));
    let updates = (0..CLIENTS)
        .step_by(UPDATE_EVERY)
        .map(|i| format!("IAMAT burst-{i} -12.5+130.8 {}.5\n", 1_900_000_000 + i));
    first.chain(updates).collect()
}

/// The AT line of each client's newest report, from Hands's replies in the
/// order of [`burst`].
fn newest(replies: &[&str]) -> Vec<String> {
    let mut newest: Vec<String> = replies[..CLIENTS].iter().map(|s| s.to_string()).collect();
    for (k, i) in (0..CLIENTS).step_by(UPDATE_EVERY).enumerate() {
        newest[i] = replies[CLIENTS + k].to_owned();
    }
    newest
}

/// Each server's links as (neighbour, since) pairs, all of them up.
fn links_since(herd: &TestHerd) -> BTreeMap<&'static str, Vec<(String, f64)>> {
    FIVE.iter()
        .map(|&name| {
            let status = status_until(herd.client(name), WAIT, "all links up", all_links_up);
            let links = status
                .links
                .into_iter()
                .map(|l| (l.peer, l.since))
                .collect();
            (name, links)
        })
        .collect()
}

/// Everything `name` has logged, rotated files included.
fn all_logs(herd: &TestHerd, name: &str) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(herd.log_dir()).expect("log dir") {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if file.starts_with(&format!("{name}.log")) {
            text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    text
}

/// Every server's `peer_up` and `peer_down` log lines, to show why a link
/// went down.
fn link_events(herd: &TestHerd) -> String {
    let mut events = String::new();
    for name in FIVE {
        let log = all_logs(herd, name);
        let transition =
            |l: &&str| l.contains("event=\"peer_up\"") || l.contains("event=\"peer_down\"");
        for line in log.lines().filter(transition) {
            events.push_str(&format!("{name}: {line}\n"));
        }
    }
    events
}

/// Now, in POSIX seconds, as STATUS reports times.
fn posix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn a_burst_of_100k_clients_reaches_every_server_with_every_link_staying_up() {
    burst_converges_with_every_link_up(TestHerd::five(), false);
}

/// Small link queues drop far more and lean on anti-entropy (and on the
/// log writer: every repaired line is logged); links still stay up.
#[test]
fn the_same_burst_over_small_link_queues_keeps_every_link_up() {
    let extra = "[limits]\npeer_queue = 256\n";
    burst_converges_with_every_link_up(TestHerd::start(&FIVE, &FIVE_LINKS, extra), true);
}

/// The bursts run one at a time: two at once on a two-core machine measure
/// the machine, not the herd.
static ONE_BURST_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Sends the burst to Hands of `herd`, then checks that every server holds
/// every client's newest location, that link queues overflowed if they
/// `must_overflow`, that every link synced after the burst (drops
/// repaired), and that no link went down meanwhile.
fn burst_converges_with_every_link_up(herd: TestHerd, must_overflow: bool) {
    let _alone = ONE_BURST_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let before = links_since(&herd);

    let started = Instant::now();
    let reply = exchange_str(herd.client("Hands"), &burst());
    let burst_done = posix_now();
    let taken = started.elapsed();
    let replies: Vec<&str> = reply.lines().collect();
    assert_eq!(replies.len(), CLIENTS + CLIENTS / UPDATE_EVERY);
    assert!(replies.iter().all(|l| l.starts_with("AT Hands ")));
    let newest = newest(&replies);

    wait_for("every server holding every client", CONVERGE_WITHIN, || {
        for name in FIVE {
            let held = status(herd.client(name)).clients;
            if held != CLIENTS {
                return Err(format!("{name} holds {held} clients"));
            }
        }
        Ok(())
    });
    eprintln!(
        "burst taken in {taken:?}; every server held every client {:?} later",
        started.elapsed() - taken
    );
    // Spread over the burst, updated clients included.
    let step = CLIENTS / SAMPLES + 1;
    for name in FIVE {
        for i in (0..CLIENTS).step_by(step).chain([UPDATE_EVERY * 7]) {
            let reply = exchange_str(herd.client(name), &format!("WHATSAT burst-{i} 10 1\n"));
            assert_eq!(first_line(&reply), newest[i], "{name}, client {i}");
        }
    }

    let dropping: Vec<&str> = FIVE
        .into_iter()
        .filter(|name| all_logs(&herd, name).contains("peer_queue_full"))
        .collect();
    eprintln!("link queues overflowed at {dropping:?}");
    assert!(
        !must_overflow || !dropping.is_empty(),
        "the burst must overflow link queues"
    );
    // A round found both ends of every link equal after the burst: the
    // drops were repaired on the links that were up all along.
    wait_for("every link synced after the burst", WAIT, || {
        for name in FIVE {
            let status = status(herd.client(name));
            if let Some(link) = status
                .links
                .iter()
                .find(|l| l.last_sync.is_none_or(|t| t < burst_done))
            {
                return Err(format!("{name}: {link:?}"));
            }
        }
        Ok(())
    });
    let after = links_since(&herd);
    assert!(
        after == before,
        "a link went down: {before:?} became {after:?}\n{}",
        link_events(&herd)
    );
}
