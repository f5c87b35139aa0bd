//! Links come back after a restart, resync, and dead or slow neighbours are
//! dealt with without holding anyone up.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio::net::tcp::OwnedReadHalf;

use super::harness::{FIVE, FIVE_LINKS, Herd, PATIENCE, eventually, fake_dialer, key};
use crate::peer::handshake::Reader;
use crate::peer::{READ_TIMEOUT, WRITE_TIMEOUT};
use base::topology::Limits;
use proto::codec::Line;
use proto::digest::{Node, client_hash, leaf_of};
use proto::peer::Message;

#[tokio::test]
async fn restarted_server_catches_up_by_sync_and_is_back_in_the_flood() {
    let mut herd = Herd::start(&FIVE, &FIVE_LINKS, key("k")).await;
    herd.wait_linked().await;

    // Holiday is dialed by Goloman and dials Welsh and Wilkes, so its return
    // exercises both redialing and fresh dials. Welsh hangs off Holiday only.
    herd.stop("Holiday").await;
    let missed = herd.node("Hands").iamat("missed", 10).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        herd.node("Welsh").held("missed").is_none(),
        "Welsh is cut off"
    );

    let restarted = Instant::now();
    herd.restart("Holiday").await;
    herd.wait_linked().await;
    let relinked = restarted.elapsed();
    assert!(
        relinked < Duration::from_millis(2500),
        "relinked after {relinked:?}"
    );

    let missed = String::from_utf8_lossy(missed.at_line()).into_owned();
    eventually(
        "restarted Holiday and Welsh learn the missed update",
        PATIENCE,
        || {
            ["Holiday", "Welsh"]
                .iter()
                .all(|n| herd.node(n).held("missed").as_deref() == Some(missed.as_str()))
        },
    )
    .await;

    herd.node("Welsh").iamat("after", 20).unwrap();
    eventually(
        "an update from Welsh crosses the restarted server",
        PATIENCE,
        || herd.node("Hands").held("after").is_some(),
    )
    .await;
    herd.shutdown().await;
}

#[tokio::test]
async fn stale_state_synced_by_a_returning_server_replaces_nothing() {
    let mut herd = Herd::start(&FIVE, &FIVE_LINKS, key("k")).await;
    herd.wait_linked().await;
    herd.stop("Welsh").await;
    herd.restart("Welsh").await;
    // Welsh comes back holding an old report, and the herd a newer one.
    herd.node("Welsh")
        .shared
        .db
        .offer(super::harness::location("Welsh", "kiwi", 1));
    let newest = herd.node("Hands").iamat("kiwi", 2).unwrap();
    let newest = String::from_utf8_lossy(newest.at_line()).into_owned();
    herd.wait_linked().await;
    eventually("the newer report wins everywhere", PATIENCE, || {
        FIVE.iter()
            .all(|n| herd.node(n).held("kiwi").as_deref() == Some(newest.as_str()))
    })
    .await;
    herd.shutdown().await;
}

#[tokio::test]
async fn silent_neighbour_is_dropped_after_read_timeout() {
    let k = key("k");
    let herd = Herd::start(&["Hands"], &[("Goloman", "Hands")], k.clone()).await;
    let hands = herd.node("Hands");
    // The test plays Goloman: it authenticates, then neither reads nor writes.
    let (_reader, _writer) = fake_dialer(herd.addr("Hands"), &k, "Goloman", "Hands").await;
    eventually("Hands sees Goloman up", PATIENCE, || {
        hands.shared.peers.is_up("Goloman")
    })
    .await;
    let up = Instant::now();
    eventually("Hands drops the silent link", READ_TIMEOUT * 2, || {
        !hands.shared.peers.is_up("Goloman")
    })
    .await;
    assert!(up.elapsed() >= READ_TIMEOUT - Duration::from_millis(500));
    herd.shutdown().await;
}

/// The next line `reader` gets from the server, as text.
async fn next_line(reader: &mut Reader<OwnedReadHalf>) -> String {
    let line = tokio::time::timeout(PATIENCE, reader.next())
        .await
        .expect("the server sends within the timeout")
        .expect("link stays open")
        .expect("no i/o error");
    let Line::Complete(line) = line else {
        panic!("overlong line from the server")
    };
    String::from_utf8_lossy(&line).into_owned()
}

