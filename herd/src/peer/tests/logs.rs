//! What the peer side writes to the log: one line per link transition, and
//! never the key.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::harness::{Herd, PATIENCE, eventually, key};

const SECRET: &str = "correct-horse-battery-staple";

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Lines logged by server `name` for event `event`.
    fn count(&self, name: &str, event: &str) -> usize {
        let (server, event) = (format!("name={name}"), format!("event=\"{event}\""));
        self.text()
            .lines()
            .filter(|l| l.contains(&server) && l.contains(&event))
            .count()
    }
}

#[tokio::test]
async fn one_line_per_transition_and_never_the_key() {
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    // The test runtime has one thread, so every task logs through this.
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut herd = Herd::start(&["Goloman", "Hands"], &[("Goloman", "Hands")], key(SECRET)).await;
    herd.wait_linked().await;
    herd.node("Goloman").iamat("kiwi", 1).unwrap();
    eventually("Hands gets kiwi", PATIENCE, || {
        herd.node("Hands").held("kiwi").is_some()
    })
    .await;

    // An outage long enough for several redials: still one line.
    herd.stop("Hands").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    herd.restart("Hands").await;
    herd.wait_linked().await;

    // A stranger with a forged handshake.
    let mut stranger = TcpStream::connect(herd.addr("Hands")).await.unwrap();
    let forged = format!(
        "HELLO Goloman {}\nAUTH {}\n",
        "00".repeat(16),
        "11".repeat(32)
    );
    stranger.write_all(forged.as_bytes()).await.unwrap();
    eventually("the stranger is logged", PATIENCE, || {
        capture.count("Hands", "peer_rejected") == 1
    })
    .await;
    herd.shutdown().await;

    let text = capture.text();
    assert!(!text.contains(SECRET), "the key was logged");
    assert!(!text.contains(&"11".repeat(32)), "a tag was logged");
    assert_eq!(capture.count("Goloman", "peer_up"), 2, "{text}");
    // Down when Hands stopped, then at shutdown.
    assert_eq!(capture.count("Goloman", "peer_down"), 2, "{text}");
    assert!(capture.count("Goloman", "peer_dial_failed") >= 3, "{text}");
    assert!(capture.count("Goloman", "peer_out") >= 1, "{text}");
    assert!(capture.count("Hands", "peer_in") >= 1, "{text}");
}
