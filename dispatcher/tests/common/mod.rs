//! What the dispatcher's and the gateway's tests share: real herd servers
//! and facades in this process, the `dispatcher` binary as a child process
//! (killed on drop), all on ports the system picks.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use base::process::Supervised;

/// Real herd servers in this process, shared with the herd's tests.
#[path = "../../../herd/tests/common/in_process.rs"]
pub mod in_process;

/// Longest any single wait in these tests may take.
pub const WAIT: Duration = Duration::from_secs(15);

/// Facades running in this process, each attached to the same herd server.
pub struct Facades {
    /// The running ones; `None` once killed.
    running: Vec<Option<facade::server::Running>>,
    /// Every facade's base URL, killed or not.
    pub urls: Vec<String>,
}

impl Facades {
    /// Starts `n` facades on port 0 attached to `herd` and waits until each
    /// answers `/health` 200.
    pub async fn start(n: usize, herd: &str) -> Self {
        let mut running = Vec::new();
        let mut urls = Vec::new();
        for _ in 0..n {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let config = facade::server::Config::new(vec![herd.to_owned()]);
            let facade = facade::server::start(listener, config).await.unwrap();
            urls.push(format!("http://{}", facade.addr()));
            running.push(Some(facade));
        }
        for url in &urls {
            wait_for_status(&format!("{url}/health"), 200).await;
        }
        Self { running, urls }
    }

    /// Stops facade `i`: its port refuses connections from now on.
    pub async fn kill(&mut self, i: usize) {
        let facade = self.running[i].take().expect("a running facade");
        tokio::time::timeout(WAIT, facade.stop())
            .await
            .expect("the facade did not stop in time");
    }
}

/// Waits until `GET url` answers `status`.
pub async fn wait_for_status(url: &str, status: u16) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + WAIT;
    loop {
        let got = http.get(url).send().await.map(|r| r.status().as_u16());
        if got.as_ref().is_ok_and(|s| *s == status) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} did not answer {status} within {WAIT:?}: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `dispatcher` binary, killed when dropped.
pub struct DispatcherProcess {
    /// The child, killed and reaped on drop.
    _process: Supervised,
    /// Its standard output and error.
    _dir: tempfile::TempDir,
    /// Its base URL, from the line it prints when it listens.
    pub url: String,
}

impl DispatcherProcess {
    /// Starts `dispatcher --listen 127.0.0.1:0 --frontends ... EXTRA...` and
    /// waits for its listening line.
    pub async fn start(frontends: &[String], extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_dispatcher"));
        command
            .args([
                "--listen",
                "127.0.0.1:0",
                "--frontends",
                &frontends.join(","),
            ])
            .args(extra);
        let mut process = Supervised::spawn_logged("dispatcher", &mut command, dir.path()).unwrap();
        let line = process.first_line(WAIT).await.unwrap();
        let url = line
            .strip_prefix("dispatcher listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self {
            _process: process,
            _dir: dir,
            url,
        }
    }
}

/// A loopback address nothing listens on (bound, then closed).
pub fn refusing_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}
