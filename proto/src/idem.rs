//! Idempotency keys: the `Idempotency-Key` a client gives a write so that
//! sending it again applies it once. The key travels with the write on the
//! client port (`MEDAL ... <key>`, `SETSCORE ... <key>`) and with the
//! change it made on peer links and in journals (`... KEY <key> <at_ns>`),
//! so every replica can recognise a repeat.

use std::fmt;

/// Longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 128;

/// A client's idempotency key: 1 to [`MAX_KEY_LEN`] bytes of visible ASCII
/// (`!` to `~`), so it is one protocol field and safe in any header, query
/// string or log.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdemKey(String);

impl IdemKey {
    /// The key, if `text` is one.
    pub fn new(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.len() <= MAX_KEY_LEN
            && text.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(text.to_owned()))
    }

    /// Like [`IdemKey::new`], from raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Self::new(std::str::from_utf8(bytes).ok()?)
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdemKey({})", self.0)
    }
}

impl fmt::Display for IdemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The key a change was made under, and when it was first used (signed
/// nanoseconds since the epoch on the clock of the server that applied it):
/// replicas forget keys past their window by this time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Keyed {
    /// The client's key.
    pub key: IdemKey,
    /// When the write was made.
    pub at_ns: i128,
    /// For a medal, the team's gold, silver and bronze counts the write
    /// answered: every replica answers a repeat of the key with them.
    /// `None` for a score (its change is its answer) and for keyed medal
    /// lines written without it.
    pub first: Option<[u64; 3]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_field_of_visible_ascii() {
        assert!(IdemKey::new("8e03978e-40d5-43e8-bc93-6894a57f9324").is_some());
        for bad in ["", "a b", "a\nb", "é", &"k".repeat(MAX_KEY_LEN + 1)] {
            assert!(IdemKey::new(bad).is_none(), "{bad:?}");
        }
        assert!(IdemKey::new(&"k".repeat(MAX_KEY_LEN)).is_some());
    }
}
