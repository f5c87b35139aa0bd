//! Framing for the herd's line protocol, shared by client and peer ports.
//!
//! A frame is one line without its terminator (`\n`, or `\r\n`). Bytes are
//! passed up unchanged, valid UTF-8 or not, so a reply can echo exactly what
//! was received. Lines longer than the limit never grow the buffer: the codec
//! reports [`Line::TooLong`] once and discards up to the next newline. The
//! limit counts a line without the `\r` of its `\r\n`. A last line with no
//! newline is still a frame when the stream ends, read like any other (a
//! trailing `\r` removed and not counted).

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// One decoded unit of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A complete line, terminator removed.
    Complete(Bytes),
    /// A line that passed the length limit; its bytes were discarded.
    TooLong,
}

/// Errors raised by the codec: only I/O, since bad input becomes a frame.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The underlying stream failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// A newline-delimited codec with a maximum line length.
#[derive(Debug, Clone)]
pub struct LineCodec {
    /// Longest accepted line in bytes, terminator excluded.
    max_line: usize,
    /// How far the buffer has already been searched for a newline, so each
    /// byte is scanned once however the input is split.
    scanned: usize,
    /// True while the rest of an overlong line is being thrown away.
    discarding: bool,
}

impl LineCodec {
    /// A codec that accepts lines up to `max_line` bytes.
    pub fn new(max_line: usize) -> Self {
        Self {
            max_line,
            scanned: 0,
            discarding: false,
        }
    }
}

/// The length of `line` without a trailing `\r`: what the limit applies to,
/// so a line may take one byte more for the `\r` of a `\r\n` ending.
fn content_len(line: &[u8]) -> usize {
    line.len() - usize::from(line.last() == Some(&b'\r'))
}

/// Removes a trailing `\r`, so `\r\n` and `\n` end lines alike.
fn strip_cr(mut line: BytesMut) -> Bytes {
    if line.last() == Some(&b'\r') {
        line.truncate(line.len() - 1);
    }
    line.freeze()
}

impl Decoder for LineCodec {
    type Item = Line;
    type Error = CodecError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, CodecError> {
        loop {
            let newline = buf[self.scanned..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|i| i + self.scanned);
            match (self.discarding, newline) {
                (true, Some(at)) => {
                    buf.advance(at + 1);
                    self.scanned = 0;
                    self.discarding = false;
                }
                (true, None) => {
                    buf.clear();
                    self.scanned = 0;
                    return Ok(None);
                }
                (false, Some(at)) => {
                    let mut line = buf.split_to(at + 1);
                    line.truncate(at);
                    self.scanned = 0;
                    if content_len(&line) > self.max_line {
                        return Ok(Some(Line::TooLong));
                    }
                    return Ok(Some(Line::Complete(strip_cr(line))));
                }
                (false, None) => {
                    // One spare byte for a `\r` that may precede the newline.
                    if buf.len() > self.max_line + 1 {
                        buf.clear();
                        self.scanned = 0;
                        self.discarding = true;
                        return Ok(Some(Line::TooLong));
                    }
                    self.scanned = buf.len();
                    return Ok(None);
                }
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, CodecError> {
        if let Some(line) = self.decode(buf)? {
            return Ok(Some(line));
        }
        self.scanned = 0;
        if self.discarding {
            buf.clear();
            self.discarding = false;
            return Ok(None);
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let line = buf.split();
        if content_len(&line) > self.max_line {
            return Ok(Some(Line::TooLong));
        }
        Ok(Some(Line::Complete(strip_cr(line))))
    }
}

/// Encodes already-formatted bytes unchanged: every reply and peer message is
/// built whole, terminators included, before it is handed to the sink.
impl Encoder<Bytes> for LineCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(&item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut LineCodec, input: &[u8]) -> Vec<Line> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(line) = codec.decode(&mut buf).unwrap() {
            out.push(line);
        }
        while let Some(line) = codec.decode_eof(&mut buf).unwrap() {
            out.push(line);
        }
        out
    }

    fn complete(s: &[u8]) -> Line {
        Line::Complete(Bytes::copy_from_slice(s))
    }

    #[test]
    fn lf_and_crlf_both_end_lines() {
        let mut c = LineCodec::new(100);
        assert_eq!(
            decode_all(&mut c, b"a b\r\nc\n\nlast"),
            [
                complete(b"a b"),
                complete(b"c"),
                complete(b""),
                complete(b"last")
            ]
        );
    }

    #[test]
    fn lone_cr_inside_a_line_is_kept() {
        let mut c = LineCodec::new(100);
        assert_eq!(decode_all(&mut c, b"a\rb\n"), [complete(b"a\rb")]);
    }

    #[test]
    fn overlong_line_is_reported_once_and_skipped() {
        let mut c = LineCodec::new(4);
        let got = decode_all(&mut c, b"12345678901234\nok\n");
        assert_eq!(got, [Line::TooLong, complete(b"ok")]);
    }

    #[test]
    fn overlong_line_split_across_reads_never_grows_buffer() {
        let mut c = LineCodec::new(8);
        let mut buf = BytesMut::new();
        let mut frames = Vec::new();
        for _ in 0..100 {
            buf.extend_from_slice(b"xxxxxxx");
            while let Some(f) = c.decode(&mut buf).unwrap() {
                frames.push(f);
            }
            assert!(buf.len() <= 9 + 7);
        }
        buf.extend_from_slice(b"\nnext\n");
        while let Some(f) = c.decode(&mut buf).unwrap() {
            frames.push(f);
        }
        assert_eq!(frames, [Line::TooLong, complete(b"next")]);
    }

    #[test]
    fn line_at_exact_limit_is_accepted_with_crlf() {
        let mut c = LineCodec::new(4);
        assert_eq!(decode_all(&mut c, b"abcd\r\n"), [complete(b"abcd")]);
        assert_eq!(decode_all(&mut c, b"abcde\n"), [Line::TooLong]);
    }

    #[test]
    fn a_last_line_without_newline_gets_the_same_carriage_return_allowance() {
        let mut c = LineCodec::new(4);
        assert_eq!(decode_all(&mut c, b"abcd\r"), [complete(b"abcd")]);
        assert_eq!(
            decode_all(&mut c, b"ok\nabcd\r"),
            [complete(b"ok"), complete(b"abcd")]
        );
        assert_eq!(decode_all(&mut c, b"abcde\r"), [Line::TooLong]);
    }

    #[test]
    fn invalid_utf8_passes_through() {
        let mut c = LineCodec::new(100);
        assert_eq!(decode_all(&mut c, b"\xff\xfe\n"), [complete(b"\xff\xfe")]);
    }
}
