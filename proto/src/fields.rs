//! Splitting a command line into fields.
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
}
