//! The client's view of the wire: building `IAMAT` / `WHATSAT` lines, POSIX
//! time stamps, and finding where one reply ends in a stream of pipelined
//! replies.
//!
//! Reply shapes, as the herd writes them:
//! - IAMAT: `AT server diff client coords time\n`
//! - WHATSAT: the AT line, the Places JSON (no blank lines inside), `\n\n`
//! - anything invalid: `? <line>\n`

use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds per second.
const NANOS: u128 = 1_000_000_000;

/// The system clock in nanoseconds since the epoch (zero if the clock is
/// set before 1970, which no client time can express anyway).
pub fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Formats nanoseconds since the epoch as `SECONDS.NNNNNNNNN`, the form
/// IAMAT carries.
pub fn format_posix(nanos: u128) -> String {
    format!("{}.{:09}", nanos / NANOS, nanos % NANOS)
}

/// `IAMAT client coords time\n`.
pub fn iamat(client: &str, coords: &str, time: &str) -> String {
    format!("IAMAT {client} {coords} {time}\n")
}

/// `WHATSAT client radius bound\n`.
pub fn whatsat(client: &str, radius_km: &str, bound: &str) -> String {
    format!("WHATSAT {client} {radius_km} {bound}\n")
}

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
    reply.starts_with(b"? ")
}

/// True when a reply starts with an AT line.
pub fn is_at(reply: &[u8]) -> bool {
    reply.starts_with(b"AT ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_time_has_nine_fraction_digits() {
        assert_eq!(
            format_posix(1_520_023_934_918_963_997),
            "1520023934.918963997"
        );
        assert_eq!(format_posix(5_000_000_001), "5.000000001");
    }

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
}
