//! Anti-entropy: what a full link queue dropped, or what two servers took
//! with equal client times, ends up the same everywhere while the links
//! stay up.

use std::time::Duration;

use super::harness::{FIVE, FIVE_LINKS, Herd, eventually, key};
use base::topology::Limits;
use proto::digest::Node;

/// Long enough for a few anti-entropy rounds on a loaded machine.
const REPAIR_PATIENCE: Duration = Duration::from_secs(20);

fn small_queues() -> Limits {
    Limits {
        peer_queue: 8,
        anti_entropy_ms: 200,
        ..Limits::default()
    }
}

#[tokio::test]
async fn a_burst_that_overflows_every_link_queue_converges_without_reconnecting() {
    let herd = Herd::start_with(&FIVE, &FIVE_LINKS, small_queues(), |_| key("k")).await;
    herd.wait_linked().await;
    let hands = herd.node("Hands");
    for t in 1..=5_000u64 {
        hands.iamat(&format!("burst-{t}"), t);
    }
    let dropped = |name: &str| {
        herd.node(name)
            .shared
            .peers
            .live()
            .iter()
            .map(|peer| {
                herd.node(name)
                    .shared
                    .peers
                    .stats(peer)
                    .map_or(0, |s| s.dropped)
            })
            .sum::<u64>()
    };
    assert!(
        dropped("Hands") > 0,
        "the burst must overflow Hands's queues"
    );
    eventually(
        "every server holds all 5,000 clients",
        REPAIR_PATIENCE,
        || FIVE.iter().all(|n| herd.node(n).shared.db.len() == 5_000),
    )
    .await;
    let root = hands.shared.db.digest().hash(Node::ROOT);
    for name in FIVE {
        assert_eq!(
            herd.node(name).shared.db.digest().hash(Node::ROOT),
            root,
            "{name}"
        );
    }
    // Counters belong to one registration: a reconnect would have reset them.
    assert!(
        dropped("Hands") > 0,
        "repaired on the same links, no reconnect"
    );
    let repaired: u64 = ["Goloman", "Wilkes"]
        .iter()
        .filter_map(|peer| hands.shared.peers.stats(peer))
        .map(|s| s.repaired)
        .sum();
    assert!(repaired > 0, "the repair came from anti-entropy");
    herd.shutdown().await;
}

#[tokio::test]
async fn equal_client_times_taken_at_both_ends_keep_one_winner_everywhere() {
    let herd = Herd::start(&FIVE, &FIVE_LINKS, key("k")).await;
    herd.wait_linked().await;
    // The same client time at opposite ends of the herd, at the same moment.
    for i in 0..20 {
        let client = format!("tie-{i}");
        herd.node("Goloman").iamat(&client, 1_900_000_000);
        herd.node("Welsh").iamat(&client, 1_900_000_000);
    }
    eventually(
        "all five agree on every tied client",
        REPAIR_PATIENCE,
        || {
            (0..20).all(|i| {
                let client = format!("tie-{i}");
                let first = herd.node("Hands").held(&client);
                first.is_some() && FIVE.iter().all(|n| herd.node(n).held(&client) == first)
            })
        },
    )
    .await;
    let winner = herd.node("Goloman").held("tie-0").unwrap();
    assert!(
        winner.starts_with("AT Welsh "),
        "the greater line wins: {winner}"
    );
    herd.shutdown().await;
}

#[tokio::test]
async fn olympic_changes_that_never_reached_a_neighbour_are_repaired_while_the_link_stays_up() {
    let herd = Herd::start_with(
        &["Hands", "Wilkes"],
        &[("Hands", "Wilkes")],
        small_queues(),
        |_| key("k"),
    )
    .await;
    herd.wait_linked().await;
    let hands = herd.node("Hands");
    // Increments whose changes never reach the link: as if every one of
    // them had been dropped on the way.
    for _ in 0..200 {
        hands
            .shared
            .olympics
            .increment("Gaul", olympic::Medal::Gold)
            .await
            .expect("durable increment");
    }
    eventually("Wilkes counts all 200", REPAIR_PATIENCE, || {
        herd.node("Wilkes")
            .shared
            .olympics
            .tally("Gaul")
            .is_some_and(|t| t.gold == 200)
    })
    .await;
    herd.shutdown().await;
}
