//! Who made a change: an *origin* is a server name plus the incarnation of
//! that server's journal, `NAME/INC`.
//!
//! Merging keeps the largest count per origin (see `state.rs`), so a server
//! that counted again from below what the herd already holds under its
//! origin would have its new increments hidden by the old, larger count. A
//! server can only continue an origin whose whole history it can prove: its
//! journal says which origin it writes under (an `IDENTITY` record, see
//! `payload.rs`), and a journal that is missing or damaged proves nothing.
//! Then the server mints a fresh incarnation, [`INCARNATION_HEX`] random
//! lower-case hex digits, and to every replica the result is simply another
//! origin: a G-counter entry of its own that no older count can hide.
//!
//! Journals of format version 1 wrote under the bare server name, which is
//! still a valid origin. Where a server is shown to people (`SCORE ... by`),
//! it is [`server_of`] its origin; the order of score stamps uses the whole
//! origin string.

use super::config::check_server_name;
use super::error::OlympicError;

/// Hex digits of a minted incarnation: 64 random bits, so two incarnations
/// of one server never meet.
pub const INCARNATION_HEX: usize = 16;

/// Most hex digits accepted in an incarnation from a journal or a peer, so
/// that a later build may mint longer ones.
pub const MAX_INCARNATION_HEX: usize = 32;

/// Separates the server name from the incarnation. Server names cannot
/// contain it (see `check_server_name`).
const SEPARATOR: char = '/';

/// A fresh origin for `server`: its name, `/`, and [`INCARNATION_HEX`]
/// random lower-case hex digits.
pub(crate) fn mint(server: &str) -> String {
    format!(
        "{server}{SEPARATOR}{:0width$x}",
        rand::random::<u64>(),
        width = INCARNATION_HEX
    )
}

pub use proto::change::server_of;

/// Checks that `origin` is a server name, optionally followed by `/` and
/// 16 to [`MAX_INCARNATION_HEX`] lower-case hex digits.
pub(crate) fn check_origin(origin: &str) -> Result<(), OlympicError> {
    let bad = || OlympicError::BadOrigin(origin.to_owned());
    let Some((name, incarnation)) = origin.split_once(SEPARATOR) else {
        return check_server_name(origin).map_err(|_| bad());
    };
    check_server_name(name).map_err(|_| bad())?;
    let digits_ok = incarnation
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if (INCARNATION_HEX..=MAX_INCARNATION_HEX).contains(&incarnation.len()) && digits_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// True if `origin` is a valid origin of server `server`.
pub(crate) fn belongs_to(origin: &str, server: &str) -> bool {
    check_origin(origin).is_ok() && server_of(origin) == server
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_origins_are_the_name_and_64_random_bits_in_hex() {
        let a = mint("Goloman");
        let b = mint("Goloman");
        assert_ne!(a, b);
        let (name, inc) = a.split_once('/').unwrap();
        assert_eq!(name, "Goloman");
        assert_eq!(inc.len(), INCARNATION_HEX);
        assert!(belongs_to(&a, "Goloman"));
        assert!(!belongs_to(&a, "Hands"));
        assert_eq!(server_of(&a), "Goloman");
        assert_eq!(server_of("Goloman"), "Goloman");
    }

    #[test]
    fn bare_names_are_origins_of_version_1_journals() {
        assert!(check_origin("Goloman").is_ok());
        assert!(belongs_to("Goloman", "Goloman"));
    }

    #[test]
    fn malformed_origins_are_refused() {
        let long = format!("A/{}", "a".repeat(MAX_INCARNATION_HEX + 1));
        for bad in [
            "",
            "/0123456789abcdef",
            "A/",
            "A/0123456789abcde",
            "A/0123456789ABCDEF",
            "A/0123456789abcdeg",
            "A/0123456789abcdef/0123456789abcdef",
            "a b/0123456789abcdef",
            ".",
            &long,
        ] {
            assert!(check_origin(bad).is_err(), "{bad:?}");
        }
        assert!(check_origin("A/0123456789abcdef").is_ok());
    }
}
