//! Equal client times on real processes: the same clients reported at
//! Goloman and at Welsh (two hops apart) at the same moment with the same
//! client time end up with one winner on all five servers.

mod common;

use std::collections::BTreeMap;
use std::sync::Barrier;
use std::time::Duration;

use common::*;

/// Clients reported at both ends.
const TIED: usize = 20;

/// The client time every tied report carries.
const TIME: &str = "1900000000.5";

/// How long the herd may take to agree: "within a few seconds", with a
/// loaded machine's margin.
const AGREE_WITHIN: Duration = Duration::from_secs(15);

/// The tied reports one server takes: every client at `coords`.
fn reports(coords: &str) -> String {
    (0..TIED)
        .map(|i| format!("IAMAT tie-{i} {coords} {TIME}\n"))
        .collect()
}

/// Each server's first WHATSAT line for `client`, by server.
fn answers(herd: &TestHerd, client: &str) -> BTreeMap<&'static str, String> {
    FIVE.iter()
        .map(|&name| {
            let reply = whatsat_until_known(herd.client(name), client)
                .unwrap_or_else(|| panic!("{name} never learned {client}"));
            (name, first_line(&reply).to_owned())
        })
        .collect()
}

#[test]
fn clients_reported_at_two_servers_with_equal_times_get_the_same_at_line_everywhere() {
    let herd = TestHerd::five();
    // Links carry floods both ways before the race starts.
    for (entry, client) in [("Goloman", "warm-g"), ("Welsh", "warm-w")] {
        exchange_str(herd.client(entry), &format!("IAMAT {client} +1+1 1\n"));
        for name in FIVE {
            assert!(
                whatsat_until_known(herd.client(name), client).is_some(),
                "{client} never reached {name}"
            );
        }
    }

    let start = Barrier::new(2);
    let (at_goloman, at_welsh) = std::thread::scope(|scope| {
        let send = |entry: &'static str, coords: &'static str| {
            let (start, addr) = (&start, herd.client(entry));
            scope.spawn(move || {
                let input = reports(coords);
                start.wait();
                exchange_str(addr, &input)
            })
        };
        let goloman = send("Goloman", "+10+10");
        let welsh = send("Welsh", "-20-20");
        (goloman.join().unwrap(), welsh.join().unwrap())
    });
    assert_eq!(at_goloman.lines().count(), TIED, "{at_goloman}");
    assert_eq!(at_welsh.lines().count(), TIED, "{at_welsh}");
    let taken: Vec<&str> = at_goloman.lines().chain(at_welsh.lines()).collect();

    wait_for("one winner everywhere", AGREE_WITHIN, || {
        for i in 0..TIED {
            let client = format!("tie-{i}");
            let answers = answers(&herd, &client);
            let first = &answers["Goloman"];
            if answers.values().any(|line| line != first) {
                return Err(format!("split on {client}: {answers:#?}"));
            }
            assert!(
                taken.contains(&first.as_str()),
                "the winner is one of the two reports: {first}"
            );
        }
        Ok(())
    });
}
