//! POSIX timestamps in integer nanoseconds, and the signed `AT` time difference.
//!
//! Client times are parsed exactly (no floating point), so the difference in
//! an `AT` reply is exact to the nanosecond and never in scientific notation.

use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds per second.
const NANOS: i128 = 1_000_000_000;

/// Most fraction digits a client time may carry (nanosecond precision).
pub const MAX_FRACTION_DIGITS: usize = 9;

/// Most integer digits a client time may carry; far beyond any real clock,
/// and small enough that the arithmetic below cannot overflow.
const MAX_SECOND_DIGITS: usize = 20;

/// Parses `SECONDS[.FRACTION]`: ASCII digits, at most nine fraction digits.
/// Returns nanoseconds since the epoch, or `None` if the text is not of that form.
pub fn parse_posix_nanos(text: &[u8]) -> Option<i128> {
    let (secs, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    if secs.is_empty() || secs.len() > MAX_SECOND_DIGITS || !secs.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut nanos: i128 = 0;
    for &d in secs {
        nanos = nanos * 10 + i128::from(d - b'0');
    }
    nanos *= NANOS;
    if let Some(frac) = frac {
        if frac.is_empty()
            || frac.len() > MAX_FRACTION_DIGITS
            || !frac.iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        let mut part: i128 = 0;
        for &d in frac {
            part = part * 10 + i128::from(d - b'0');
        }
        for _ in frac.len()..MAX_FRACTION_DIGITS {
            part *= 10;
        }
        nanos += part;
    }
    Some(nanos)
}

/// The system clock now, in nanoseconds since the epoch (negative before 1970).
pub fn now_nanos() -> i128 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// Formats a difference in nanoseconds as `+S.NNNNNNNNN` or `-S.NNNNNNNNN`.
/// Zero is `+0.000000000`.
pub fn format_diff(diff_nanos: i128) -> String {
    let sign = if diff_nanos < 0 { '-' } else { '+' };
    let magnitude = diff_nanos.unsigned_abs();
    let nanos = NANOS as u128;
    format!("{sign}{}.{:09}", magnitude / nanos, magnitude % nanos)
}

/// Formats nanoseconds since the epoch as `S.NNNNNNNNN` (a leading `-`
/// before 1970).
pub fn format_posix(nanos: i128) -> String {
    let text = format_diff(nanos);
    match text.strip_prefix('+') {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_parses_exactly() {
        assert_eq!(
            parse_posix_nanos(b"1520023934.918963997"),
            Some(1_520_023_934_918_963_997)
        );
    }

    #[test]
    fn short_fractions_are_scaled() {
        assert_eq!(parse_posix_nanos(b"1.5"), Some(1_500_000_000));
        assert_eq!(parse_posix_nanos(b"7"), Some(7_000_000_000));
        assert_eq!(parse_posix_nanos(b"0.000000001"), Some(1));
    }

    #[test]
    fn malformed_times_are_rejected() {
        for bad in [
            &b""[..],
            b".5",
            b"5.",
            b"1.0000000001",
            b"-5",
            b"+5",
            b"1e9",
            b"12a",
            b"1.2.3",
            b"123456789012345678901",
        ] {
            assert_eq!(
                parse_posix_nanos(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn posix_time_has_nine_fraction_digits_and_no_plus() {
        assert_eq!(
            format_posix(1_520_023_934_918_963_997),
            "1520023934.918963997"
        );
        assert_eq!(format_posix(0), "0.000000000");
        assert_eq!(format_posix(-1), "-0.000000001");
    }

    #[test]
    fn diff_is_signed_fixed_point() {
        assert_eq!(format_diff(263_873_386), "+0.263873386");
        assert_eq!(format_diff(0), "+0.000000000");
        assert_eq!(format_diff(-1), "-0.000000001");
        assert_eq!(format_diff(-12_000_000_001), "-12.000000001");
        assert_eq!(
            format_diff(1_000_000_000_000_000_000),
            "+1000000000.000000000"
        );
    }
}
