//! A client's last known location, kept as the exact `AT` line that the
//! server which took the IAMAT produced, plus the parsed parts we need.
//!
//! The same line is what floods between servers, so every server answers
//! WHATSAT with byte-identical `AT` text.

use bytes::Bytes;

use crate::coords::Coords;
use crate::parse::fields;
use crate::timestamp::parse_posix_nanos;

/// One stored location.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// The client's ID as it sent it.
    pub client: String,
    /// Where the client said it was.
    pub coords: Coords,
    /// The client's own timestamp in nanoseconds; newest wins on this.
    pub client_time: i128,
    /// `AT server diff client coords time`, no line terminator.
    pub at_line: Bytes,
}

impl Location {
    /// Parses an `AT server diff client coords time` line, as stored and
    /// flooded. Returns `None` for anything not of that exact shape.
    pub fn from_at_line(line: &[u8]) -> Option<Self> {
        let mut it = fields(line);
        let (verb, server, diff, client, coords, time) = (
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
        );
        if it.next().is_some() || verb != b"AT" || !valid_diff(diff) || server.is_empty() {
            return None;
        }
        let client = std::str::from_utf8(client).ok()?.to_owned();
        std::str::from_utf8(server).ok()?;
        let coords = Coords::parse(coords)?;
        let client_time = parse_posix_nanos(time)?;
        // Re-serialise with single spaces, so what we store and forward is
        // canonical even if a peer padded it.
        let at_line = Bytes::from(
            [
                &b"AT"[..],
                server,
                diff,
                client.as_bytes(),
                coord_text(line)?,
                time,
            ]
            .join(&b' '),
        );
        Some(Self {
            client,
            coords,
            client_time,
            at_line,
        })
    }
}

/// The coordinates field of an AT line (the fifth field).
fn coord_text(line: &[u8]) -> Option<&[u8]> {
    fields(line).nth(4)
}

/// `±S.NNNNNNNNN` as `format_diff` writes it.
fn valid_diff(diff: &[u8]) -> bool {
    let Some((&sign, rest)) = diff.split_first() else {
        return false;
    };
    let Some(dot) = rest.iter().position(|&b| b == b'.') else {
        return false;
    };
    (sign == b'+' || sign == b'-')
        && dot > 0
        && rest[..dot].iter().all(u8::is_ascii_digit)
        && rest.len() - dot - 1 == 9
        && rest[dot + 1..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_at_line_round_trips() {
        let line =
            b"AT Goloman +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997";
        let loc = Location::from_at_line(line).unwrap();
        assert_eq!(loc.client, "kiwi.cs.ucla.edu");
        assert_eq!(loc.client_time, 1_520_023_934_918_963_997);
        assert_eq!(&loc.at_line[..], &line[..]);
    }

    #[test]
    fn padded_at_line_is_canonicalised() {
        let loc = Location::from_at_line(b"  AT\tS -1.000000000 c +1+2  5 ").unwrap();
        assert_eq!(&loc.at_line[..], b"AT S -1.000000000 c +1+2 5");
    }

    #[test]
    fn malformed_at_lines_are_rejected() {
        for bad in [
            &b"AT S +1.0 c +1+2 5"[..],
            b"AT S +1.000000000 c +1+2",
            b"AT S +1.000000000 c +1+2 5 extra",
            b"IAMAT S +1.000000000 c +1+2 5",
            b"AT S +1.000000000 c +100+2 5",
            b"AT S 1.000000000 c +1+2 5",
        ] {
            assert!(
                Location::from_at_line(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
