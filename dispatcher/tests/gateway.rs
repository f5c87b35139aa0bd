//! The API gateway end to end: `scripts/gateway.sh` running the system's
//! nginx in front of two facades (and the dispatcher) in this process.
//! Public reads work, writes are 404 at the gateway, server-sent events
//! stream through it, and a killed facade costs no failed read.
//!
//! Skipped with a message where nginx is not installed, unless `CI=true`
//! (`.ci/run` installs it), where a missing nginx fails the test.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base::process::{Supervised, wait_ready};
use common::in_process::{InProcessHerd, cacofonix_id};
use common::{DispatcherProcess, Facades, WAIT};

/// Reads through the gateway after a facade is killed.
const READS_AFTER_KILL: usize = 40;
/// Tries at starting nginx on a free port (another process may take the
/// port between picking it and nginx binding it).
const START_TRIES: usize = 3;
/// How long nginx may take to stop on SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The nginx binary, or `None` (after saying why) when the test must skip.
fn nginx() -> Option<PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "CI=true but nginx is not installed (.ci/run installs nginx-light)"
        );
        eprintln!("gateway test skipped: nginx is not installed (apt-get install nginx-light)");
    }
    found
}

/// `scripts/gateway.sh` with its nginx; stopped with SIGTERM on drop (nginx's
/// master then stops its workers; SIGKILL would leave them running).
struct Gateway {
    /// The nginx master (the script execs it).
    process: Option<Supervised>,
    /// Its base URL.
    url: String,
}

impl Gateway {
    async fn start(nginx: &Path, prefix: &Path, args: &[String]) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/gateway.sh");
        let mut failures = Vec::new();
        for _ in 0..START_TRIES {
            let port: u16 = common::refusing_addr()
                .rsplit(':')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let mut command = std::process::Command::new("bash");
            command
                .arg(&script)
                .args(["--listen", &port.to_string(), "--prefix"])
                .arg(prefix)
                .args(args)
                .env("NGINX_BIN", nginx);
            let mut process = Supervised::spawn_logged("gateway", &mut command, prefix).unwrap();
            let ready = wait_ready("the gateway's port", WAIT, &mut process, async || {
                let connected = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
                connected.ok().map(drop)
            });
            match ready.await {
                Ok(()) => {
                    let url = format!("http://127.0.0.1:{port}");
                    let process = Some(process);
                    return Self { process, url };
                }
                Err(e) => failures.push(e.to_string()),
            }
        }
        panic!("the gateway did not start in {START_TRIES} tries: {failures:#?}");
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(process) = self.process.take() {
            let _ = process.stop(STOP_GRACE);
        }
    }
}

/// `GET url`: its status and body.
async fn get(http: &reqwest::Client, url: &str) -> (u16, String) {
    let reply = http
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    (reply.status().as_u16(), reply.text().await.unwrap())
}

/// Reads `stream` until what it sent holds `needle`.
async fn read_until(stream: &mut reqwest::Response, needle: &str, seen: &mut String) {
    let deadline = Instant::now() + WAIT;
    while !seen.contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} through the gateway: {seen}"))
            .expect("the stream failed")
            .expect("the stream ended");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// Every write path through the gateway at `gw` answers 404 or 400, even
/// with the right Cacofonix `id`, and the facade at `facade` shows no medal.
async fn writes_are_not_routed(http: &reqwest::Client, gw: &str, facade: &str, id: &str) {
    for path in [
        format!("/incrementMedalTally/Gaul/gold/{id}"),
        format!("/setScore/curling/1/2/{id}"),
        "/leaderboard/results".to_owned(),
        "/results".to_owned(),
        "/metrics".to_owned(),
        format!("/getScore/../incrementMedalTally/Gaul/gold/{id}"),
    ] {
        let (status, body) = get(http, &format!("{gw}{path}")).await;
        assert!(status == 404 || status == 400, "{path}: {status} {body}");
    }
    let posted = http
        .post(format!("{gw}/leaderboard/results"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 404);
    let direct = get(http, &format!("{facade}/getMedalTally/Gaul")).await;
    assert!(
        direct.1.contains("\"gold\":0"),
        "a write got through: {}",
        direct.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_serves_reads_and_events_hides_writes_and_survives_a_killed_facade() {
    let Some(nginx) = nginx() else { return };
    let herd = InProcessHerd::start(&["Goloman"], &[]).await;
    let mut facades = Facades::start(2, &herd.client("Goloman").to_string()).await;
    let dispatcher = DispatcherProcess::start(&facades.urls, &[]).await;
    let prefix = tempfile::tempdir().unwrap();
    let strip = |u: &str| u.trim_start_matches("http://").to_owned();
    let args = vec![
        "--facades".to_owned(),
        facades
            .urls
            .iter()
            .map(|u| strip(u))
            .collect::<Vec<_>>()
            .join(","),
        "--dispatcher".to_owned(),
        strip(&dispatcher.url),
    ];
    let gateway = Gateway::start(&nginx, prefix.path(), &args).await;
    let http = reqwest::Client::new();
    let gw = &gateway.url;

    let (status, body) = get(&http, &format!("{gw}/getMedalTally/Gaul")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"team\":\"Gaul\""), "{body}");
    let (status, body) = get(&http, &format!("{gw}/getScore/curling")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(&http, &format!("{gw}/assign/tablet-1")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"frontend\""), "{body}");

    // Writes are not routed, even with the right id; nothing changes.
    let id = cacofonix_id();
    writes_are_not_routed(&http, gw, &facades.urls[0], &id).await;
    let log = std::fs::read_to_string(prefix.path().join("logs/access.log")).unwrap();
    assert!(
        !log.contains(&id),
        "the access log holds the Cacofonix id:\n{log}"
    );

    // Server-sent events stream through: the first event, then an update.
    let mut stream = http
        .get(format!("{gw}/events/curling"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    let mut seen = String::new();
    read_until(&mut stream, "event: score", &mut seen).await;
    let set = get(
        &http,
        &format!("{}/setScore/curling/7/9/{id}", facades.urls[1]),
    )
    .await;
    assert_eq!(set.0, 200, "{}", set.1);
    read_until(&mut stream, "\"Rome\":7", &mut seen).await;
    drop(stream);

    // One facade killed: every read still answers 200.
    facades.kill(0).await;
    for i in 0..READS_AFTER_KILL {
        let (status, body) = get(&http, &format!("{gw}/getMedalTally/Gaul")).await;
        assert_eq!(status, 200, "read {i} after the kill: {body}");
    }
}
