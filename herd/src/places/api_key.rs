//! The Google Places API key, in a newtype that never prints itself: its
//! `Debug` and `Display` both write `<redacted>`, so a key can sit inside
//! structs that are logged or debug-printed without leaking.

use std::fmt;

/// What `Debug` and `Display` print instead of the key.
const REDACTED: &str = "<redacted>";

/// A Google API key. Only [`ApiKey::expose`] reveals it, at the one place a
/// request is built.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps `key` after trimming surrounding white space. `None` when the
    /// key is empty or holds a character that cannot travel in a URL query or
    /// an HTTP header (anything but printable ASCII), which would otherwise
    /// fail on every request instead of once at start-up.
    pub fn new(key: &str) -> Option<Self> {
        let key = key.trim();
        let usable = !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic());
        usable.then(|| Self(key.to_owned()))
    }

    /// The key itself, for the request that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced by `<redacted>`, for
    /// messages that may echo what was sent (an upstream's error text).
    pub fn scrub(&self, text: &str) -> String {
        text.replace(&self.0, REDACTED)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_never_prints() {
        let key = ApiKey::new(" AIzaSECRET123 ").expect("usable key");
        assert_eq!(key.expose(), "AIzaSECRET123");
        assert_eq!(format!("{key:?}"), "<redacted>");
        assert_eq!(format!("{key}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&key)), "Some(<redacted>)");
    }

    #[test]
    fn unusable_keys_are_refused() {
        for bad in ["", "   ", "has space", "tab\there", "é", "line\nbreak"] {
            assert!(ApiKey::new(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn scrub_removes_every_copy() {
        let key = ApiKey::new("K3Y").expect("usable key");
        assert_eq!(
            key.scrub("bad K3Y; key=K3Y"),
            "bad <redacted>; key=<redacted>"
        );
    }
}
