//! Nothing gets in without the key.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::harness::{Herd, Node, PATIENCE, eventually, key};
use base::topology::Limits;
use proto::peer::{Message, Nonce, TAG_LEN, Tag};

/// Why `node`'s last attempt to link with `peer` failed, if one did.
fn last_error(node: &Node, peer: &str) -> Option<String> {
    let views = node.shared.peers.states().view();
    let view = views.into_iter().find(|v| v.peer == peer)?;
    view.last_error
}

#[tokio::test]
async fn wrong_key_is_rejected_and_injects_nothing() {
    let herd = Herd::start_with(
        &["Goloman", "Hands"],
        &[("Goloman", "Hands")],
        Limits::default(),
        |name| key(if name == "Goloman" { "right" } else { "wrong" }),
    )
    .await;
    herd.node("Goloman").iamat("kiwi", 1);
    herd.node("Hands").iamat("lime", 1);
    // Goloman dials Hands: the handshake happens, and each end refuses it.
    eventually("Goloman to refuse Hands' tag", PATIENCE, || {
        last_error(herd.node("Goloman"), "Hands").is_some_and(|e| e.contains("does not verify"))
    })
    .await;
    eventually("Hands to see its tag refused", PATIENCE, || {
        last_error(herd.node("Hands"), "Goloman").is_some_and(|e| e.contains("refused our tag"))
    })
    .await;
    assert!(!herd.node("Goloman").shared.peers.is_up("Hands"));
    assert!(!herd.node("Hands").shared.peers.is_up("Goloman"));
    assert!(herd.node("Hands").held("kiwi").is_none());
    assert!(herd.node("Goloman").held("lime").is_none());
    herd.shutdown().await;
}

/// Writes `lines` to a fresh connection to `addr`, then reads until the
/// server closes it; returns what the server sent.
async fn raw_session(addr: std::net::SocketAddr, lines: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // The server may close early; later writes failing is fine.
    let _ = stream.write_all(lines.as_bytes()).await;
    let mut got = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut got))
        .await
        .expect("server closes the connection")
        .ok();
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn raw_tcp_client_cannot_inject_on_the_peer_port() {
    let herd = Herd::start(&["Hands"], &[("Goloman", "Hands")], key("k")).await;
    let addr = herd.addr("Hands");
    let at = "AT Goloman +0.000000000 evil +1.0+2.0 1000000000.000000000\n";

    // Straight in with an AT line.
    let got = raw_session(addr, &at.repeat(3)).await;
    assert!(got.is_empty(), "answered a stranger: {got:?}");

    // A proper-looking HELLO as a real neighbour, then AT before any AUTH.
    let hello = || {
        let msg = Message::Hello {
            name: "Goloman".into(),
            nonce: Nonce::random(),
            tag: None,
        };
        String::from_utf8_lossy(&msg.to_bytes()).into_owned()
    };
    let got = raw_session(addr, &[hello(), at.to_owned()].concat()).await;
    assert!(got.starts_with("HELLO Hands "), "{got:?}");

    // The same with a forged AUTH before the AT.
    let forged = Message::Auth {
        tag: Tag([0; TAG_LEN]),
    };
    let forged = String::from_utf8_lossy(&forged.to_bytes()).into_owned();
    let got = raw_session(addr, &[hello(), forged, at.to_owned()].concat()).await;
    assert!(got.starts_with("HELLO Hands "), "{got:?}");

    // A name that is not a neighbour gets no answer at all.
    let stranger = Message::Hello {
        name: "Mallory".into(),
        nonce: Nonce::random(),
        tag: None,
    };
    let got = raw_session(addr, &String::from_utf8_lossy(&stranger.to_bytes())).await;
    assert!(got.is_empty(), "answered a stranger: {got:?}");

    let hands = herd.node("Hands");
    assert!(hands.held("evil").is_none());
    assert!(hands.shared.db.is_empty());
    assert!(hands.shared.peers.live().is_empty());
    herd.shutdown().await;
}
