//! Reply lines from a herd server, framed by the herd's own codec
//! ([`proto::codec::LineCodec`]), handed up as text.

use bytes::BytesMut;
use proto::codec::{CodecError, Line, LineCodec};
use tokio_util::codec::Decoder;

/// Why a reply line could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The connection failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The herd sent a line longer than the limit.
    #[error("reply line longer than the limit")]
    TooLong,
    /// The herd sent bytes that are not UTF-8.
    #[error("reply line is not UTF-8")]
    NotUtf8,
}

impl From<CodecError> for LineError {
    fn from(error: CodecError) -> Self {
        match error {
            CodecError::Io(e) => LineError::Io(e),
        }
    }
}

/// The herd's line codec, yielding `String`s.
#[derive(Debug)]
pub struct TextLines(LineCodec);

impl TextLines {
    /// Lines of at most `max_line` bytes.
    pub fn new(max_line: usize) -> Self {
        Self(LineCodec::new(max_line))
    }
}

/// A decoded line as text, or why it is unusable.
fn text(line: Option<Line>) -> Result<Option<String>, LineError> {
    match line {
        None => Ok(None),
        Some(Line::TooLong) => Err(LineError::TooLong),
        Some(Line::Complete(bytes)) => String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|_| LineError::NotUtf8),
    }
}

impl Decoder for TextLines {
    type Item = String;
    type Error = LineError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<String>, LineError> {
        text(self.0.decode(buf)?)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<String>, LineError> {
        text(self.0.decode_eof(buf)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_up_as_text_and_bad_ones_as_errors() {
        let mut codec = TextLines::new(8);
        let mut buf = BytesMut::from(&b"OK a\r\nTALLY\n\xff\n"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("OK a"));
        assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("TALLY"));
        assert!(matches!(codec.decode(&mut buf), Err(LineError::NotUtf8)));
        let mut buf = BytesMut::from(&b"0123456789\n"[..]);
        assert!(matches!(codec.decode(&mut buf), Err(LineError::TooLong)));
    }
}
