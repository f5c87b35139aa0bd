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

/// Longest `AT` difference [`push_diff`] writes for a parsed client time:
/// a sign, at most one digit more than a client time's seconds (the clock's
/// own seconds are far fewer), a dot and nine fraction digits.
pub const MAX_DIFF_LEN: usize = 1 + MAX_SECOND_DIGITS + 1 + 1 + MAX_FRACTION_DIGITS;

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
    // Nineteen digits fit a u64, so almost every time is read without
    // 128-bit arithmetic per digit.
    let (head, tail) = secs.split_at(secs.len().min(19));
    let mut whole = i128::from(head.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')));
    for &d in tail {
        whole = whole * 10 + i128::from(d - b'0');
    }
    let mut nanos = whole * NANOS;
    if let Some(frac) = frac {
        nanos += i128::from(fraction_nanos(frac)?);
    }
    Some(nanos)
}

/// One to nine fraction digits as nanoseconds.
fn fraction_nanos(frac: &[u8]) -> Option<u32> {
    if frac.is_empty() || frac.len() > MAX_FRACTION_DIGITS || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut part = frac.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    for _ in frac.len()..MAX_FRACTION_DIGITS {
        part *= 10;
    }
    Some(part)
}

/// Reads a time as [`format_posix`] writes it: an optional `-`, seconds,
/// and an optional fraction of at most nine digits. Any `i128` of
/// nanoseconds reads back; `None` for anything else.
pub fn parse_posix_signed(text: &[u8]) -> Option<i128> {
    let (negative, text) = match text.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (secs, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    if secs.is_empty() || !secs.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs: u128 = std::str::from_utf8(secs).ok()?.parse().ok()?;
    let part = match frac {
        Some(frac) => fraction_nanos(frac)?,
        None => 0,
    };
    let magnitude = secs
        .checked_mul(NANOS as u128)?
        .checked_add(u128::from(part))?;
    if negative {
        0i128.checked_sub_unsigned(magnitude)
    } else {
        i128::try_from(magnitude).ok()
    }
}

/// The system clock now, in nanoseconds since the epoch (negative before 1970).
pub fn now_nanos() -> i128 {
    nanos_since_epoch(SystemTime::now())
}

/// `time` in nanoseconds since the epoch (negative before 1970).
pub fn nanos_since_epoch(time: SystemTime) -> i128 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// Formats a difference in nanoseconds as `+S.NNNNNNNNN` or `-S.NNNNNNNNN`.
/// Zero is `+0.000000000`.
pub fn format_diff(diff_nanos: i128) -> String {
    let mut out = Vec::with_capacity(24);
    push_diff(&mut out, diff_nanos);
    String::from_utf8(out).expect("digits, a sign and a dot are ASCII")
}

/// Appends `diff_nanos` formatted as [`format_diff`] does.
pub fn push_diff(out: &mut Vec<u8>, diff_nanos: i128) {
    out.push(if diff_nanos < 0 { b'-' } else { b'+' });
    let magnitude = diff_nanos.unsigned_abs();
    let nanos = NANOS as u128;
    out.extend_from_slice(itoa::Buffer::new().format(magnitude / nanos).as_bytes());
    out.push(b'.');
    let mut fraction = [b'0'; MAX_FRACTION_DIGITS];
    let mut rest = (magnitude % nanos) as u32;
    for digit in fraction.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.extend_from_slice(&fraction);
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
    fn twenty_digit_seconds_parse_exactly() {
        assert_eq!(
            parse_posix_nanos(b"99999999999999999999.5"),
            Some(99_999_999_999_999_999_999_500_000_000)
        );
        assert_eq!(
            parse_posix_nanos(b"12345678901234567890"),
            Some(12_345_678_901_234_567_890_000_000_000)
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
    fn signed_posix_times_read_back_over_the_whole_range() {
        for nanos in [0, -1, 1_520_023_934_918_963_997, i128::MIN, i128::MAX] {
            assert_eq!(
                parse_posix_signed(format_posix(nanos).as_bytes()),
                Some(nanos)
            );
        }
        assert_eq!(parse_posix_signed(b"11"), Some(11_000_000_000));
        assert_eq!(parse_posix_signed(b"-0.5"), Some(-500_000_000));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b"1.",
            b"1.0000000001",
            b"--1",
            b"170141183460469231731687303715.884105728",
        ] {
            assert_eq!(parse_posix_signed(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_posix_time_reads_back(nanos: i128) {
            proptest::prop_assert_eq!(parse_posix_signed(format_posix(nanos).as_bytes()), Some(nanos));
        }
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
