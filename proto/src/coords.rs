//! ISO 6709 decimal-degree coordinates as IAMAT carries them:
//! a signed latitude immediately followed by a signed longitude,
//! e.g. `+34.068930-118.445127` or `+12-118`.

/// A parsed position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coords {
    /// Degrees north, within ±90.
    pub lat: f64,
    /// Degrees east, within ±180.
    pub lng: f64,
}

impl Coords {
    /// Parses `±DD[.D+]±DDD[.D+]`. Both signs are required, as ISO 6709 asks,
    /// and the values must lie within ±90 and ±180.
    pub fn parse(text: &[u8]) -> Option<Self> {
        let (lat, rest) = signed_decimal(text)?;
        let (lng, rest) = signed_decimal(rest)?;
        if !rest.is_empty() || !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) {
            return None;
        }
        Some(Self { lat, lng })
    }
}

/// Reads one `±digits[.digits]` from the front of `text`.
fn signed_decimal(text: &[u8]) -> Option<(f64, &[u8])> {
    let (&sign, rest) = text.split_first()?;
    if sign != b'+' && sign != b'-' {
        return None;
    }
    let int_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if int_len == 0 {
        return None;
    }
    let mut end = int_len;
    if rest.get(end) == Some(&b'.') {
        let frac_len = rest[end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if frac_len == 0 {
            return None;
        }
        end += 1 + frac_len;
    }
    let number = match exact_decimal(&rest[..end], int_len) {
        Some(magnitude) if sign == b'-' => -magnitude,
        Some(magnitude) => magnitude,
        // The slice is ASCII digits with at most one dot, so it is valid
        // UTF-8 and a valid float literal.
        None => std::str::from_utf8(&text[..=end]).ok()?.parse().ok()?,
    };
    Some((number, &rest[end..]))
}

/// Powers of ten that `f64` holds exactly.
const EXACT_POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// `digits[.digits]` (the dot at `int_len`, if any) as the nearest `f64`,
/// when that is one exact division: at most 15 digits make an integer
/// below 2^53, and dividing it by an exact power of ten rounds once,
/// correctly, so the result is the one `str::parse` gives. `None` for
/// longer numbers.
fn exact_decimal(number: &[u8], int_len: usize) -> Option<f64> {
    let frac = number.get(int_len + 1..).unwrap_or_default();
    if int_len + frac.len() > 15 {
        return None;
    }
    let mantissa = number[..int_len]
        .iter()
        .chain(frac)
        .fold(0u64, |m, &d| m * 10 + u64::from(d - b'0'));
    Some(mantissa as f64 / EXACT_POWERS_OF_TEN[frac.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples_parse() {
        assert_eq!(
            Coords::parse(b"+34.068930-118.445127"),
            Some(Coords {
                lat: 34.06893,
                lng: -118.445127
            })
        );
        assert_eq!(
            Coords::parse(b"+12-118"),
            Some(Coords {
                lat: 12.0,
                lng: -118.0
            })
        );
        assert_eq!(
            Coords::parse(b"+37.551379+126.993287"),
            Some(Coords {
                lat: 37.551379,
                lng: 126.993287
            })
        );
        assert_eq!(
            Coords::parse(b"-90+180"),
            Some(Coords {
                lat: -90.0,
                lng: 180.0
            })
        );
    }

    proptest::proptest! {
        #[test]
        fn exact_decimals_parse_as_the_standard_library_does(
            int in "[0-9]{1,8}",
            frac in proptest::option::of("[0-9]{1,12}"),
            negative: bool,
        ) {
            let text = match &frac {
                Some(frac) => format!("{}{int}.{frac}", if negative { '-' } else { '+' }),
                None => format!("{}{int}", if negative { '-' } else { '+' }),
            };
            let expected: f64 = text.parse().unwrap();
            let (parsed, rest) = signed_decimal(text.as_bytes()).unwrap();
            proptest::prop_assert!(rest.is_empty());
            proptest::prop_assert_eq!(parsed.to_bits(), expected.to_bits(), "{}", text);
        }

        #[test]
        fn coordinates_written_in_shortest_decimal_read_back_exactly(
            lat in -90.0f64..=90.0,
            lng in -180.0f64..=180.0,
        ) {
            // `{:+}` writes the shortest decimal that reads back as the same
            // float, never in exponent notation.
            let text = format!("{lat:+}{lng:+}");
            let parsed = Coords::parse(text.as_bytes()).unwrap();
            proptest::prop_assert_eq!(parsed.lat.to_bits(), lat.to_bits(), "{}", text);
            proptest::prop_assert_eq!(parsed.lng.to_bits(), lng.to_bits(), "{}", text);
        }
    }

    #[test]
    fn malformed_or_out_of_range_coords_are_rejected() {
        for bad in [
            &b""[..],
            b"34.1-118.2",
            b"+34.1",
            b"+34.-118",
            b"+34.1-118.",
            b"+91-10",
            b"+10-180.0001",
            b"+34.1-118.2x",
            b"+34.1--118.2",
            b"++34-118",
            b"+1e2-5",
        ] {
            assert_eq!(
                Coords::parse(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
