//! What a handshake tag proves, and how it is computed.
//!
//! A tag is HMAC-SHA256 under the herd's [`LinkKey`] over, each prefixed by
//! its length as a big-endian `u32`:
//!
//! ```text
//! "herd-link-v1", "dial" | "accept", dialer name, acceptor name, dialer nonce, acceptor nonce
//! ```
//!
//! Fresh nonces from both ends make every handshake's tags unique, so a
//! recorded one cannot be replayed. The direction word means the acceptor's
//! tag is never a valid dialer tag, so echoing it back (reflection) fails.
//! The names tie a tag to one pair of servers, and the length prefixes keep
//! `("AB", "")` from meaning the same as `("A", "B")`. Tags are compared with
//! `verify_slice`, in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::key::LinkKey;
use proto::peer::{Nonce, Tag};

/// HMAC-SHA256.
type HmacSha256 = Hmac<Sha256>;

/// Names the protocol inside every tag, so a tag from another use of the same
/// key (or a later version of this handshake) never verifies here.
const LABEL: &[u8] = b"herd-link-v1";

/// Which end a tag speaks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role {
    Dialer,
    Acceptor,
}

/// The public inputs both tags cover.
pub(crate) struct Transcript<'a> {
    pub(crate) dialer: &'a str,
    pub(crate) acceptor: &'a str,
    pub(crate) dialer_nonce: Nonce,
    pub(crate) acceptor_nonce: Nonce,
}

impl Transcript<'_> {
    /// The MAC state for `role`'s tag, ready to finalise or verify.
    fn mac(&self, key: &LinkKey, role: Role) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(key.expose()).expect("HMAC takes a key of any length");
        let role: &[u8] = match role {
            Role::Dialer => b"dial",
            Role::Acceptor => b"accept",
        };
        for part in [
            LABEL,
            role,
            self.dialer.as_bytes(),
            self.acceptor.as_bytes(),
            &self.dialer_nonce.0,
            &self.acceptor_nonce.0,
        ] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            mac.update(&len.to_be_bytes());
            mac.update(part);
        }
        mac
    }

    /// `role`'s tag.
    pub(crate) fn tag(&self, key: &LinkKey, role: Role) -> Tag {
        Tag(self.mac(key, role).finalize().into_bytes().into())
    }

    /// True when `tag` is `role`'s tag; compared in constant time.
    pub(crate) fn verifies(&self, key: &LinkKey, role: Role, tag: &Tag) -> bool {
        self.mac(key, role).verify_slice(&tag.0).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> LinkKey {
        LinkKey::new(s.as_bytes()).unwrap()
    }

    #[test]
    fn tags_bind_direction_names_and_nonces() {
        let k = key("k");
        let (n1, n2) = (Nonce([1; 16]), Nonce([2; 16]));
        let t = |d, a, nd, na, role| {
            Transcript {
                dialer: d,
                acceptor: a,
                dialer_nonce: nd,
                acceptor_nonce: na,
            }
            .tag(&k, role)
        };
        let base = t("A", "B", n1, n2, Role::Dialer);
        assert_ne!(base, t("A", "B", n1, n2, Role::Acceptor));
        assert_ne!(base, t("B", "A", n1, n2, Role::Dialer));
        assert_ne!(base, t("A", "B", n2, n1, Role::Dialer));
        assert_ne!(base, t("AB", "", n1, n2, Role::Dialer));
        assert_ne!(
            base,
            Transcript {
                dialer: "A",
                acceptor: "B",
                dialer_nonce: n1,
                acceptor_nonce: n2,
            }
            .tag(&key("other"), Role::Dialer)
        );
    }

    #[test]
    fn a_tag_verifies_only_for_its_own_role_and_key() {
        let transcript = Transcript {
            dialer: "A",
            acceptor: "B",
            dialer_nonce: Nonce([1; 16]),
            acceptor_nonce: Nonce([2; 16]),
        };
        let tag = transcript.tag(&key("k"), Role::Acceptor);
        assert!(transcript.verifies(&key("k"), Role::Acceptor, &tag));
        assert!(!transcript.verifies(&key("k"), Role::Dialer, &tag));
        assert!(!transcript.verifies(&key("j"), Role::Acceptor, &tag));
    }
}
