//! The reply to anything that is not a valid command: `? ` and the line.

use bytes::{BufMut, Bytes, BytesMut};

/// An invalid line, kept verbatim (terminator removed) for the echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The line exactly as received, minus its terminator.
    line: Bytes,
}

impl Invalid {
    /// Wraps the offending line.
    pub fn new(line: Bytes) -> Self {
        Self { line }
    }

    /// `? LINE\n`, echoing the bytes unchanged, valid UTF-8 or not.
    pub fn reply(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.line.len() + 3);
        out.put_slice(b"? ");
        out.put_slice(&self.line);
        out.put_u8(b'\n');
        out.freeze()
    }
}
