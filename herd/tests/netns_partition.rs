//! A partition on real network links: the five-server herd, each server in
//! its own network namespace and each topology link its own veth pair.
//! Holiday is cut off from all its neighbours, which splits the herd into
//! {Goloman, Hands, Wilkes}, {Holiday} and {Welsh}; every part takes
//! locations and medals (Holiday after a restart with its journal wiped),
//! then the links heal and every server must hold the same newest locations
//! and the exact medal counts.
//!
//! Needs root and `ip`; skipped with a message elsewhere (set
//! `HERD_REQUIRE_NETNS` to make that a failure, as CI does).

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use common::netns::Net;
use common::status::*;
use common::*;

/// Holiday's neighbours, whose links the test cuts.
const HOLIDAY_LINKS: [&str; 3] = ["Goloman", "Welsh", "Wilkes"];

/// How long links may take to notice a cut (several missed pings) or to
/// come back up, on a loaded machine.
const LINK_CHANGE: Duration = Duration::from_secs(20);

/// How long the healed herd may take to agree.
const CONVERGE_WITHIN: Duration = Duration::from_secs(20);

/// Anti-entropy rounds run this often (the default `anti_entropy_ms`).
const ROUND: Duration = Duration::from_millis(1000);

/// Awards `count` medals of `kind` to `team` at `addr`; every one must be
/// acknowledged.
fn award(addr: SocketAddr, team: &str, kind: &str, count: usize) {
    let input = format!("MEDAL {team} {kind} {CACOFONIX}\n").repeat(count);
    let reply = exchange_str(addr, &input);
    assert_eq!(reply.lines().count(), count, "{reply}");
    assert!(reply.lines().all(|l| l.starts_with("OK TALLY ")), "{reply}");
}

/// Reports each of `clients` at `addr` with `coords` and `time`; returns
/// the AT line the server answered for each.
fn report(addr: SocketAddr, clients: &[String], coords: &str, time: &str) -> Vec<String> {
    let input: String = clients
        .iter()
        .map(|c| format!("IAMAT {c} {coords} {time}\n"))
        .collect();
    let reply = exchange_str(addr, &input);
    let lines: Vec<String> = reply.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), clients.len(), "{reply}");
    assert!(lines.iter().all(|l| l.starts_with("AT ")), "{reply}");
    lines
}

/// Client names `prefix-0` to `prefix-9`.
fn clients(prefix: &str) -> Vec<String> {
    (0..10).map(|i| format!("{prefix}-{i}")).collect()
}

/// `Ok` when every server of `names` tallies `expected` for each team.
fn tallies(herd: &TestHerd, names: &[&str], expected: &[(&str, &str)]) -> Result<(), String> {
    for name in names {
        for (team, counts) in expected {
            let reply = exchange_str(herd.client(name), &format!("TALLY {team}\n"));
            let wanted = format!("TALLY {team} {counts}\n");
            if reply != wanted {
                return Err(format!("{name} says {reply:?}, not {wanted:?}"));
            }
        }
    }
    Ok(())
}

/// `Ok` when every server answers WHATSAT for each client with its
/// expected AT line.
fn locations(herd: &TestHerd, expected: &BTreeMap<String, String>) -> Result<(), String> {
    for name in FIVE {
        for (client, at) in expected {
            let reply = exchange_str(herd.client(name), &format!("WHATSAT {client} 10 1\n"));
            if first_line(&reply) != at {
                return Err(format!(
                    "{name} answers {client} with {reply:?}, not {at:?}"
                ));
            }
        }
    }
    Ok(())
}

/// Waits until every link of every server is up.
fn all_linked(herd: &TestHerd) {
    for name in FIVE {
        status_until(herd.client(name), LINK_CHANGE, "all links up", all_links_up);
    }
}

/// Waits until Holiday and each of its neighbours see their link down.
fn holiday_cut_off(herd: &TestHerd) {
    status_until(herd.client("Holiday"), LINK_CHANGE, "cut off", |s| {
        s.links.iter().all(|l| !l.up)
    });
    for name in HOLIDAY_LINKS {
        status_until(herd.client(name), LINK_CHANGE, "Holiday down", |s| {
            s.links.iter().any(|l| l.peer == "Holiday" && !l.up)
        });
    }
}

/// What the parts were told while apart: each client's AT line that must
/// win everywhere, and the two tied reports (either may win).
struct Written {
    newest: BTreeMap<String, String>,
    tied: [String; 2],
}

