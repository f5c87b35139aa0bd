//! `MEDAL <team> <medal> <auth> [<key>]`: Cacofonix awards a medal. The
//! reply is `OK TALLY ...`, `DENIED MEDAL ...` or `FAILED MEDAL ...`
//! ([`crate::reply::Reply`]). With an idempotency key ([`IdemKey`]), a
//! repeat of a write the server already holds is answered without applying
//! it again.

use bytes::BufMut;

use super::auth::Auth;
use super::name::Name;
use super::put_fields;
use crate::idem::IdemKey;
use crate::medal::Medal;

/// A parsed MEDAL. Its `Debug` hides the id ([`Auth`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MedalWrite {
    /// The team as the client spelled it.
    pub team: Name,
    /// Which medal.
    pub medal: Medal,
    /// The id offered.
    pub auth: Auth,
    /// The client's idempotency key, if it gave one.
    pub key: Option<IdemKey>,
}

impl MedalWrite {
    /// The verb.
    pub const VERB: &[u8] = b"MEDAL";

    /// Which field of the line (the verb being field 0) is the id.
    pub const AUTH_FIELD: usize = 3;

    /// Three operands: team, medal (gold, silver or bronze, any case), auth;
    /// then an optional idempotency key.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let team = Name::parse(it.next()?)?;
        let medal = Medal::parse(std::str::from_utf8(it.next()?).ok()?)?;
        let auth = Auth::new(bytes::Bytes::copy_from_slice(it.next()?))?;
        let key = match it.next() {
            Some(key) => Some(IdemKey::from_bytes(key)?),
            None => None,
        };
        it.next().is_none().then_some(Self {
            team,
            medal,
            auth,
            key,
        })
    }

    /// Appends the command line, `\n` included.
    pub fn write(&self, out: &mut impl BufMut) {
        let key = self.key.as_ref().map(|k| k.as_str().as_bytes());
        put_fields(
            out,
            [
                Self::VERB,
                self.team.as_str().as_bytes(),
                self.medal.as_str().as_bytes(),
                self.auth.expose(),
            ]
            .into_iter()
            .chain(key),
        );
    }
}
