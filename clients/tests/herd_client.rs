//! `herd-client` end to end, against a one-connection server in the test
//! that records what it received and only replies after the client's
//! half-close, as the herd does.

mod common;

use std::net::SocketAddr;
use std::process::Output;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// How long the test server waits for the client's half-close.
const HALF_CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Longest `herd-client` may run.
const CLIENT_WAIT: Duration = Duration::from_secs(10);

/// Accepts one connection, reads to EOF (the client's half-close), writes
/// `reply`, closes, and yields the bytes it received. Panics if the client
/// never connects or never half-closes.
async fn serve_once(reply: &'static [u8]) -> (SocketAddr, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (mut stream, _) = timeout(HALF_CLOSE_WAIT, listener.accept())
            .await
            .expect("client never connected")
            .unwrap();
        let mut received = Vec::new();
        timeout(HALF_CLOSE_WAIT, stream.read_to_end(&mut received))
            .await
            .expect("client never half-closed its write side")
            .unwrap();
        stream.write_all(reply).await.unwrap();
        stream.shutdown().await.unwrap();
        received
    });
    (addr, task)
}

/// Runs `herd-client` with `args` to its exit; panics (and kills it) if it
/// has not exited within [`CLIENT_WAIT`] ([`common::output`]).
async fn herd_client(args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_herd-client"));
    command.args(args);
    common::output("herd-client", command, CLIENT_WAIT).await
}

#[tokio::test]
async fn iamat_sends_one_line_half_closes_and_prints_reply_exactly() {
    let reply =
        b"AT Goloman +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997\n";
    let (addr, server) = serve_once(reply).await;
    let out = herd_client(&[
        "--server",
        &addr.to_string(),
        "iamat",
        "kiwi.cs.ucla.edu",
        "+34.068930-118.445127",
        "1520023934.918963997",
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        server.await.unwrap(),
        b"IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997\n"
    );
    assert_eq!(out.stdout, reply);
}

#[tokio::test]
async fn iamat_without_time_sends_the_current_time() {
    let (addr, server) = serve_once(b"AT x\n").await;
    let out = herd_client(&["-s", &addr.to_string(), "iamat", "c", "-34.5+150"]).await;
    assert!(out.status.success(), "{out:?}");
    let line = String::from_utf8(server.await.unwrap()).unwrap();
    let fields: Vec<&str> = line.trim_end_matches('\n').split(' ').collect();
    assert_eq!(fields[..3], ["IAMAT", "c", "-34.5+150"]);
    let (secs, nanos) = fields[3].split_once('.').unwrap();
    assert_eq!(nanos.len(), 9);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(secs.parse().unwrap()) < 60, "{line}");
}

#[tokio::test]
async fn whatsat_reply_with_json_and_blank_line_is_printed_unchanged() {
    let reply = b"AT Hands +0.1 c +1+2 3\n{\n   \"results\" : []\n}\n\n";
    let (addr, server) = serve_once(reply).await;
    let out = herd_client(&["--server", &addr.to_string(), "whatsat", "c", "10", "5"]).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(server.await.unwrap(), b"WHATSAT c 10 5\n");
    assert_eq!(out.stdout, reply);
}

#[tokio::test]
async fn raw_line_is_sent_as_given() {
    let (addr, server) = serve_once(b"? HELLO  there\n").await;
    let out = herd_client(&["--server", &addr.to_string(), "raw", "HELLO  there"]).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(server.await.unwrap(), b"HELLO  there\n");
    assert_eq!(out.stdout, b"? HELLO  there\n");
}

#[tokio::test]
async fn server_name_is_found_in_the_topology() {
    let (addr, server) = serve_once(b"? x\n").await;
    let dir = tempfile::tempdir().unwrap();
    let topology = dir.path().join("topology.toml");
    std::fs::write(
        &topology,
        format!("links = []\n[servers.Welsh]\naddr = \"{addr}\"\npeer_addr = \"127.0.0.1:1\"\n"),
    )
    .unwrap();
    let out = herd_client(&[
        "--server",
        "Welsh",
        "--topology",
        topology.to_str().unwrap(),
        "raw",
        "x",
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(server.await.unwrap(), b"x\n");
}

#[tokio::test]
async fn server_that_never_closes_times_out_with_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(stream);
    });
    let started = std::time::Instant::now();
    let out = herd_client(&[
        "--server",
        &addr.to_string(),
        "--timeout",
        "0.3",
        "raw",
        "x",
    ])
    .await;
    server.abort();
    assert!(!out.status.success(), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no end of reply"), "{stderr}");
}

#[tokio::test]
async fn operand_with_white_space_is_refused_before_connecting() {
    let out = herd_client(&["--server", "127.0.0.1:9", "whatsat", "a b", "10", "5"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("raw"));
}
