//! Where one reply ends in a stream of pipelined replies, for clients that
//! read raw bytes (the benchmarks, `herd-client`).
//!
//! Reply shapes, as the herd writes them:
//! - IAMAT: `AT server diff client coords time\n`
//! - WHATSAT: the AT line, the Places JSON (no blank lines inside), `\n\n`
//! - anything invalid: `? <line>\n`

use crate::client::invalid::ECHO_PREFIX;
use crate::location::Location;

/// How the end of an expected reply is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One line: the reply to IAMAT (or to anything invalid).
    Line,
    /// An AT line and JSON ending in a blank line, or a single `? ` line.
    Whatsat,
}

/// The length of the first complete reply at the front of `buf`, terminator
/// included, or `None` while more bytes are needed.
pub fn reply_len(buf: &[u8], shape: Shape) -> Option<usize> {
    let line_end = || buf.iter().position(|&b| b == b'\n').map(|i| i + 1);
    match shape {
        Shape::Line => line_end(),
        Shape::Whatsat if is_invalid(buf) => line_end(),
        Shape::Whatsat => buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2),
    }
}

/// True when a reply (or the start of one) is the `? ` answer to an invalid
/// or unanswerable command.
pub fn is_invalid(reply: &[u8]) -> bool {
    reply.starts_with(ECHO_PREFIX)
}

/// True when a reply starts with an AT line.
pub fn is_at(reply: &[u8]) -> bool {
    reply
        .strip_prefix(Location::VERB)
        .is_some_and(|rest| rest.starts_with(b" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_reply_ends_at_first_newline() {
        assert_eq!(reply_len(b"AT a\nAT b\n", Shape::Line), Some(5));
        assert_eq!(reply_len(b"AT a", Shape::Line), None);
    }

    #[test]
    fn whatsat_reply_ends_at_blank_line_unless_invalid() {
        let ok = b"AT S +0.1 c +1+2 3\n{\n \"results\" : []\n}\n\nAT";
        assert_eq!(reply_len(ok, Shape::Whatsat), Some(ok.len() - 2));
        assert_eq!(reply_len(b"AT S\n{\n}\n", Shape::Whatsat), None);
        assert_eq!(reply_len(b"? WHATSAT c 1 1\nAT", Shape::Whatsat), Some(16));
    }

    #[test]
    fn replies_are_told_apart_by_their_start() {
        assert!(is_at(b"AT S +0.1 c +1+2 3\n"));
        assert!(!is_at(b"ATS"));
        assert!(is_invalid(b"? AT S\n"));
        assert!(!is_invalid(b"?AT"));
    }
}
