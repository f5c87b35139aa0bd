//! `[limits] max_client_id`: every IAMAT a server accepts can flood to its
//! neighbours, and a longer client ID is refused at the entry server.

mod common;

use common::process::output_within_wait;
use common::*;

/// The documented default of `limits.max_client_id`.
const DEFAULT_MAX_CLIENT_ID: usize = 256;

#[test]
fn the_longest_default_client_id_floods_and_one_byte_more_is_refused() {
    let herd = TestHerd::start(&["A", "B"], &[("A", "B")], "");
    let longest = "c".repeat(DEFAULT_MAX_CLIENT_ID);
    let reply = exchange_str(herd.client("A"), &format!("IAMAT {longest} +1+1 5\n"));
    assert!(reply.starts_with("AT A "), "{reply:?}");
    let far = whatsat_until_known(herd.client("B"), &longest).expect("reached B");
    assert_eq!(first_line(&far), first_line(&reply));

    let too_long = "d".repeat(DEFAULT_MAX_CLIENT_ID + 1);
    let line = format!("IAMAT {too_long} +1+1 5\n");
    assert_eq!(exchange_str(herd.client("A"), &line), format!("? {line}"));
    let line = format!("WHATSAT {too_long} 10 1\n");
    assert_eq!(exchange_str(herd.client("A"), &line), format!("? {line}"));
}

#[test]
fn an_iamat_filling_the_whole_client_line_limit_reaches_the_neighbour() {
    // The longest ID that leaves room for the rest of an IAMAT: the line
    // below is exactly `max_line` bytes, and its AT line is longer.
    let max_line = 1024;
    let max_client_id = max_line - "IAMAT  +0+0 0".len();
    let herd = TestHerd::start(
        &["A", "B"],
        &[("A", "B")],
        &format!("[limits]\nmax_line = {max_line}\nmax_client_id = {max_client_id}\n"),
    );
    let client = "x".repeat(max_client_id);
    let line = format!("IAMAT {client} +0+0 0");
    assert_eq!(line.len(), max_line);
    let reply = exchange_str(herd.client("A"), &format!("{line}\n"));
    assert!(reply.len() > max_line + 1, "{reply:?}");
    let far = whatsat_until_known(herd.client("B"), &client).expect("reached B");
    assert_eq!(first_line(&far), first_line(&reply));
}

#[test]
fn a_client_id_limit_that_no_iamat_could_carry_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let topology = dir.path().join("topology.toml");
    let text = "[servers.A]\naddr = \"127.0.0.1:0\"\npeer_addr = \"127.0.0.1:0\"\n[limits]\nmax_line = 100\nmax_client_id = 90\n";
    std::fs::write(&topology, text).unwrap();
    let out = output_within_wait(
        std::process::Command::new(herd_bin())
            .arg("A")
            .arg("--topology")
            .arg(&topology)
            .arg("--log-dir")
            .arg(dir.path().join("logs"))
            .arg("--data-dir")
            .arg(dir.path().join("data")),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("limits.max_client_id"), "{stderr}");
}
