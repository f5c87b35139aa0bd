//! Read-your-writes tokens: the `Olympic-Version` header and the
//! `olympic_version` cookie. A token is a version vector (for every origin
//! of the Olympic state, the highest operation number applied, as the
//! herd's `VERSION` reply gives it), sent to clients as base64url text
//! (no padding) of `origin seq` pairs, one per line. Clients treat it as
//! opaque.
//!
//! A replica *covers* a token when its vector is at least the token's for
//! every origin: it then holds every write the token was made after.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The header a token travels in, both ways.
pub const HEADER: &str = "Olympic-Version";
/// The cookie a token travels in, for browsers.
pub const COOKIE: &str = "olympic_version";
/// Longest token accepted, in bytes: a herd of dozens of origins fits.
pub const MAX_TOKEN_LEN: usize = 4096;

/// A version vector: origin to highest operation number applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vector(pub BTreeMap<String, u64>);

/// A token that is not one the facade made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the Olympic-Version token is malformed")]
pub struct BadToken;

impl Vector {
    /// The vector of a `VERSION` reply.
    pub fn from_pairs(pairs: Vec<(String, u64)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    /// True if this vector holds everything `token` does.
    pub fn covers(&self, token: &Vector) -> bool {
        token
            .0
            .iter()
            .all(|(origin, seq)| self.0.get(origin).copied().unwrap_or(0) >= *seq)
    }

    /// The pointwise maximum of both: covered only where both are.
    pub fn merged(mut self, other: Option<&Vector>) -> Vector {
        for (origin, seq) in other.map(|v| &v.0).into_iter().flatten() {
            let held = self.0.entry(origin.clone()).or_default();
            *held = (*held).max(*seq);
        }
        self
    }

    /// The token text.
    pub fn encode(&self) -> String {
        let text: String = self
            .0
            .iter()
            .map(|(origin, seq)| format!("{origin} {seq}\n"))
            .collect();
        URL_SAFE_NO_PAD.encode(text)
    }

    /// Reads a token made by [`Vector::encode`].
    pub fn decode(token: &str) -> Result<Vector, BadToken> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(BadToken);
        }
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| BadToken)?;
        let text = String::from_utf8(bytes).map_err(|_| BadToken)?;
        let mut vector = BTreeMap::new();
        for line in text.lines() {
            let (origin, seq) = line.split_once(' ').ok_or(BadToken)?;
            let seq = seq.parse().map_err(|_| BadToken)?;
            if !proto::change::is_token(origin) {
                return Err(BadToken);
            }
            vector.insert(origin.to_owned(), seq);
        }
        Ok(Vector(vector))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(pairs: &[(&str, u64)]) -> Vector {
        Vector::from_pairs(pairs.iter().map(|(o, s)| ((*o).to_owned(), *s)).collect())
    }

    #[test]
    fn tokens_survive_their_text_and_cover_pointwise() {
        let a = vector(&[("Goloman/3f9c0d2e8a71b645", 7), ("Welsh", 2)]);
        let text = a.encode();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(Vector::decode(&text), Ok(a.clone()));
        assert!(a.covers(&vector(&[("Welsh", 2)])));
        assert!(!a.covers(&vector(&[("Welsh", 3)])));
        assert!(!a.covers(&vector(&[("Hands", 1)])));
        assert!(a.covers(&Vector::default()));
        let m = a.merged(Some(&vector(&[("Welsh", 5), ("Hands", 1)])));
        assert_eq!(
            m,
            vector(&[("Goloman/3f9c0d2e8a71b645", 7), ("Hands", 1), ("Welsh", 5)])
        );
        for bad in ["%%%", "QQ", &"A".repeat(MAX_TOKEN_LEN + 1)] {
            assert_eq!(Vector::decode(bad), Err(BadToken), "{bad:?}");
        }
    }
}
