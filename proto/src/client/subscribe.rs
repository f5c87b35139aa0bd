//! `SUBSCRIBE <event-or-team> [...]`: stream every change of those events
//! and teams on this connection, wherever in the herd it was made. The
//! reply is `SUBSCRIBED <name> ...`; `UPDATE` lines follow
//! ([`crate::reply::Reply`]).

use bytes::BufMut;

use super::name::Name;
use super::put_fields;

/// A parsed SUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// Names as the client spelled them, at least one.
    names: Vec<Name>,
}

impl Subscribe {
    /// The verb.
    pub const VERB: &[u8] = b"SUBSCRIBE";

    /// A subscription to `names`; `None` if there are none.
    pub fn new(names: Vec<Name>) -> Option<Self> {
        (!names.is_empty()).then_some(Self { names })
    }

    /// One or more names.
    pub fn parse<'a>(it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        Self::new(it.map(Name::parse).collect::<Option<Vec<_>>>()?)
    }

    /// The names as the client spelled them.
    pub fn names(&self) -> &[Name] {
        &self.names
    }

    /// Appends the command line, `\n` included.
    pub fn write(&self, out: &mut impl BufMut) {
        let names = self.names.iter().map(|n| n.as_str().as_bytes());
        put_fields(out, std::iter::once(Self::VERB).chain(names));
    }
}
