//! `herd up`: every server of the topology as its own process, flooding to
//! each other, all stopped by one SIGTERM; a server that cannot start makes
//! it fail; its children die with it; it prints one summary.

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base::topology::{ServerSpec, to_toml};
use common::process::Supervised;
use common::*;

/// Writes a topology of A - B - C on ports picked in advance ([`free_addr`]:
/// `herd up` starts every server from this one file, so port 0 cannot
/// serve); returns its path and the client addresses.
fn three_servers(dir: &Path) -> (PathBuf, Vec<SocketAddr>) {
    let topology = dir.join("topology.toml");
    let mut servers = std::collections::BTreeMap::new();
    for name in ["A", "B", "C"] {
        let (addr, peer_addr) = (free_addr(), free_addr());
        servers.insert(name.to_owned(), ServerSpec::new(addr, peer_addr));
    }
    let text = to_toml(&servers, &[("A", "B"), ("B", "C")], "");
    std::fs::write(&topology, text).unwrap();
    (topology, servers.values().map(|s| s.addr).collect())
}

/// `herd up --no-facade` on `topology`, output to files in `dir`.
fn herd_up(dir: &Path, topology: &Path, env: &[(&str, &str)]) -> Supervised {
    let mut cmd = Command::new(herd_bin());
    cmd.args(["up", "--no-facade", "--topology"])
        .arg(topology)
        .arg("--log-dir")
        .arg(dir.join("logs"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env_remove("HERD_KEY")
        .env_remove("CACOFONIX_ID")
        .stdout(std::fs::File::create(dir.join("up.out")).unwrap())
        .stderr(std::fs::File::create(dir.join("up.err")).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Supervised::spawn("herd up", &mut cmd).unwrap_or_else(|e| panic!("{e}"))
}

fn sigterm(up: &Supervised) {
    let status = Command::new("kill")
        .args(["-TERM", &up.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_listening(addrs: &[SocketAddr]) {
    let deadline = Instant::now() + WAIT;
    for addr in addrs {
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "{addr} never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Waits until `file` contains `needle`; returns its text.
fn wait_for_text(file: &Path, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in {}: {text}",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn herd_up_starts_every_server_and_sigterm_stops_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let (topology, clients) = three_servers(dir.path());
    let mut up = herd_up(dir.path(), &topology, &[("HERD_KEY", "k")]);
    wait_listening(&clients);
    exchange_str(clients[0], "IAMAT far +1+1 1\n");
    let reached = whatsat_until_known(clients[2], "far");
    sigterm(&up);
    let status = up.exit_within(WAIT).expect("wait");
    assert!(reached.is_some(), "A's location never reached C through B");
    assert!(
        status.is_some_and(|s| s.success()),
        "herd up did not stop cleanly: {status:?}"
    );
    for addr in &clients {
        assert!(
            TcpStream::connect(addr).is_err(),
            "{addr} still serving after herd up stopped"
        );
    }
}

#[test]
fn herd_up_names_a_server_that_cannot_bind_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let (topology, clients) = three_servers(dir.path());
    // B's client port is taken.
    let _taken = TcpListener::bind(clients[1]).unwrap();
    let mut up = herd_up(dir.path(), &topology, &[]);
    let status = up
        .exit_within(WAIT)
        .expect("wait")
        .expect("herd up kept running with a server down");
    let out = std::fs::read_to_string(dir.path().join("up.out")).unwrap();
    let err = std::fs::read_to_string(dir.path().join("up.err")).unwrap();
    assert!(!status.success(), "{status}\n{out}\n{err}");
    assert!(err.contains("B could not start"), "{err}");
    assert!(err.contains(&clients[1].to_string()), "{err}");
    assert!(!out.contains("running"), "{out}");
    for addr in [clients[0], clients[2]] {
        assert!(TcpStream::connect(addr).is_err(), "{addr} left running");
    }
}

#[test]
fn children_die_when_herd_up_is_killed_with_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let (topology, clients) = three_servers(dir.path());
    let mut up = herd_up(dir.path(), &topology, &[]);
    wait_listening(&clients);
    up.child_mut().kill().unwrap();
    up.child_mut().wait().unwrap();
    let deadline = Instant::now() + WAIT;
    for addr in &clients {
        while TcpStream::connect(addr).is_ok() {
            assert!(Instant::now() < deadline, "{addr} outlived herd up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn herd_up_prints_one_summary_says_when_links_are_up_and_stops_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let (topology, clients) = three_servers(dir.path());
    let mut up = herd_up(dir.path(), &topology, &[]);
    let out = wait_for_text(&dir.path().join("up.out"), "all 2 links are up");
    for (name, addr) in ["A", "B", "C"].iter().zip(&clients) {
        assert!(out.contains(&format!("  {name} ")), "{out}");
        assert!(out.contains(&addr.to_string()), "{out}");
    }
    assert_eq!(out.matches("link key").count(), 1, "{out}");
    assert_eq!(out.matches("Cacofonix id").count(), 1, "{out}");
    sigterm(&up);
    assert!(
        up.exit_within(WAIT)
            .expect("wait")
            .is_some_and(|s| s.success())
    );
    let err = std::fs::read_to_string(dir.path().join("up.err")).unwrap();
    assert!(!err.contains("WARN"), "warnings on start or stop:\n{err}");
    // The servers' own files still say which defaults they ran with.
    let log = std::fs::read_to_string(dir.path().join("logs/A.log")).unwrap();
    assert!(log.contains("event=\"link_key\""), "{log}");
}
