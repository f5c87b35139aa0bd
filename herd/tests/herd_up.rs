//! `herd up`: every server of the topology as its own process, flooding to
//! each other, all stopped by one SIGTERM.

mod common;

use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn herd_up_starts_every_server_and_sigterm_stops_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let topology = dir.path().join("topology.toml");
    let mut text = String::from("links = [[\"A\", \"B\"], [\"B\", \"C\"]]\n");
    let mut clients = Vec::new();
    for name in ["A", "B", "C"] {
        let (client, peer) = (free_addr(), free_addr());
        text.push_str(&format!(
            "[servers.{name}]\naddr = \"{client}\"\npeer_addr = \"{peer}\"\n"
        ));
        clients.push(client);
    }
    std::fs::write(&topology, text).unwrap();
    let mut up = Command::new(herd_bin())
        .args(["up", "--no-facade", "--topology"])
        .arg(&topology)
        .arg("--log-dir")
        .arg(dir.path().join("logs"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("HERD_KEY", "k")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    for addr in &clients {
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "{addr} never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    exchange_str(clients[0], "IAMAT far +1+1 1\n");
    let reached = whatsat_until_known(clients[2], "far");
    Command::new("kill")
        .args(["-TERM", &up.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = up.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = up.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
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
