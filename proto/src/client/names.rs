//! `TEAMS` and `EVENTS`: the configured names, so that a client (the REST
//! facade) can tell an unknown name from a malformed request. The reply is
//! the verb and the names, in configured order.

use bytes::BufMut;

use super::{put_fields, put_words};

/// Which list to give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// `TEAMS`
    Teams,
    /// `EVENTS`
    Events,
}

impl Names {
    /// The verb of `TEAMS`.
    pub const TEAMS: &[u8] = b"TEAMS";
    /// The verb of `EVENTS`.
    pub const EVENTS: &[u8] = b"EVENTS";

    /// The verb, which is also the first field of the reply.
    pub fn verb(self) -> &'static [u8] {
        match self {
            Names::Teams => Self::TEAMS,
            Names::Events => Self::EVENTS,
        }
    }

    /// The list named by `verb`, if it names one.
    pub fn of_verb(verb: &[u8]) -> Option<Self> {
        [Names::Teams, Names::Events]
            .into_iter()
            .find(|names| names.verb() == verb)
    }

    /// No operands.
    pub fn parse<'a>(self, mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        it.next().is_none().then_some(self)
    }

    /// Appends the command line, `\n` included.
    pub fn write(self, out: &mut impl BufMut) {
        put_fields(out, [self.verb()]);
    }

    /// Appends the reply, `TEAMS <team> ...` or `EVENTS <event> ...`,
    /// without a terminator.
    pub fn write_reply<'a>(self, out: &mut impl BufMut, names: impl IntoIterator<Item = &'a str>) {
        let names = names.into_iter().map(str::as_bytes);
        put_words(out, std::iter::once(self.verb()).chain(names));
    }
}
