//! `PING` and `PONG`: keeping a quiet connection alive. The server sends a
//! quiet subscriber `PING`; any line answers it, `PONG` best, which gets no
//! reply. A client may send `PING` itself and is answered `PONG`. The same
//! two lines are the [`crate::reply::Reply::Ping`] and
//! [`crate::reply::Reply::Pong`] a client reads.

use bytes::BufMut;

/// The line a server sends a quiet subscriber, and a client may send.
pub const PING_LINE: &[u8] = b"PING\n";

/// The answer to `PING`.
pub const PONG_LINE: &[u8] = b"PONG\n";

/// A keepalive line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAlive {
    /// `PING`: answered `PONG`.
    Ping,
    /// `PONG`: the answer to a `PING`; no reply.
    Pong,
}

impl KeepAlive {
    /// The verb of `PING`.
    pub const PING: &[u8] = b"PING";
    /// The verb of `PONG`.
    pub const PONG: &[u8] = b"PONG";

    /// The keepalive named by `verb` with no operands after it.
    pub fn parse<'a>(verb: &[u8], mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let keepalive = match verb {
            Self::PING => KeepAlive::Ping,
            Self::PONG => KeepAlive::Pong,
            _ => return None,
        };
        it.next().is_none().then_some(keepalive)
    }

    /// The whole line, `\n` included.
    pub fn line(self) -> &'static [u8] {
        match self {
            KeepAlive::Ping => PING_LINE,
            KeepAlive::Pong => PONG_LINE,
        }
    }

    /// Appends the line, `\n` included.
    pub fn write(self, out: &mut impl BufMut) {
        out.put_slice(self.line());
    }

    /// What the server answers: `PONG` to a `PING`, nothing to a `PONG`.
    pub fn reply(self) -> &'static [u8] {
        match self {
            KeepAlive::Ping => PONG_LINE,
            KeepAlive::Pong => b"",
        }
    }
}
