//! Anything that is not a valid command, and its reply: `? ` and the line
//! exactly as received (without its terminator), valid UTF-8 or not.

use std::fmt;

use bytes::{BufMut, Bytes};

use super::auth::redact;

/// The start of the reply to an invalid line.
pub const ECHO_PREFIX: &[u8] = b"? ";

/// An invalid line, kept verbatim (terminator removed) for the echo. Its
/// `Debug` shows the line with any Cacofonix id hidden.
#[derive(Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The line exactly as received, minus its terminator.
    line: Bytes,
}

impl Invalid {
    /// Wraps the offending line.
    pub fn new(line: Bytes) -> Self {
        Self { line }
    }

    /// The line as received.
    pub fn line(&self) -> &Bytes {
        &self.line
    }

    /// Appends the line itself, `\n` included: sending it again is as
    /// invalid as it was.
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(&self.line);
        out.put_u8(b'\n');
    }

    /// Appends the reply without a terminator, `? LINE`, echoing the bytes
    /// unchanged.
    pub fn write_reply(&self, out: &mut impl BufMut) {
        out.put_slice(ECHO_PREFIX);
        out.put_slice(&self.line);
    }

    /// The reply, `\n` included, as one buffer.
    pub fn reply(&self) -> Bytes {
        let mut out = Vec::with_capacity(self.line.len() + ECHO_PREFIX.len() + 1);
        self.write_reply(&mut out);
        out.push(b'\n');
        Bytes::from(out)
    }

    /// Reads a `? LINE` reply (terminator removed) back into the line it
    /// echoes. A bare `?` (the echo of an empty line whose trailing space
    /// was lost) echoes the empty line.
    pub fn parse_reply(reply: &[u8]) -> Option<Self> {
        let line = match reply.strip_prefix(ECHO_PREFIX) {
            Some(line) => line,
            None if reply == b"?" => b"",
            None => return None,
        };
        Some(Self::new(Bytes::copy_from_slice(line)))
    }
}

impl fmt::Debug for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = redact(&self.line);
        f.debug_tuple("Invalid")
            .field(&String::from_utf8_lossy(&shown))
            .finish()
    }
}
