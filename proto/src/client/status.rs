//! `STATUS`: the server's health on one line. The reply is `STATUS` and
//! compact JSON ([`crate::reply::status`]).

use bytes::BufMut;

use super::put_fields;

/// A parsed STATUS; it takes no operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusQuery;

impl StatusQuery {
    /// The verb, which is also the first field of the reply.
    pub const VERB: &[u8] = b"STATUS";

    /// No operands.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        it.next().is_none().then_some(StatusQuery)
    }

    /// Appends the command line, `\n` included.
    pub fn write(self, out: &mut impl BufMut) {
        put_fields(out, [Self::VERB]);
    }
}
