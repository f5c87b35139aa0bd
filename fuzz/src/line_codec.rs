//! The line codec, fed a stream cut into reads of arbitrary sizes: it never
//! panics, never buffers more than one line's worth of bytes, and yields
//! exactly the frames of the whole stream split at its newlines.

use arbitrary::Arbitrary;
use bytes::{Bytes, BytesMut};
use proto::codec::{Line, LineCodec};
use tokio_util::codec::Decoder;

/// Largest line limit tried: small, so that overlong lines are common.
const MAX_LIMIT: u8 = 64;

/// One run of the codec.
#[derive(Debug, Arbitrary)]
pub struct Input {
    /// The line limit, modulo [`MAX_LIMIT`] (0 accepts only empty lines).
    limit: u8,
    /// Sizes of successive reads (0 counts as 1), used in turn and then
    /// again; no sizes means one read of everything.
    reads: Vec<u8>,
    /// The bytes received.
    stream: Vec<u8>,
}

/// Decodes `input.stream` read by read, then at end of stream, and
/// compares with [`reference`].
pub fn check(input: &Input) {
    let max_line = usize::from(input.limit % MAX_LIMIT);
    let mut codec = LineCodec::new(max_line);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut reads = input.reads.iter().map(|&n| usize::from(n.max(1))).cycle();
    let mut rest = &input.stream[..];
    while !rest.is_empty() {
        let n = reads.next().unwrap_or(rest.len()).min(rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        while let Some(frame) = codec.decode(&mut buf).expect("decoding bytes cannot fail") {
            frames.push(frame);
        }
        // One spare byte for the `\r` of a `\r\n` not yet complete.
        assert!(
            buf.len() <= max_line + 1,
            "buffer holds {} bytes, limit {max_line}",
            buf.len()
        );
    }
    while let Some(frame) = codec
        .decode_eof(&mut buf)
        .expect("decoding bytes cannot fail")
    {
        frames.push(frame);
    }
    assert!(buf.is_empty(), "bytes left over at end of stream");
    assert_eq!(frames, reference(&input.stream, max_line));
}

/// The frames of a whole stream, found the obvious way: split at every
/// `\n`, drop one `\r` before it, and judge each line's length; a last
/// line with no newline counts if it is not empty.
pub fn reference(stream: &[u8], max_line: usize) -> Vec<Line> {
    let mut lines: Vec<&[u8]> = stream.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() > max_line {
                Line::TooLong
            } else {
                Line::Complete(Bytes::copy_from_slice(line))
            }
        })
        .collect()
}
