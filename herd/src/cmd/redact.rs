//! Hiding the Cacofonix id in what gets logged.
//!
//! MEDAL carries the id as its fourth field and SETSCORE as its third. Any
//! line starting with those verbs has that field replaced by `<redacted>`
//! before it is logged, valid or not, and so does the `? ` echo of one.

use std::borrow::Cow;

use proto::fields::{fields, is_space};

/// Shown in place of the id.
const REDACTED: &[u8] = b"<redacted>";

/// `line` with any Cacofonix id field replaced; borrowed when there is none.
pub fn redact(line: &[u8]) -> Cow<'_, [u8]> {
    let (prefix, body) = match line.strip_prefix(b"? ") {
        Some(rest) => (&line[..2], rest),
        None => (&line[..0], line),
    };
    let secret_field = match fields(body).next() {
        Some(b"MEDAL") => 3,
        Some(b"SETSCORE") => 2,
        _ => return Cow::Borrowed(line),
    };
    let Some((start, end)) = field_span(body, secret_field) else {
        return Cow::Borrowed(line);
    };
    let mut out = Vec::with_capacity(line.len());
    out.extend_from_slice(prefix);
    out.extend_from_slice(&body[..start]);
    out.extend_from_slice(REDACTED);
    out.extend_from_slice(&body[end..]);
    Cow::Owned(out)
}

/// Byte range of field number `n` (from 0) of `line`.
fn field_span(line: &[u8], n: usize) -> Option<(usize, usize)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_fields_are_hidden_in_commands_and_echoes() {
        assert_eq!(
            &*redact(b"MEDAL Gaul gold s3cret"),
            b"MEDAL Gaul gold <redacted>"
        );
        assert_eq!(
            &*redact(b"? MEDAL Gaul  gold\ts3cret extra\n"),
            b"? MEDAL Gaul  gold\t<redacted> extra\n"
        );
        assert_eq!(
            &*redact(b"SETSCORE curling s3cret Gaul 1 Rome 2"),
            b"SETSCORE curling <redacted> Gaul 1 Rome 2"
        );
        assert_eq!(
            &*redact(b"  SETSCORE curling s3cret"),
            b"  SETSCORE curling <redacted>"
        );
    }

    #[test]
    fn other_lines_are_untouched() {
        for line in [&b"IAMAT a +1+1 1"[..], b"MEDAL Gaul", b"TALLY Gaul", b""] {
            assert!(matches!(redact(line), Cow::Borrowed(_)));
        }
    }
}
