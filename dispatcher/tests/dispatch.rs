//! The dispatcher end to end: the `dispatcher` binary over facades and a
//! herd server in this process, asked by the tablet's own client code
//! (`clients::olympic::dispatcher`).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clients::olympic::dispatcher::{Assigned, Dispatcher, front_end_failed};
use common::in_process::InProcessHerd;
use common::{DispatcherProcess, Facades, WAIT, refusing_addr};

/// Tablets in the split test.
const TABLETS: usize = 30;

/// Tablets per front end URL.
fn spread(tablets: &[Assigned]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for t in tablets {
        *counts.entry(t.url().to_owned()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_tablets_split_ten_each_and_leave_a_killed_front_end_when_they_ask_again() {
    let herd = InProcessHerd::start(&["Goloman"], &[]).await;
    let mut facades = Facades::start(3, &herd.client("Goloman").to_string()).await;
    let dispatcher = DispatcherProcess::start(&facades.urls, &[]).await;
    let client = Dispatcher::new(&dispatcher.url);

    let mut tablets = Vec::new();
    for i in 0..TABLETS {
        let tablet = Assigned::connect(client.clone(), &format!("tablet-{i}"))
            .await
            .expect("assigned");
        tablets.push(tablet);
    }
    let even: BTreeMap<String, usize> = facades.urls.iter().map(|u| (u.clone(), 10)).collect();
    assert_eq!(spread(&tablets), even);
    let answer = client.assign("tablet-0", None).await.unwrap();
    assert_eq!(answer.frontend, tablets[0].url(), "asking again keeps it");
    assert_eq!(answer.clients, even, "the dispatcher's own counts");
    for t in &tablets {
        t.facade()
            .tally("Gaul")
            .await
            .expect("a read through its front end");
    }

    let killed = facades.urls[1].clone();
    facades.kill(1).await;
    let mut moved = 0;
    for t in &mut tablets {
        match t.facade().tally("Gaul").await {
            Ok(_) => assert_ne!(t.url(), killed, "a read through the killed facade"),
            Err(e) => {
                assert!(front_end_failed(&e), "{e}");
                assert_eq!(t.url(), killed, "only the killed facade fails: {e}");
                let to = t.failed().await.expect("the dispatcher answers");
                assert!(to.is_some_and(|to| to != killed), "moved off {killed}");
                t.facade()
                    .tally("Gaul")
                    .await
                    .expect("a read after the move");
                moved += 1;
            }
        }
    }
    assert_eq!(moved, 10, "the killed facade's tablets asked again");
    let after = spread(&tablets);
    assert_eq!(
        after.get(&killed),
        None,
        "no tablet is left on it: {after:?}"
    );
    assert_eq!(after.values().sum::<usize>(), TABLETS);
    assert!(after.values().all(|n| *n == 15), "{after:?}");
    let answer = client.assign("tablet-0", None).await.unwrap();
    assert_eq!(answer.clients[&killed], 0, "{:?}", answer.clients);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_front_end_gets_no_clients_and_leases_lapse_unless_renewed() {
    let herd = InProcessHerd::start(&["Goloman"], &[]).await;
    let facades = Facades::start(1, &herd.client("Goloman").to_string()).await;
    let dead = format!("http://{}", refusing_addr());
    // The dead one first: ties would go to it, were it not dead.
    let frontends = [dead.clone(), facades.urls[0].clone()];
    let dispatcher = DispatcherProcess::start(&frontends, &["--lease", "1"]).await;
    let client = Dispatcher::new(&dispatcher.url);

    let first = client.assign("a", None).await.unwrap();
    assert_eq!(first.frontend, facades.urls[0]);
    assert_eq!(first.lease_seconds, 1);
    client.assign("b", None).await.unwrap();
    let released = client.release("b").await.unwrap();
    assert_eq!(released["released"], true);
    assert_eq!(released["clients"][&facades.urls[0]], 1);

    // "a" lapses: nothing renews it.
    let http = reqwest::Client::new();
    let deadline = Instant::now() + WAIT;
    loop {
        let view: serde_json::Value = (http.get(format!("{}/frontends", dispatcher.url)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(view["frontends"][0]["health"], "down");
        if view["frontends"][1]["clients"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the lease never lapsed: {view}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn bad_front_ends_and_client_ids_are_refused() {
    // A blocking `waitpid` on a thread of its own, not tokio's SIGCHLD-driven
    // wait, whose wake-up can be missed when many test runtimes spawn at once.
    let status = tokio::task::spawn_blocking(|| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_dispatcher"));
        command.args(["--listen", "127.0.0.1:0", "--frontends", "http://a:1/path"]);
        base::process::output_within("dispatcher", &mut command, WAIT)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(status.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(stderr.contains("without a path"), "{stderr}");

    let dispatcher = DispatcherProcess::start(&[refusing_addr()], &[]).await;
    let client = Dispatcher::new(&dispatcher.url);
    let long = "x".repeat(dispatcher::assignments::MAX_CLIENT_ID + 1);
    let e = client.assign(&long, None).await.unwrap_err();
    assert!(e.to_string().contains("HTTP 400"), "{e}");
    let e = client.assign("a", None).await.unwrap_err();
    assert!(e.to_string().contains("HTTP 503"), "{e}");
}
