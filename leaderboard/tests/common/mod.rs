//! What the leaderboard's tests share: a throw-away `redis-server` on a
//! free loopback port, killed when the test ends.
//!
//! Where `redis-server` is not installed the Redis tests skip with a
//! message, except under `CI=true`, where `.ci/run` installs it and a
//! missing one is a failure.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use base::process::{Supervised, wait_ready_blocking};

/// How long a fresh `redis-server` may take to answer PING.
const REDIS_READY: Duration = Duration::from_secs(15);

/// Timeout of one PING probe.
const PROBE: Duration = Duration::from_millis(500);

/// A running `redis-server`, killed when dropped, with its files in a
/// temporary directory removed after it.
pub struct Redis {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The server; declared before `_dir` so it dies first.
    _process: Supervised,
    /// Its working directory.
    _dir: tempfile::TempDir,
}

impl Redis {
    /// Its URL for `--redis` and the `redis` crate.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }
}

/// A fresh `redis-server`, or `None` (after saying why) when it is not
/// installed and `CI` is not `true`.
pub fn redis_or_skip(test: &str) -> Option<Redis> {
    let installed = Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: redis-server is not installed, and CI=true requires it (.ci/run installs it)"
        );
        eprintln!("{test}: SKIPPED: redis-server is not installed (apt-get install redis-server)");
        return None;
    }
    Some(start_redis())
}

/// Starts `redis-server` on a port the kernel just handed out; tries a few
/// ports in case another process takes one in between.
fn start_redis() -> Redis {
    let mut last = String::new();
    for _ in 0..3 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path());
        let mut process = Supervised::spawn_logged("redis-server", &mut command, dir.path())
            .expect("starting redis-server");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        match wait_ready_blocking(
            "redis-server answers PING",
            REDIS_READY,
            &mut process,
            || ping(addr).then_some(()),
        ) {
            Ok(()) => {
                return Redis {
                    addr,
                    _process: process,
                    _dir: dir,
                };
            }
            Err(e) => last = e.to_string(),
        }
    }
    panic!("redis-server did not start: {last}");
}

/// Whether a Redis answers PING at `addr`.
fn ping(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, PROBE) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(PROBE));
    let mut reply = [0; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}
