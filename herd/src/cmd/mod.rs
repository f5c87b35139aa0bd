//! Client commands: each a type that parses from a line and applies to the
//! server's state, producing the whole reply as one buffer.
//!
//! Anything that is not a valid command becomes [`Invalid`], which answers
//! `? ` and the line as received; it is a command like the others, not an
//! error path.

mod iamat;
mod invalid;
mod whatsat;

pub use iamat::IAmAt;
pub use invalid::Invalid;
pub use whatsat::WhatsAt;

use bytes::Bytes;

use crate::parse::fields;
use crate::shared::Shared;

/// A parsed client line.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `IAMAT client coords time`
    IAmAt(IAmAt),
    /// `WHATSAT client radius bound`
    WhatsAt(WhatsAt),
    /// Anything else, including `AT` sent by a client.
    Invalid(Invalid),
}

impl Command {
    /// Parses one line (terminator already removed).
    pub fn parse(line: Bytes) -> Self {
        let parsed = {
            let mut it = fields(&line);
            match it.next() {
                Some(b"IAMAT") => IAmAt::parse(it).map(Command::IAmAt),
                Some(b"WHATSAT") => WhatsAt::parse(it).map(Command::WhatsAt),
                _ => None,
            }
        };
        parsed.unwrap_or_else(|| Command::Invalid(Invalid::new(line)))
    }

    /// Applies the command and returns the complete reply. `line` is the raw
    /// line, kept for the `? ` echo should the command fail at apply time
    /// (a WHATSAT for an unknown client).
    pub async fn apply(self, shared: &Shared, line: &Bytes) -> Bytes {
        match self {
            Command::IAmAt(cmd) => cmd.apply(shared),
            Command::WhatsAt(cmd) => match cmd.apply(shared).await {
                Some(reply) => reply,
                None => Invalid::new(line.clone()).reply(),
            },
            Command::Invalid(cmd) => cmd.reply(),
        }
    }

    /// True when applying may wait on something slow (an upstream request),
    /// so replies already formatted should be written first.
    pub fn may_wait(&self) -> bool {
        matches!(self, Command::WhatsAt(_))
    }
}
