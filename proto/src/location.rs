//! A client's last known location, kept as the exact `AT` line that the
//! server which took the IAMAT produced.
//!
//! The same line is what floods between servers, so every server answers
//! WHATSAT with byte-identical `AT` text. Everything else (client ID, time,
//! coordinates) is read from the line itself, so a stored location is one
//! small header and the line's bytes: with many clients, the store is
//! mostly their lines.
//!
//! # Which location wins
//!
//! Newest wins: the greater client time. Two different reports with the
//! same client time (a client that reported the same instant to two
//! servers, or a forger) are ordered by the bytes of their whole `AT` line,
//! which start with the name of the server that took them. That order is
//! total and the same on every server, so every replica keeps the same
//! winner whatever order the reports arrive in ([`Location::supersedes`]).

use crate::coords::Coords;
use crate::digest::client_hash;
use crate::fields::fields;
use crate::timestamp::parse_posix_nanos;

/// One stored location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// `AT server diff client coords time`, single-spaced, no terminator.
    at_line: Box<[u8]>,
    /// The client's own timestamp in nanoseconds, high half. Kept as two
    /// words rather than an `i128` so the header is not padded to 16-byte
    /// alignment (it is stored once per client).
    time_hi: i64,
    /// Low half of the client's timestamp.
    time_lo: u64,
    /// Where the client ID starts in `at_line`.
    client_at: u32,
    /// Length of the client ID in bytes.
    client_len: u32,
    /// [`client_hash`] of the client ID, computed once when the location is
    /// made: the store, the link queues and the batches all look clients up
    /// by it. Free in memory: the header stays within the allocator's
    /// 64-byte size class with its reference counts.
    client_hash: u64,
}

impl Location {
    /// The first field of an `AT` line.
    pub const VERB: &[u8] = b"AT";

