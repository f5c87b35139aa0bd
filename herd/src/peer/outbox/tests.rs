//! What a link's outbox keeps, coalesces, drops and owes.

use super::*;

fn location(client: &str, time: u32) -> Arc<Location> {
    let line = format!("AT S +0.000000000 {client} +1+2 {time}");
    Arc::new(Location::from_at_line(line.as_bytes()).unwrap())
}

fn lines(outbox: &Outbox) -> Vec<String> {
    let mut taken = Taken::default();
    if !outbox.take(&mut taken) {
        return Vec::new();
    }
    taken
        .drain()
        .map(|m| String::from_utf8_lossy(&m.to_bytes()).into_owned())
        .collect()
}

#[test]
fn a_newer_location_replaces_the_pending_one_in_its_place() {
    let outbox = Outbox::new(8);
    assert_eq!(outbox.push_location(&location("a", 1)), Pushed::Queued);
    assert_eq!(outbox.push_location(&location("b", 1)), Pushed::Queued);
    assert_eq!(outbox.push_location(&location("a", 2)), Pushed::Coalesced);
    assert_eq!(
        lines(&outbox),
        [
            "AT S +0.000000000 a +1+2 2\n",
            "AT S +0.000000000 b +1+2 1\n"
        ]
    );
    assert!(lines(&outbox).is_empty());
}

#[test]
fn taking_says_whether_an_update_was_superseded_while_waiting() {
    let outbox = Outbox::new(8);
    let mut taken = Taken::default();
    outbox.push_location(&location("a", 1));
    outbox.push_location(&location("b", 1));
    assert!(outbox.take(&mut taken));
    assert!(!taken.superseded, "two clients, one update each");
    taken.drain().for_each(drop);
    outbox.push_location(&location("a", 2));
    outbox.push_location(&location("a", 1));
    assert!(outbox.take(&mut taken));
    assert!(!taken.superseded, "an older update supersedes nothing");
    taken.drain().for_each(drop);
    outbox.push_location(&location("a", 3));
    outbox.push_location(&location("a", 4));
    assert!(outbox.take(&mut taken));
    assert!(taken.superseded);
    assert_eq!(taken.drain().count(), 1);
}

#[test]
fn an_older_location_never_replaces_a_newer_pending_one() {
    let outbox = Outbox::new(8);
    outbox.push_location(&location("a", 5));
    assert_eq!(outbox.push_location(&location("a", 4)), Pushed::Coalesced);
    assert_eq!(outbox.push_location(&location("a", 5)), Pushed::Coalesced);
    assert_eq!(lines(&outbox), ["AT S +0.000000000 a +1+2 5\n"]);
}

#[test]
fn new_clients_past_capacity_are_dropped_but_pending_ones_still_update() {
    let outbox = Outbox::new(2);
    outbox.push_location(&location("a", 1));
    outbox.push_location(&location("b", 1));
    assert_eq!(outbox.push_location(&location("c", 1)), Pushed::Dropped);
    assert_eq!(outbox.push_location(&location("a", 2)), Pushed::Coalesced);
    assert_eq!(
        lines(&outbox),
        [
            "AT S +0.000000000 a +1+2 2\n",
            "AT S +0.000000000 b +1+2 1\n"
        ]
    );
}

#[test]
fn a_default_link_queue_holds_thirty_two_thousand_phones_without_dropping() {
    // herd-bench (a1): 32 connections of 1,000 clients each, a link behind
    // by a whole cycle of them.
    let outbox = Outbox::new(base::topology::DEFAULT_PEER_QUEUE);
    for i in 0..32_000 {
        assert_eq!(
            outbox.push_location(&location(&format!("phone-{i}"), 1)),
            Pushed::Queued
        );
    }
    assert_eq!(outbox.len(), 32_000);
    let mut taken = Taken::default();
    assert!(outbox.take(&mut taken));
    assert_eq!(taken.drain().count(), 32_000);
    taken.trim();
    assert!(
        taken.locations.capacity() < 32_000,
        "the burst's room is given back"
    );
}

#[test]
fn fifo_messages_keep_their_order_and_their_own_bound() {
    let outbox = Outbox::new(2);
    outbox.push_location(&location("a", 1));
    assert_eq!(outbox.push(Message::Pong), Pushed::Queued);
    assert_eq!(outbox.push(Message::Ping), Pushed::Queued);
    assert_eq!(outbox.push(Message::Pong), Pushed::Dropped);
    assert_eq!(
        lines(&outbox),
        ["PONG\n", "PING\n", "AT S +0.000000000 a +1+2 1\n"]
    );
}

#[test]
fn owed_repairs_are_taken_once_and_never_dropped_when_full() {
    use proto::digest::Node;
    let outbox = Outbox::new(1);
    outbox.push(Message::Pong);
    assert_eq!(
        outbox.push(Message::Pong),
        Pushed::Dropped,
        "the FIFO is full"
    );
    for leaf in [7, 9, 7] {
        outbox.repair(|r| r.have.insert(Node::leaf(leaf)));
    }
    outbox.repair(|r| r.round = true);
    let mut taken = Taken::default();
    assert!(outbox.take(&mut taken));
    assert!(taken.repair.round);
    let sent: Vec<Node> = std::iter::from_fn(|| taken.repair.have.pop()).collect();
    assert_eq!(sent, [Node::leaf(7), Node::leaf(9)]);
    assert!(outbox.is_idle());
    assert!(!outbox.take(&mut taken));
}

#[tokio::test]
async fn the_writer_is_woken_by_a_push_made_before_it_waits() {
    let outbox = Outbox::new(2);
    assert!(lines(&outbox).is_empty());
    outbox.push_location(&location("a", 1));
    tokio::time::timeout(std::time::Duration::from_secs(1), outbox.ready())
        .await
        .expect("the push left a wake-up");
    assert_eq!(lines(&outbox).len(), 1);
}
