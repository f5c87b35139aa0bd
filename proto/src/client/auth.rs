//! The Cacofonix id, as `MEDAL` and `SETSCORE` carry it: one field that is
//! never shown. [`redact`] hides it in any line that is logged.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

use super::medal::MedalWrite;
use super::set_score::SetScoreWrite;
use crate::fields::{field_span, fields, is_field};

/// Shown in place of the id.
const REDACTED: &[u8] = b"<redacted>";

/// A Cacofonix id offered in a write. Its `Debug` never shows the bytes, so
/// it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Auth(Bytes);

impl Auth {
    /// An id that is one field (not empty, no protocol white space); `None`
    /// otherwise, since it could not travel as one.
    pub fn new(id: impl Into<Bytes>) -> Option<Self> {
        let id = id.into();
        is_field(&id).then_some(Self(id))
    }

    /// The id itself, to check it or to write it into its command.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Auth(<redacted>)")
    }
}

/// `line` with any Cacofonix id field replaced by `<redacted>`; borrowed
/// when there is none. Every line starting with `MEDAL` or `SETSCORE` is
/// redacted, valid or not, and so is the `? ` echo of one.
pub fn redact(line: &[u8]) -> Cow<'_, [u8]> {
    let (prefix, body) = match line.strip_prefix(b"? ") {
        Some(rest) => (&line[..2], rest),
        None => (&line[..0], line),
    };
    let secret_field = match fields(body).next() {
        Some(MedalWrite::VERB) => MedalWrite::AUTH_FIELD,
        Some(SetScoreWrite::VERB) => SetScoreWrite::AUTH_FIELD,
        Some(super::raffle::RaffleCommand::DRAW) => super::raffle::RaffleCommand::AUTH_FIELD,
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

    #[test]
    fn an_id_is_one_field_and_never_shown() {
        assert!(Auth::new(&b"a b"[..]).is_none());
        assert!(Auth::new(&b""[..]).is_none());
        let id = Auth::new(&b"s3cret"[..]).unwrap();
        assert_eq!(id.expose(), b"s3cret");
        assert!(!format!("{id:?}").contains("s3cret"));
    }
}
