//! Floods reach everyone, identical, newest wins, and they end.

use std::time::Duration;

use super::harness::{FIVE, FIVE_LINKS, Herd, PATIENCE, eventually, key};

#[tokio::test]
async fn location_reaches_server_three_hops_away_with_identical_at_line() {
    let herd = Herd::start(&FIVE, &FIVE_LINKS, key("k")).await;
    herd.wait_linked().await;

    let stored = herd
        .node("Hands")
        .iamat("kiwi.cs.ucla.edu", 1_520_023_934)
        .unwrap();
    let expected = String::from_utf8_lossy(stored.at_line()).into_owned();
    eventually("Welsh holds kiwi", PATIENCE, || {
        herd.node("Welsh").held("kiwi.cs.ucla.edu").is_some()
    })
    .await;
    for name in FIVE {
        assert_eq!(
            herd.node(name).held("kiwi.cs.ucla.edu").as_deref(),
            Some(expected.as_str()),
            "{name} holds a different line"
        );
    }
    herd.shutdown().await;
}

#[tokio::test]
async fn concurrent_updates_converge_on_the_newest_everywhere() {
    let herd = Herd::start(&FIVE, &FIVE_LINKS, key("k")).await;
    herd.wait_linked().await;

    // Opposite ends of the herd, at the same moment: the older one starts
    // flooding from Welsh and must be overtaken wherever it lands.
    herd.node("Welsh").iamat("kiwi", 100).unwrap();
    let newest = herd.node("Hands").iamat("kiwi", 200).unwrap();
    let newest = String::from_utf8_lossy(newest.at_line()).into_owned();
    eventually("all five hold the newest", PATIENCE, || {
        FIVE.iter()
            .all(|n| herd.node(n).held("kiwi").as_deref() == Some(newest.as_str()))
    })
    .await;

    // A late, older report changes nothing anywhere.
    assert!(herd.node("Holiday").iamat("kiwi", 150).is_none());
    tokio::time::sleep(Duration::from_millis(300)).await;
    for name in FIVE {
        assert_eq!(
            herd.node(name).held("kiwi").as_deref(),
            Some(newest.as_str())
        );
    }
    herd.shutdown().await;
}

#[tokio::test]
async fn floods_end_on_a_graph_with_cycles() {
    let herd = Herd::start(&FIVE, &FIVE_LINKS, key("k")).await;
    herd.wait_linked().await;

    const UPDATES: u64 = 20;
    for t in 1..=UPDATES {
        herd.node("Hands").iamat(&format!("c{t}"), t).unwrap();
    }
    eventually("every update everywhere", PATIENCE, || {
        FIVE.iter()
            .all(|n| herd.node(n).shared.db.len() == UPDATES as usize)
    })
    .await;

    let totals = || {
        let (mut received, mut taken) = (0, 0);
        for node in herd.nodes.values() {
            for peer in node.shared.peers.live() {
                let stats = node.shared.peers.stats(&peer).unwrap();
                received += stats.at_received;
                taken += stats.at_taken;
            }
        }
        (received, taken)
    };
    // Each of the four other servers takes each update exactly once and
    // forwards it once to every neighbour but the sender; Hands sends it to
    // all of its own. Whatever the timing, that is the whole traffic.
    let degree = |n: &str| {
        FIVE_LINKS
            .iter()
            .filter(|(a, b)| *a == n || *b == n)
            .count() as u64
    };
    let per_update = degree("Hands")
        + FIVE
            .iter()
            .filter(|&&n| n != "Hands")
            .map(|n| degree(n) - 1)
            .sum::<u64>();
    assert_eq!(per_update, 8);
    eventually("the flood to settle", PATIENCE, || {
        totals() == (per_update * UPDATES, 4 * UPDATES)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        totals(),
        (per_update * UPDATES, 4 * UPDATES),
        "AT lines still flowing"
    );
    herd.shutdown().await;
}

#[tokio::test]
async fn a_burst_for_one_client_reaches_neighbours_as_its_newest_in_few_lines() {
    let herd = Herd::start(&["Goloman", "Hands"], &[("Goloman", "Hands")], key("k")).await;
    herd.wait_linked().await;

    const BURST: u64 = 1_000;
    let mut newest = None;
    for t in 1..=BURST {
        newest = herd.node("Goloman").iamat("kiwi", t);
    }
    let newest = String::from_utf8_lossy(newest.unwrap().at_line()).into_owned();
    eventually("Hands holds the newest", PATIENCE, || {
        herd.node("Hands").held("kiwi").as_deref() == Some(newest.as_str())
    })
    .await;
    let stats = herd.node("Hands").shared.peers.stats("Goloman").unwrap();
    assert!(
        stats.at_received < 10,
        "superseded updates were sent: {stats:?}"
    );
    let sent = herd.node("Goloman").shared.peers.stats("Hands").unwrap();
    assert_eq!(sent.dropped, 0, "{sent:?}");
    herd.shutdown().await;
}
