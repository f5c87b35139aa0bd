//! `IAMAT client coords time`: a client reports where it is.

use bytes::{BufMut, Bytes, BytesMut};

use crate::coords::Coords;
use crate::location::Location;
use crate::shared::Shared;
use crate::timestamp::{format_diff, now_nanos, parse_posix_nanos};

/// A parsed IAMAT.
#[derive(Debug, Clone, PartialEq)]
pub struct IAmAt {
    /// Client ID, any non-white-space text.
    client: String,
    /// Coordinates as sent, echoed verbatim.
    coords_text: String,
    /// Parsed coordinates.
    coords: Coords,
    /// Client time as sent, echoed verbatim.
    time_text: String,
    /// Client time in nanoseconds.
    time: i128,
}

impl IAmAt {
    /// Parses the three operands; `None` unless there are exactly three and
    /// each is well formed.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let (client, coords_text, time_text) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        let coords = Coords::parse(coords_text)?;
        let time = parse_posix_nanos(time_text)?;
        Some(Self {
            client: std::str::from_utf8(client).ok()?.to_owned(),
            coords_text: std::str::from_utf8(coords_text).ok()?.to_owned(),
            coords,
            time_text: std::str::from_utf8(time_text).ok()?.to_owned(),
            time,
        })
    }

    /// Stamps the report, stores it if newest (flooding it on), and answers
    /// with the `AT` line.
    pub fn apply(self, shared: &Shared) -> Bytes {
        let diff = format_diff(now_nanos() - self.time);
        let at_line = [
            "AT",
            &shared.name,
            &diff,
            &self.client,
            &self.coords_text,
            &self.time_text,
        ]
        .join(" ");
        let at_line = Bytes::from(at_line);
        let mut reply = BytesMut::with_capacity(at_line.len() + 1);
        reply.put_slice(&at_line);
        reply.put_u8(b'\n');
        let location = Location {
            client: self.client,
            coords: self.coords,
            client_time: self.time,
            at_line,
        };
        if let Some(stored) = shared.db.offer(location) {
            shared.peers.flood(&stored, None);
        }
        reply.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::fields;

    fn parse(line: &[u8]) -> Option<IAmAt> {
        let mut it = fields(line);
        assert_eq!(it.next(), Some(&b"IAMAT"[..]));
        IAmAt::parse(it)
    }

    #[test]
    fn spec_example_parses() {
        let cmd =
            parse(b"IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997").unwrap();
        assert_eq!(cmd.client, "kiwi.cs.ucla.edu");
        assert_eq!(cmd.coords_text, "+34.068930-118.445127");
        assert_eq!(cmd.time, 1_520_023_934_918_963_997);
    }

    #[test]
    fn wrong_field_counts_are_rejected() {
        assert!(parse(b"IAMAT kiwi +34-118").is_none());
        assert!(parse(b"IAMAT kiwi +34-118 1 2").is_none());
    }
}
