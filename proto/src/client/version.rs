//! `VERSION`: which operations of the Olympic state this server has
//! applied. The reply is `VERSION <origin> <seq> [<origin> <seq> ...]`
//! ([`Version`]): for every origin, the highest operation number seen from
//! it. A client that remembers the reply after a write can later ask any
//! replica for `VERSION` and know whether that replica holds the write
//! (read-your-writes across front ends).

use bytes::BufMut;

use super::put_fields;
use crate::change::is_token;
use crate::fields::{put_int, text, unsigned};

/// A parsed VERSION; it takes no operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionQuery;

impl VersionQuery {
    /// The verb, which is also the first field of the reply.
    pub const VERB: &[u8] = b"VERSION";

    /// No operands.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        it.next().is_none().then_some(VersionQuery)
    }

    /// Appends the command line, `\n` included.
    pub fn write(self, out: &mut impl BufMut) {
        put_fields(out, [Self::VERB]);
    }
}

/// A version vector: per origin, the highest operation number applied,
/// in origin order. The body of the `VERSION` reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version(pub Vec<(String, u64)>);

impl Version {
    /// Reads the fields after the verb: `origin seq` pairs.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let mut pairs = Vec::new();
        while let Some(origin) = it.next() {
            let origin = text(origin)?;
            let seq = unsigned(it.next()?)?;
            is_token(&origin).then_some(())?;
            pairs.push((origin, seq));
        }
        Some(Self(pairs))
    }

    /// Appends `VERSION` and the pairs, without a terminator.
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(VersionQuery::VERB);
        for (origin, seq) in &self.0 {
            out.put_u8(b' ');
            out.put_slice(origin.as_bytes());
            out.put_u8(b' ');
            put_int(out, *seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::fields;

    #[test]
    fn the_reply_lists_origin_and_number_pairs() {
        let version = Version(vec![("Goloman/3f9c".into(), 7), ("Hands".into(), 0)]);
        let mut out = Vec::new();
        version.write(&mut out);
        assert_eq!(out, b"VERSION Goloman/3f9c 7 Hands 0");
        assert_eq!(Version::parse(fields(&out).skip(1)), Some(version));
        assert_eq!(Version::parse(fields(b"A")), None);
        assert_eq!(Version::parse(fields(b"A x")), None);
        assert_eq!(Version::parse(fields(b"")), Some(Version::default()));
    }
}
