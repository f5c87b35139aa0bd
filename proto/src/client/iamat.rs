//! `IAMAT <client> <coords> <time>`: a client reports where it is. The
//! reply is the `AT` line of the [`Location`] it makes.

use std::time::SystemTime;

use bytes::BufMut;

use crate::coords::Coords;
use crate::location::Location;
use crate::timestamp::{nanos_since_epoch, parse_posix_nanos, push_diff};

/// A parsed IAMAT.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The verb.
    pub const VERB: &[u8] = b"IAMAT";

    /// Parses the three operands; `None` unless there are exactly three,
    /// each is well formed and the client ID is at most `max_client_id`
    /// bytes.
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

    /// The client's time, in nanoseconds since the epoch.
    pub fn time(&self) -> i128 {
        self.time
    }

    /// Stamps the report as received by server `server` at `received`: the
    /// location to store, whose `AT` line is the reply.
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

    /// Appends the command line, `\n` included.
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(Self::VERB);
        out.put_u8(b' ');
        out.put_slice(self.tail.as_bytes());
        out.put_u8(b'\n');
    }

    /// `IAMAT client coords time\n` from operands as given, unchecked: what
    /// a client that sends whatever it is told (to test a server) writes.
    pub fn line(client: &str, coords: &str, time: &str) -> String {
        format!("IAMAT {client} {coords} {time}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::fields;

    /// The client ID limit of a server with default limits.
    const MAX_CLIENT_ID: usize = 256;

    fn parse(line: &[u8]) -> Option<IAmAt> {
        let mut it = fields(line);
        assert_eq!(it.next(), Some(IAmAt::VERB));
        IAmAt::parse(it, MAX_CLIENT_ID)
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
        assert_eq!(cmd.time(), 1_520_023_934_918_963_997);
    }

    #[test]
    fn client_ids_longer_than_the_limit_are_rejected() {
        let at_limit = "c".repeat(MAX_CLIENT_ID);
        let line = format!("IAMAT {at_limit} +1+2 3");
        assert_eq!(parse(line.as_bytes()).unwrap().client(), at_limit);
        let line = format!("IAMAT {at_limit}c +1+2 3");
        assert!(parse(line.as_bytes()).is_none());
    }

    #[test]
    fn wrong_field_counts_are_rejected() {
        assert!(parse(b"IAMAT kiwi +34-118").is_none());
        assert!(parse(b"IAMAT kiwi +34-118 1 2").is_none());
    }

    #[test]
    fn the_unchecked_line_is_the_checked_one() {
        let cmd = parse(b"IAMAT kiwi +34-118 1.5").unwrap();
        let mut out = Vec::new();
        cmd.write(&mut out);
        assert_eq!(out, IAmAt::line("kiwi", "+34-118", "1.5").into_bytes());
    }
}
