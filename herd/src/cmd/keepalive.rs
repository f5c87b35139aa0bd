//! `PING` and `PONG`: keeping a quiet connection alive. A subscriber that
//! sends nothing for `limits.ping_interval_secs` is sent [`PING_LINE`]; any
//! line answers it, `PONG` best, which is taken silently. A client may send
//! `PING` itself and is answered `PONG`. Both count as input for the idle
//! timeout, like every complete line.

use bytes::Bytes;

/// The line the server sends a quiet subscriber.
pub const PING_LINE: &[u8] = b"PING\n";

/// A keepalive line from a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAlive {
    /// `PING`: answered `PONG`.
    Ping,
    /// `PONG`: the answer to a server `PING`; no reply.
    Pong,
}

impl KeepAlive {
    /// `PONG\n` to a `PING`; nothing to a `PONG`.
    pub fn reply(self) -> Bytes {
        match self {
            KeepAlive::Ping => Bytes::from_static(b"PONG\n"),
            KeepAlive::Pong => Bytes::new(),
        }
    }
}
