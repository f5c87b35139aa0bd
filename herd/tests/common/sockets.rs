//! Raw loopback sockets for the connection-limit tests of the herd and the
//! facade (which includes this file by path): connections from any
//! 127.0.0.0/8 source, "was it closed" checks, and the open-file limit.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

/// Longest a connect may take.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// A connection to `to` from the loopback address `127.0.0.<source>`
/// (loopback accepts any 127/8 source), so tests can stand for many clients.
pub async fn connect_from(source: u8, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from(([127, 0, 0, source], 0)))
        .expect("bind a loopback source");
    timeout(CONNECT_WAIT, socket.connect(to))
        .await
        .expect("connect in time")
        .expect("connect")
}

/// True if the server closes `stream` within `limit` (whatever it sent first).
pub async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// Raises this process's open-file limit; false (with a message saying the
/// test is skipped) if it cannot hold `needed` descriptors.
pub fn enough_descriptors(needed: u64) -> bool {
    let limit = base::fdlimit::raise().expect("reading the open-file limit");
    if limit.soft < needed {
        eprintln!(
            "skipped: the open-file limit is {} (hard {}), {needed} needed",
            limit.soft, limit.hard
        );
        return false;
    }
    true
}