#[tokio::test]
async fn a_new_neighbour_gets_a_digest_the_leaves_it_pulls_and_pings() {
    let k = key("k");
    let herd = Herd::start(&["Hands"], &[("Goloman", "Hands")], k.clone()).await;
    herd.node("Hands").iamat("kiwi", 5).unwrap();
    let (mut reader, mut writer) = fake_dialer(herd.addr("Hands"), &k, "Goloman", "Hands").await;
    let first = next_line(&mut reader).await;
    let Ok(Message::Sums { node, hashes }) = Message::parse(first.as_bytes()) else {
        panic!("a link opens with the store's digest, got {first:?}")
    };
    assert_eq!(node, Node::ROOT);
    let kiwi = leaf_of(client_hash(b"kiwi"));
    assert_eq!(
        hashes.iter().filter(|&&h| h != 0).count(),
        1,
        "one client, one branch"
    );
    assert_ne!(hashes[kiwi >> 8], 0);
    // Playing an empty neighbour: say it holds nothing in kiwi's leaf.
    let have = Message::Have {
        leaf: Node::leaf(kiwi),
        hashes: vec![],
        answer: true,
    };
    writer.send(have.to_bytes()).await.expect("send HAVE");
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l == "PING") {
        seen.push(next_line(&mut reader).await);
    }
    let at = seen
        .iter()
        .position(|l| l.starts_with("AT Hands +0.123456789 kiwi "));
    let ping = seen.iter().position(|l| l == "PING");
    assert!(at.is_some_and(|at| Some(at) < ping), "{seen:?}");
    herd.shutdown().await;
}

#[tokio::test]
async fn neighbour_that_stops_reading_costs_drops_not_waiting() {
    let k = key("k");
    let limits = Limits {
        peer_queue: 8,
        ..Limits::default()
    };
    let herd = Herd::start_with(
        &["Hands", "Wilkes"],
        &[("Goloman", "Hands"), ("Hands", "Wilkes")],
        limits,
        |_| k.clone(),
    )
    .await;
    let hands = herd.node("Hands");
    // The test plays Goloman and never reads, so its socket buffers fill.
    let (_reader, _writer) = fake_dialer(herd.addr("Hands"), &k, "Goloman", "Hands").await;
    herd.wait_linked().await;

    let started = Instant::now();
    for t in 1..=50_000 {
        hands.iamat(&format!("client-{t}"), t);
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "flooding blocked"
    );
    let dropped = hands.shared.peers.stats("Goloman").map_or(0, |s| s.dropped);
    assert!(dropped > 0, "a full queue must drop and count");

    // The burst overran Wilkes's queue too (this test's runtime has one
    // thread, so no writer ran during it); once that drains, the link to
    // Wilkes delivers while Goloman's stays stuck.
    tokio::time::sleep(Duration::from_millis(200)).await;
    hands.iamat("last", 100_000).unwrap();
    eventually("Wilkes gets the update after the burst", PATIENCE, || {
        herd.node("Wilkes").held("last").is_some()
    })
    .await;
    herd.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_neighbour_that_still_sends_keeps_its_link_through_a_long_write_stall() {
    let k = key("k");
    // A queue of a few thousand clients: what is queued during the stall
    // must drain within the deadline below on a loaded machine.
    let limits = Limits {
        peer_queue: 4096,
        ..Limits::default()
    };
    let herd = Herd::start_with(&["Hands"], &[("Goloman", "Hands")], limits, |_| k.clone()).await;
    let hands = herd.node("Hands");
    // The test plays Goloman, busy: it reads nothing for longer than
    // WRITE_TIMEOUT, but goes on pinging, as a loaded server does, while
    // Hands has ever more to send it.
    let (mut reader, mut writer) = fake_dialer(herd.addr("Hands"), &k, "Goloman", "Hands").await;
    herd.wait_linked().await;
    let pinger = tokio::spawn(async move {
        loop {
            writer.send(Message::Ping.to_bytes()).await.expect("ping");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let sent = || hands.shared.peers.stats("Goloman").map_or(0, |s| s.sent);
    // Long IDs, so the socket buffers (several MB on loopback) fill fast.
    let padding = "x".repeat(180);
    let (fill, stall) = (
        Duration::from_secs(4),
        WRITE_TIMEOUT + Duration::from_secs(1),
    );
    let started = Instant::now();
    let mut t = 0;
    let mut sent_when_full = None;
    while started.elapsed() < fill + stall {
        if started.elapsed() >= fill && sent_when_full.is_none() {
            sent_when_full = Some(sent());
        }
        for _ in 0..1_000 {
            t += 1;
            hands.iamat(&format!("busy-client-{t:07}-{padding}"), t);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        sent_when_full,
        Some(sent()),
        "Hands's writes did not stall for longer than WRITE_TIMEOUT; the test proves nothing"
    );
    // Goloman reads again: everything queued drains, then a new location
    // flows on the same link. It is reported once the link's queue is
    // empty, so a full queue cannot drop it.
    let deadline = Instant::now() + 4 * PATIENCE;
    let mut reported = false;
    loop {
        assert!(Instant::now() < deadline, "the last location never came");
        if !reported && hands.shared.peers.queue_depth("Goloman") == Some(0) {
            hands.iamat("after-the-stall", t + 1);
            reported = true;
        }
        let line = match tokio::time::timeout(Duration::from_millis(100), reader.next()).await {
            Err(_) => continue,
            Ok(line) => line.expect("the link is still open").expect("a line"),
        };
        if matches!(&line, Line::Complete(l) if l.windows(15).any(|w| w == b"after-the-stall")) {
            break;
        }
    }
    // Read before the pinger stops: dropping its half closes the link.
    let view = hands.shared.peers.states().view();
    pinger.abort();
    assert!(view[0].up && view[0].last_error.is_none(), "{view:?}");
    herd.shutdown().await;
}
