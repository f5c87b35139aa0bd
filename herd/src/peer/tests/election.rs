//! Leader election over the real peer links, on the in-memory network:
//! every server runs its links and its coordination task, and the test
//! cuts and heals links the way a partition would.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::harness::{FIVE, FIVE_LINKS, Herd, PATIENCE, eventually};
use crate::coord::{self, election::HOLD_DOWN};
use crate::peer::transport::MemNet;
use base::topology::Limits;

/// The leader `name` follows, as its `LEADER` would answer.
fn leader_of(herd: &Herd, name: &str) -> Option<String> {
    herd.node(name).shared.coord.view().leader
}

/// True when every server in `names` follows `leader`, and it leads.
fn all_follow(herd: &Herd, names: &[&str], leader: &str) -> bool {
    herd.node(leader).shared.coord.is_leader()
        && names
            .iter()
            .all(|n| leader_of(herd, n).as_deref() == Some(leader))
}

#[tokio::test]
async fn over_memory_links_a_cut_off_leader_is_replaced_and_takes_over_after_healing() {
    let net = MemNet::new(10);
    let herd = Herd::start_simulated(&FIVE, &FIVE_LINKS, Limits::default(), &net).await;
    let stop = CancellationToken::new();
    let tasks: Vec<_> = herd
        .nodes
        .values()
        .map(|node| tokio::spawn(coord::run(Arc::clone(&node.shared), stop.clone())))
        .collect();
    herd.wait_linked().await;
    eventually("every server follows Wilkes", PATIENCE, || {
        all_follow(&herd, &FIVE, "Wilkes")
    })
    .await;
    let term = herd.node("Hands").shared.coord.view().term;

    for other in ["Goloman", "Hands", "Holiday"] {
        net.cut(herd.addr("Wilkes"), herd.addr(other));
    }
    let rest = ["Goloman", "Hands", "Holiday", "Welsh"];
    eventually("the other four follow Welsh", PATIENCE, || {
        all_follow(&herd, &rest, "Welsh")
    })
    .await;
    assert!(herd.node("Hands").shared.coord.view().term > term);
    assert!(herd.node("Hands").shared.coord.view().majority);
    assert!(!herd.node("Wilkes").shared.coord.view().majority);

    net.heal_all();
    eventually(
        "Wilkes takes over after the hold-down",
        PATIENCE + HOLD_DOWN,
        || all_follow(&herd, &FIVE, "Wilkes"),
    )
    .await;
    stop.cancel();
    for task in tasks {
        task.await.expect("coordination task ends cleanly");
    }
    herd.shutdown().await;
}
