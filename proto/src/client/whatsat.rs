//! `WHATSAT <client> <radius> <bound>`: places near another client's
//! location. The reply is the client's `AT` line, the Places JSON and a
//! blank line ([`WhatsAt::write_reply`]).

use bytes::BufMut;

use crate::location::Location;

/// Largest radius, in kilometres, that WHATSAT accepts.
pub const MAX_RADIUS_KM: f64 = 50.0;

/// Largest number of results WHATSAT returns.
pub const MAX_BOUND: usize = 20;

/// A parsed WHATSAT.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsAt {
    /// The client whose location is the centre.
    client: String,
    /// Search radius in kilometres, in (0, 50].
    radius_km: f64,
    /// Most results to return, in 1..=20.
    bound: usize,
}

impl WhatsAt {
    /// The verb.
    pub const VERB: &[u8] = b"WHATSAT";

    /// Parses the three operands; `None` unless there are exactly three,
    /// the client ID is at most `max_client_id` bytes (no such client can be
    /// stored), the radius is a positive decimal of at most 50 and the
    /// bound an integer from 1 to 20.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>, max_client_id: usize) -> Option<Self> {
        let (client, radius, bound) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || client.len() > max_client_id {
            return None;
        }
        let radius_km = parse_radius(radius)?;
        let bound = parse_bound(bound)?;
        Some(Self {
            client: std::str::from_utf8(client).ok()?.to_owned(),
            radius_km,
            bound,
        })
    }

    /// The client whose location is the centre.
    pub fn client(&self) -> &str {
        &self.client
    }

    /// The search radius in kilometres.
    pub fn radius_km(&self) -> f64 {
        self.radius_km
    }

    /// The most results to return.
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Appends the command line, `\n` included. The radius is written as
    /// the shortest decimal that reads back as the same number.
    pub fn write(&self, out: &mut impl BufMut) {
        let line = Self::line(
            &self.client,
            &self.radius_km.to_string(),
            &self.bound.to_string(),
        );
        out.put_slice(line.as_bytes());
    }

    /// `WHATSAT client radius bound\n` from operands as given, unchecked.
    pub fn line(client: &str, radius_km: &str, bound: &str) -> String {
        format!("WHATSAT {client} {radius_km} {bound}\n")
    }

    /// Appends the reply: the stored `AT` line, then `places_json` with
    /// runs of newlines collapsed to one and trailing newlines removed,
    /// then a blank line.
    pub fn write_reply(out: &mut impl BufMut, location: &Location, places_json: &[u8]) {
        out.put_slice(location.at_line());
        out.put_u8(b'\n');
        squeeze_newlines(places_json, out);
        out.put_slice(b"\n\n");
    }
}

/// Copies `json` into `out`, collapsing every run of newlines to one and
/// dropping newlines at the end.
fn squeeze_newlines(json: &[u8], out: &mut impl BufMut) {
    let trimmed_len = json.len() - json.iter().rev().take_while(|&&b| b == b'\n').count();
    let mut previous_newline = false;
    for &b in &json[..trimmed_len] {
        if b == b'\n' && previous_newline {
            continue;
        }
        previous_newline = b == b'\n';
        out.put_u8(b);
    }
}

/// A positive decimal number of kilometres, at most [`MAX_RADIUS_KM`]:
/// digits with an optional fraction (`10`, `23.7`, `0.5`).
fn parse_radius(text: &[u8]) -> Option<f64> {
    let (int, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    let value: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    (value > 0.0 && value <= MAX_RADIUS_KM).then_some(value)
}

/// An integer from 1 to [`MAX_BOUND`], plain digits.
fn parse_bound(text: &[u8]) -> Option<usize> {
    if text.is_empty() || text.len() > 3 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value: usize = std::str::from_utf8(text).ok()?.parse().ok()?;
    (1..=MAX_BOUND).contains(&value).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_accepts_decimals_up_to_fifty() {
        assert_eq!(parse_radius(b"10"), Some(10.0));
        assert_eq!(parse_radius(b"23.7"), Some(23.7));
        assert_eq!(parse_radius(b"50"), Some(50.0));
        assert_eq!(parse_radius(b"50.0"), Some(50.0));
        assert_eq!(parse_radius(b"0.001"), Some(0.001));
        for bad in [
            &b"0"[..],
            b"0.0",
            b"50.01",
            b"51",
            b"-1",
            b"+1",
            b".5",
            b"5.",
            b"1e1",
            b"x",
        ] {
            assert_eq!(
                parse_radius(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn bound_is_one_to_twenty() {
        assert_eq!(parse_bound(b"1"), Some(1));
        assert_eq!(parse_bound(b"20"), Some(20));
        assert_eq!(parse_bound(b"05"), Some(5));
        for bad in [
            &b"0"[..],
            b"21",
            b"-1",
            b"2.0",
            b"",
            b"1000000000000000000000",
        ] {
            assert_eq!(parse_bound(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn newline_runs_collapse_and_trailing_ones_go() {
        let mut out = Vec::new();
        squeeze_newlines(b"{\n\n\n  \"a\" : 1\n}\n\n", &mut out);
        assert_eq!(&out[..], b"{\n  \"a\" : 1\n}");
    }

    #[test]
    fn a_tiny_radius_is_written_without_an_exponent() {
        let cmd = WhatsAt {
            client: "c".into(),
            radius_km: 1e-7,
            bound: 3,
        };
        let mut out = Vec::new();
        cmd.write(&mut out);
        assert_eq!(out, b"WHATSAT c 0.0000001 3\n");
    }
}