    /// Parses an `AT server diff client coords time` line, as stored and
    /// flooded. Returns `None` for anything not of that exact shape. The
    /// stored line is re-joined with single spaces, so what is kept and
    /// forwarded is canonical even if a peer padded it.
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
        if it.next().is_some() || verb != Self::VERB || !valid_diff(diff) {
            return None;
        }
        std::str::from_utf8(server).ok()?;
        std::str::from_utf8(client).ok()?;
        Coords::parse(coords)?;
        let client_time = parse_posix_nanos(time)?;
        let at_line = [verb, server, diff, client, coords, time].join(&b' ');
        let client_at = verb.len() + server.len() + diff.len() + 3;
        Self::from_parts(at_line, client_at, client.len(), client_time)
    }

    /// A location from a line already known to be well formed (the server
    /// made it from a parsed IAMAT): `client_len` bytes of client ID start at
    /// `client_at` in `at_line`.
    pub fn from_parts(
        at_line: Vec<u8>,
        client_at: usize,
        client_len: usize,
        client_time: i128,
    ) -> Option<Self> {
        let client = at_line.get(client_at..client_at.checked_add(client_len)?)?;
        std::str::from_utf8(client).ok()?;
        let client_hash = client_hash(client);
        Some(Self {
            client_hash,
            at_line: at_line.into_boxed_slice(),
            time_hi: (client_time >> 64) as i64,
            time_lo: client_time as u64,
            client_at: u32::try_from(client_at).ok()?,
            client_len: u32::try_from(client_len).ok()?,
        })
    }

    /// The `AT` line, without a terminator.
    pub fn at_line(&self) -> &[u8] {
        &self.at_line
    }

    /// Appends the `AT` line and a newline: the reply to the IAMAT that
    /// made it.
    pub fn write(&self, out: &mut impl bytes::BufMut) {
        out.put_slice(&self.at_line);
        out.put_u8(b'\n');
    }

    /// The client ID's bytes (valid UTF-8).
    pub fn client_bytes(&self) -> &[u8] {
        let at = self.client_at as usize;
        &self.at_line[at..at + self.client_len as usize]
    }

    /// The hash of the client ID ([`client_hash`]), as computed when the
    /// location was made.
    pub fn client_hash(&self) -> u64 {
        self.client_hash
    }

    /// True if `other` is a location of the same client (the hashes are
    /// compared first, so different clients rarely compare bytes).
    pub fn same_client(&self, other: &Location) -> bool {
        self.client_hash == other.client_hash && self.client_bytes() == other.client_bytes()
    }

    /// The client ID.
    pub fn client(&self) -> &str {
        // Checked when the location was made; this cannot fail.
        std::str::from_utf8(self.client_bytes()).unwrap_or_default()
    }

    /// The client's own timestamp, in nanoseconds since the epoch.
    pub fn client_time(&self) -> i128 {
        (i128::from(self.time_hi) << 64) | i128::from(self.time_lo)
    }

    /// Where the client said it was.
    pub fn coords(&self) -> Coords {
        // The coordinates follow the client ID; checked when made.
        let after = self.client_at as usize + self.client_len as usize + 1;
        let text = fields(&self.at_line[after..]).next().unwrap_or_default();
        Coords::parse(text).unwrap_or(Coords { lat: 0.0, lng: 0.0 })
    }

    /// True if `self` wins over `other` for the same client: a greater
    /// client time, or the same time and a greater `AT` line (byte order,
    /// so first by the name of the server that took it). Equal lines
    /// supersede neither way.
    pub fn supersedes(&self, other: &Location) -> bool {
        (self.client_time(), &self.at_line[..]) > (other.client_time(), &other.at_line[..])
    }

    /// Bytes held on the heap for this location besides its header, for
    /// memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.at_line.len()
    }
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

    fn at(line: &str) -> Location {
        Location::from_at_line(line.as_bytes()).unwrap()
    }

    #[test]
    fn spec_at_line_round_trips() {
        let line =
            b"AT Goloman +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997";
        let loc = Location::from_at_line(line).unwrap();
        assert_eq!(loc.client(), "kiwi.cs.ucla.edu");
        assert_eq!(loc.client_time(), 1_520_023_934_918_963_997);
        assert_eq!(loc.coords().lat, 34.068930);
        assert_eq!(loc.coords().lng, -118.445127);
        assert_eq!(loc.at_line(), &line[..]);
    }

    #[test]
    fn times_beyond_sixty_four_bits_and_before_1970_survive() {
        let far = at("AT S +0.000000000 c +1+2 99999999999999999999.999999999");
        assert_eq!(far.client_time(), 99_999_999_999_999_999_999_999_999_999);
        let loc = Location::from_parts(b"AT S +0.000000000 c +1+2 0".to_vec(), 18, 1, -5).unwrap();
        assert_eq!(loc.client_time(), -5);
        assert_eq!(loc.client(), "c");
    }

    #[test]
    fn the_client_hash_is_the_digest_hash_of_the_client_id() {
        let a = at("AT S +0.000000000 kiwi +1+2 5");
        let b = at("AT T +1.000000000 kiwi +3+4 6");
        let c = at("AT S +0.000000000 kiwj +1+2 5");
        assert_eq!(a.client_hash(), client_hash(b"kiwi"));
        assert!(a.same_client(&b) && !a.same_client(&c));
    }

    #[test]
    fn padded_at_line_is_canonicalised() {
        let loc = at("  AT\tS -1.000000000 c +1+2  5 ");
        assert_eq!(loc.at_line(), b"AT S -1.000000000 c +1+2 5");
        assert_eq!(loc.client(), "c");
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
            b"AT S +1.000000000 c\xff +1+2 5",
        ] {
            assert!(
                Location::from_at_line(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn newer_time_wins_and_equal_times_are_decided_by_the_line_the_same_both_ways() {
        let old = at("AT Welsh +0.000000000 c -20-20 5");
        let new = at("AT Goloman +0.000000000 c +10+10 6");
        assert!(new.supersedes(&old) && !old.supersedes(&new));
        let goloman = at("AT Goloman +0.000000000 c +10+10 5");
        let welsh = at("AT Welsh +0.000000000 c -20-20 5");
        assert!(welsh.supersedes(&goloman), "same time: greater server name");
        assert!(!goloman.supersedes(&welsh));
        assert!(
            !welsh.supersedes(&welsh.clone()),
            "a duplicate is not newer"
        );
    }
}
