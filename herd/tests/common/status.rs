//! A server's `STATUS`, asked on its client port and parsed, and waits for
//! a STATUS that shows something.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use herd::status::Status;

use super::exchange_str;

/// Pause between two STATUS requests while waiting.
const POLL: Duration = Duration::from_millis(50);

/// The server's STATUS, parsed; panics on anything but a STATUS line.
pub fn status(addr: SocketAddr) -> Status {
    let reply = exchange_str(addr, "STATUS\n");
    assert_eq!(reply.matches('\n').count(), 1, "one line: {reply:?}");
    Status::parse_line(reply.trim_end()).unwrap_or_else(|e| panic!("{e}: {reply:?}"))
}

/// Asks STATUS until `check` holds, or panics after `within`.
pub fn status_until(
    addr: SocketAddr,
    within: Duration,
    what: &str,
    check: impl Fn(&Status) -> bool,
) -> Status {
    let deadline = Instant::now() + within;
    loop {
        let status = status(addr);
        if check(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "never {what}: {status:#?}");
        std::thread::sleep(POLL);
    }
}

/// True when every configured link of the server is up.
pub fn all_links_up(status: &Status) -> bool {
    status.links.iter().all(|link| link.up)
}
