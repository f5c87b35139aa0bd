//! Locations spread over a tree: once it has formed, each report costs one
//! location message per other server, and when a server on the tree dies,
//! announcements and grafts route around it.

use std::time::Duration;

use super::harness::{FIVE, FIVE_LINKS, Herd, PATIENCE, eventually, key};

/// Location messages written on every link of every live server.
fn payloads(herd: &Herd) -> u64 {
    herd.nodes
        .values()
        .flat_map(|node| {
            let peers = &node.shared.peers;
            peers
                .live()
                .into_iter()
                .filter_map(move |p| peers.stats(&p))
        })
        .map(|s| s.at_sent)
        .sum()
}

/// Reports `n` new clients at `at`, one after another, each waited for at
/// every live server.
async fn report_and_wait(herd: &Herd, at: &str, prefix: &str, n: u64) {
    for i in 0..n {
        let client = format!("{prefix}-{i}");
        herd.node(at).iamat(&client, 1_000 + i).unwrap();
        eventually("every live server holds the report", PATIENCE, || {
            herd.nodes.values().all(|node| node.held(&client).is_some())
        })
        .await;
    }
}

#[tokio::test]
async fn once_the_tree_has_formed_a_report_costs_one_message_per_other_server() {
    let herd = Herd::start(&FIVE, &FIVE_LINKS, key("k")).await;
    herd.wait_linked().await;
    // The first reports meet duplicates on the graph's two spare links and
    // prune them.
    report_and_wait(&herd, "Hands", "warm", 20).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = payloads(&herd);
    report_and_wait(&herd, "Hands", "tree", 50).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let per_report = (payloads(&herd) - before) as f64 / 50.0;
    assert!(
        per_report <= (FIVE.len() - 1) as f64,
        "{per_report} location messages per report; a tree needs {}",
        FIVE.len() - 1
    );
    herd.shutdown().await;
}

#[tokio::test]
async fn when_a_server_on_the_tree_dies_the_rest_still_get_every_report_within_a_second() {
    let mut herd = Herd::start(&FIVE, &FIVE_LINKS, key("k")).await;
    herd.wait_linked().await;
    report_and_wait(&herd, "Hands", "warm", 20).await;
    // Whichever links the tree kept, Goloman and Wilkes are Hands's only
    // neighbours: one of them carries Hands's reports to the rest.
    for dead in ["Goloman", "Wilkes"] {
        herd.stop(dead).await;
        let client = format!("after-{dead}");
        let sent = tokio::time::Instant::now();
        herd.node("Hands").iamat(&client, 5_000).unwrap();
        eventually("every live server holds the report", PATIENCE, || {
            herd.nodes.values().all(|node| node.held(&client).is_some())
        })
        .await;
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "with {dead} dead the report took {:?}",
            sent.elapsed()
        );
        herd.restart(dead).await;
        herd.wait_linked().await;
        report_and_wait(&herd, "Hands", &format!("rewarm-{dead}"), 10).await;
    }
    herd.shutdown().await;
}
