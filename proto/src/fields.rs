//! Splitting a line into fields, and reading the fields every message
//! shares: names, counts and signed numbers.
//!
//! The protocol's white space is exactly space, tab, carriage return, newline,
//! form feed and vertical tab. Rust's `split_ascii_whitespace` leaves out the
//! vertical tab, so the set is spelled out here once.

/// True for the six protocol white-space bytes.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

/// The non-empty fields of `line`, separated by runs of protocol white space.
pub fn fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| is_space(b)).filter(|f| !f.is_empty())
}

/// Byte range of field number `n` (from 0) of `line`.
pub fn field_span(line: &[u8], n: usize) -> Option<(usize, usize)> {
    let mut i = 0;
    let mut index = 0;
    while i < line.len() {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i == line.len() {
            break;
        }
        let start = i;
        while i < line.len() && !is_space(line[i]) {
            i += 1;
        }
        if index == n {
            return Some((start, i));
        }
        index += 1;
    }
    None
}

/// What follows the first `n` fields of `line`, without the white space
/// around it: the free text at the end of a line (a reason, some JSON).
/// `None` when the line has fewer than `n` fields.
pub fn rest_after(line: &[u8], n: usize) -> Option<&[u8]> {
    let end = match n {
        0 => 0,
        n => field_span(line, n - 1)?.1,
    };
    Some(trim(&line[end..]))
}

/// `text` without protocol white space at either end.
pub fn trim(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |i| i + 1);
    &text[start..end]
}

/// True if `text` is exactly one field: not empty, and no protocol white
/// space inside, so writing it into a line cannot split or end the line.
pub fn is_field(text: &[u8]) -> bool {
    !text.is_empty() && !text.iter().any(|&b| is_space(b))
}

/// A field as owned text; `None` unless it is UTF-8.
pub fn text(field: &[u8]) -> Option<String> {
    std::str::from_utf8(field).ok().map(str::to_owned)
}

/// Plain decimal digits (no sign) as a `u64`.
pub fn unsigned(field: &[u8]) -> Option<u64> {
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// Decimal digits with an optional leading `-` as an `i128`.
pub fn signed(field: &[u8]) -> Option<i128> {
    let digits = field.strip_prefix(b"-").unwrap_or(field);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// Decimal digits with an optional leading `-` as an `i64`.
pub fn signed_i64(field: &[u8]) -> Option<i64> {
    i64::try_from(signed(field)?).ok()
}

/// Appends a decimal integer.
pub fn put_int(out: &mut impl bytes::BufMut, n: impl itoa::Integer) {
    out.put_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_space_separates_fields() {
        let line = b" \t\x0bIAMAT\x0c\r a\n\n b \x0b";
        let got: Vec<&[u8]> = fields(line).collect();
        assert_eq!(got, [&b"IAMAT"[..], b"a", b"b"]);
    }

    #[test]
    fn blank_line_has_no_fields() {
        assert_eq!(fields(b" \t\r").count(), 0);
    }

    #[test]
    fn one_field_has_no_protocol_space() {
        assert!(is_field(b"Gaul"));
        assert!(
            is_field("Ægypt\u{a0}".as_bytes()),
            "only protocol white space splits"
        );
        for bad in [&b""[..], b"a b", b"a\x0bb", b"a\n"] {
            assert!(!is_field(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_rest_of_a_line_is_what_follows_its_first_fields() {
        let line = b"FAILED  SETSCORE curling\tdisk  full \r";
        assert_eq!(field_span(line, 1), Some((8, 16)));
        assert_eq!(rest_after(line, 3), Some(&b"disk  full"[..]));
        assert_eq!(rest_after(line, 0), Some(&line[..line.len() - 2]));
        assert_eq!(rest_after(b"FAILED SETSCORE curling", 3), Some(&b""[..]));
        assert_eq!(rest_after(b"FAILED SETSCORE", 3), None);
        assert_eq!(trim(b" \t "), b"");
    }

    #[test]
    fn numbers_are_plain_digits_with_an_optional_minus() {
        assert_eq!(unsigned(b"0042"), Some(42));
        assert_eq!(signed(b"-7"), Some(-7));
        assert_eq!(signed_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [&b""[..], b"-", b"+1", b"1.5", b"x", b"- 1"] {
            assert_eq!(signed(bad), None, "{bad:?}");
        }
        assert_eq!(unsigned(b"-1"), None);
        assert_eq!(unsigned(b"18446744073709551616"), None);
        assert_eq!(signed_i64(b"9223372036854775808"), None);
    }
}