/// Writes in every part: medals at Goloman, Wilkes, Welsh and Holiday,
/// clients at Hands, Welsh and Holiday, a client that roams from Hands to
/// Welsh, and one reported at Hands and Welsh with the same client time.
fn write_in_every_part(herd: &TestHerd) -> Written {
    let (hands, holiday, welsh) = (
        herd.client("Hands"),
        herd.client("Holiday"),
        herd.client("Welsh"),
    );
    award(herd.client("Goloman"), "Gaul", "gold", 3);
    award(herd.client("Wilkes"), "Rome", "silver", 1);
    award(welsh, "Gaul", "gold", 2);
    award(holiday, "Gaul", "gold", 3);
    let mut newest = BTreeMap::new();
    for (addr, prefix) in [(hands, "part-a"), (welsh, "part-w"), (holiday, "part-h")] {
        let names = clients(prefix);
        let lines = report(addr, &names, "+5+5", "1900000050");
        newest.extend(names.into_iter().zip(lines));
    }
    report(hands, &["roam".into()], "+2+2", "1900000100");
    let [roam] =
        <[String; 1]>::try_from(report(welsh, &["roam".into()], "+3+3", "1900000200")).unwrap();
    newest.insert("roam".into(), roam);
    let tie = |addr, coords| report(addr, &["tie".into()], coords, "1900000000.5").remove(0);
    let tied = [tie(hands, "+10+10"), tie(welsh, "-20-20")];
    Written { newest, tied }
}

/// Rome's tally everywhere: Wilkes's one silver.
const ROME: (&str, &str) = ("Rome", "gold 0 silver 1 bronze 0");

#[test]
fn a_herd_partitioned_in_network_namespaces_converges_with_exact_counts_after_healing() {
    let Some(net) = Net::create_or_skip(&FIVE, &FIVE_LINKS) else {
        return;
    };
    // Declared after `net`, so dropped first: every server is killed
    // before its namespace is deleted.
    let mut herd = TestHerd::start_at(net.ports(), &FIVE_LINKS, "", net.wrappers());
    all_linked(&herd);
    award(herd.client("Holiday"), "Gaul", "gold", 2);
    report(
        herd.client("Goloman"),
        &["roam".into()],
        "+1+1",
        "1900000000",
    );
    wait_for("Holiday's medals everywhere", LINK_CHANGE, || {
        tallies(&herd, &FIVE, &[("Gaul", "gold 2 silver 0 bronze 0")])
    });

    for neighbour in HOLIDAY_LINKS {
        net.cut("Holiday", neighbour);
    }
    holiday_cut_off(&herd);
    // Holiday comes back with no journal and writes before any sync.
    herd.kill9("Holiday");
    std::fs::remove_file(herd.data_dir().join("Holiday.journal")).expect("wipe the journal");
    herd.spawn("Holiday");
    herd.wait_ready("Holiday");
    let written = write_in_every_part(&herd);
    // Each part holds its own writes and none of the others'.
    wait_for("each part's own counts", LINK_CHANGE, || {
        let gaul = |counts| ("Gaul", counts);
        let apart = [gaul("gold 5 silver 0 bronze 0"), ROME];
        tallies(&herd, &["Goloman", "Hands", "Wilkes"], &apart)?;
        tallies(&herd, &["Welsh"], &[gaul("gold 4 silver 0 bronze 0")])?;
        tallies(&herd, &["Holiday"], &[gaul("gold 3 silver 0 bronze 0")])
    });
    let across = exchange_str(herd.client("Welsh"), "WHATSAT part-a-0 10 1\n");
    assert!(across.starts_with("? "), "the partition leaked: {across}");

    for neighbour in HOLIDAY_LINKS {
        net.heal("Holiday", neighbour);
    }
    all_linked(&herd);
    let totals = [("Gaul", "gold 10 silver 0 bronze 0"), ROME];
    wait_for("every count everywhere", CONVERGE_WITHIN, || {
        tallies(&herd, &FIVE, &totals)
    });
    wait_for("every newest location everywhere", CONVERGE_WITHIN, || {
        locations(&herd, &written.newest)
    });
    wait_for("one winner for the tie", CONVERGE_WITHIN, || {
        let winner = exchange_str(herd.client("Goloman"), "WHATSAT tie 10 1\n");
        let winner = first_line(&winner).to_owned();
        if !written.tied.contains(&winner) {
            return Err(format!("Goloman holds {winner:?}"));
        }
        locations(&herd, &BTreeMap::from([("tie".to_owned(), winner)]))
    });
    // Further rounds of anti-entropy count nothing twice.
    std::thread::sleep(3 * ROUND);
    tallies(&herd, &FIVE, &totals).unwrap();
}
