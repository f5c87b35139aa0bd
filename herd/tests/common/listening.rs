//! Where a `herd` process listens, as it says in its log. A server given
//! port 0 binds ports the system picks and logs them on its
//! `server_started` line; reading that line is how a test learns them
//! without ever guessing a free port.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;

use super::Ports;

/// The event a server logs once its listeners are bound.
const STARTED: &str = "event=\"server_started\"";

/// The ports server `name` announced in its log files in `log_dir` (the
/// current one and any rotated ones), if it has announced them yet. With
/// several announcements (the server was started more than once), the
/// latest in the current file wins.
pub fn announced(log_dir: &Path, name: &str) -> Option<Ports> {
    // Newest first: the current file, then `NAME.log.1`, `.2`... for as
    // long as rotated files exist.
    let current = std::iter::once(log_dir.join(format!("{name}.log")));
    let rotated = (1..).map(|n| log_dir.join(format!("{name}.log.{n}")));
    let mut files = current.chain(rotated.take_while(|file| file.exists()));
    files.find_map(|file| {
        let text = std::fs::read_to_string(file).ok()?;
        text.lines().rev().find_map(started_ports)
    })
}

/// The client and peer addresses of a `server_started` log line.
fn started_ports(line: &str) -> Option<Ports> {
    if !line.contains(STARTED) {
        return None;
    }
    let field = |key: &str| -> Option<SocketAddr> {
        let value = line.split(' ').find_map(|f| f.strip_prefix(key))?;
        value.trim_matches('"').parse().ok()
    };
    Some(Ports {
        client: field("clients=")?,
        peer: field("peers=")?,
    })
}
