//! `IAMAT client coords time`: a client reports where it is.

use std::time::SystemTime;

use bytes::Bytes;

use crate::shared::Shared;
use proto::coords::Coords;
use proto::location::Location;
use proto::timestamp::{nanos_since_epoch, parse_posix_nanos, push_diff};

/// A parsed IAMAT.
#[derive(Debug, Clone, PartialEq)]
pub struct IAmAt {
    /// `client coords time` as sent, single-spaced: the end of the `AT`
    /// reply, echoed verbatim.
    tail: String,
    /// Bytes of the client ID at the start of `tail`.
    client_len: usize,
    /// Client time in nanoseconds.
    time: i128,
}

impl IAmAt {
    /// Parses the three operands; `None` unless there are exactly three,
    /// each is well formed and the client ID is at most `max_client_id`
    /// bytes (`limits.max_client_id`).
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>, max_client_id: usize) -> Option<Self> {
        let (client, coords_text, time_text) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || client.len() > max_client_id {
            return None;
        }
        Coords::parse(coords_text)?;
        let time = parse_posix_nanos(time_text)?;
        let mut tail = Vec::with_capacity(client.len() + coords_text.len() + time_text.len() + 2);
        tail.extend_from_slice(client);
        tail.push(b' ');
        tail.extend_from_slice(coords_text);
        tail.push(b' ');
        tail.extend_from_slice(time_text);
        Some(Self {
            // Coordinates and time are ASCII once parsed: this checks the client ID.
            tail: String::from_utf8(tail).ok()?,
            client_len: client.len(),
            time,
        })
    }

    /// The client ID.
    pub fn client(&self) -> &str {
        &self.tail[..self.client_len]
    }

    /// Stamps the report, stores it if newest (flooding it on), and answers
    /// with the `AT` line; `None` when the store is full and this is a new
    /// client (the caller answers `? `).
    pub fn apply(self, shared: &Shared) -> Option<Bytes> {
        if shared.db.refuses(self.client()) {
            return None;
        }
        let location = self.answer(&shared.name, SystemTime::now());
        let reply = Bytes::from([location.at_line(), b"\n"].concat());
        shared.store_and_flood(location, None);
        Some(reply)
    }

    /// Stamps the report as received by server `server` at `received`: the
    /// location to store, whose `at_line` plus a newline is the reply.
    /// Storing and flooding are left to the caller.
    pub fn answer(self, server: &str, received: SystemTime) -> Location {
        let diff = nanos_since_epoch(received) - self.time;
        let mut line = Vec::with_capacity(server.len() + self.tail.len() + 48);
        line.extend_from_slice(b"AT ");
        line.extend_from_slice(server.as_bytes());
        line.push(b' ');
        push_diff(&mut line, diff);
        line.push(b' ');
        let client_at = line.len();
        line.extend_from_slice(self.tail.as_bytes());
        Location::from_parts(line, client_at, self.client_len, self.time)
            .expect("an AT line made from a parsed IAMAT is well formed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::fields::fields;

    fn parse(line: &[u8]) -> Option<IAmAt> {
        let mut it = fields(line);
        assert_eq!(it.next(), Some(&b"IAMAT"[..]));
        IAmAt::parse(it, base::topology::DEFAULT_MAX_CLIENT_ID)
    }

    #[test]
    fn spec_example_parses() {
        let cmd =
            parse(b"IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997").unwrap();
        assert_eq!(cmd.client(), "kiwi.cs.ucla.edu");
        assert_eq!(
            cmd.tail,
            "kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997"
        );
        assert_eq!(cmd.time, 1_520_023_934_918_963_997);
    }

    #[test]
    fn client_ids_longer_than_the_limit_are_rejected() {
        let at_limit = "c".repeat(base::topology::DEFAULT_MAX_CLIENT_ID);
        let line = format!("IAMAT {at_limit} +1+2 3");
        assert_eq!(parse(line.as_bytes()).unwrap().client(), at_limit);
        let line = format!("IAMAT {at_limit}c +1+2 3");
        assert!(parse(line.as_bytes()).is_none());
    }

    #[test]
    fn the_longest_at_line_of_an_accepted_iamat_fits_the_peer_limit() {
        let limits = base::topology::Limits::default();
        let server = "S".repeat(base::topology::MAX_SERVER_NAME_LEN);
        for time in ["0", "99999999999999999999.999999999"] {
            let rest = format!(" +0+0 {time}");
            let client = "c".repeat(limits.max_line - "IAMAT ".len() - rest.len());
            let line = format!("IAMAT {client}{rest}");
            assert_eq!(line.len(), limits.max_line);
            let mut it = fields(line.as_bytes());
            it.next();
            let cmd = IAmAt::parse(it, usize::MAX).unwrap();
            let location = cmd.answer(&server, SystemTime::now());
            let at = location.at_line();
            assert!(at.len() <= limits.peer_max_line(), "{} bytes", at.len());
        }
    }

    #[test]
    fn wrong_field_counts_are_rejected() {
        assert!(parse(b"IAMAT kiwi +34-118").is_none());
        assert!(parse(b"IAMAT kiwi +34-118 1 2").is_none());
    }
}
