//! Tests of the link registry: flooding into outboxes, drops and
//! coalescing when full, and replacing and cancelling registrations.

use super::*;
use crate::peer::outbox::Taken;

fn location(client: &str, time: u32) -> Arc<Location> {
    let line = format!("AT S +0.000000000 {client} +1+2 {time}");
    Arc::new(Location::from_at_line(line.as_bytes()).unwrap())
}

/// Everything `reg`'s outbox holds, as lines.
fn queued(reg: &Registration) -> Vec<String> {
    let mut taken = Taken::default();
    if !reg.outbox.take(&mut taken) {
        return Vec::new();
    }
    taken
        .drain()
        .map(|m| String::from_utf8_lossy(&m.to_bytes()).into_owned())
        .collect()
}

#[test]
fn full_queue_drops_and_counts_instead_of_blocking() {
    let peers = Peers::new(vec!["A".into()], 2);
    let shutdown = CancellationToken::new();
    let reg = peers.register("A", &shutdown);
    for c in 0..5 {
        peers.flood(&location(&format!("c{c}"), 1), None);
    }
    let stats = peers.stats("A").unwrap();
    assert_eq!(stats.dropped, 3);
    assert_eq!(
        queued(&reg),
        [
            "AT S +0.000000000 c0 +1+2 1\n",
            "AT S +0.000000000 c1 +1+2 1\n"
        ]
    );
    assert!(queued(&reg).is_empty());
}

#[test]
fn updates_for_one_client_coalesce_to_the_newest_without_drops() {
    let peers = Peers::new(vec!["A".into()], 2);
    let shutdown = CancellationToken::new();
    let reg = peers.register("A", &shutdown);
    for t in 0..5 {
        peers.flood(&location("c", t), None);
    }
    let stats = peers.stats("A").unwrap();
    assert_eq!((stats.dropped, stats.coalesced), (0, 4));
    assert_eq!(queued(&reg), ["AT S +0.000000000 c +1+2 4\n"]);
}

#[test]
fn flood_skips_the_link_it_came_from() {
    let peers = Peers::new(vec!["A".into(), "B".into()], 8);
    let shutdown = CancellationToken::new();
    let b = peers.register("B", &shutdown);
    let a = peers.register("A", &shutdown);
    peers.flood(&location("c", 1), Some("A"));
    assert!(queued(&a).is_empty());
    assert_eq!(queued(&b).len(), 1);
    assert_eq!(peers.live(), ["A", "B"]);
}

#[test]
fn newer_registration_replaces_and_cancels_older() {
    let peers = Peers::new(vec!["A".into()], 8);
    let shutdown = CancellationToken::new();
    let old = peers.register("A", &shutdown);
    let new = peers.register("A", &shutdown);
    assert!(old.cancel.is_cancelled());
    assert!(!new.cancel.is_cancelled());
    peers.unregister("A", old.id);
    assert!(
        peers.is_up("A"),
        "a stale unregister must not remove the newer link"
    );
    peers.unregister("A", new.id);
    assert!(!peers.is_up("A"));
}

#[test]
fn shutdown_cancels_registered_links() {
    let peers = Peers::new(vec!["A".into()], 8);
    let shutdown = CancellationToken::new();
    let reg = peers.register("A", &shutdown);
    shutdown.cancel();
    assert!(reg.cancel.is_cancelled());
}
