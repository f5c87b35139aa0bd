//! The replies to a write (`MEDAL`, `SETSCORE`) other than `OK`: `DENIED`
//! for a wrong Cacofonix id, `FAILED` when the write could not be made
//! durable. Both name the write ([`Target`]); neither echoes the id.

use std::fmt;

use bytes::BufMut;

use crate::fields::{fields, is_space, rest_after, text};
use crate::medal::Medal;

/// The write a `DENIED` or `FAILED` is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `MEDAL <team> <medal>`
    Medal {
        /// The team, one field.
        team: String,
        /// The medal.
        medal: Medal,
    },
    /// `SETSCORE <event>`
    SetScore {
        /// The event, one field.
        event: String,
    },
}

impl Target {
    /// The fields a target takes in its line, verb included.
    fn len(&self) -> usize {
        match self {
            Target::Medal { .. } => 3,
            Target::SetScore { .. } => 2,
        }
    }

    /// Reads a target from the front of `it`, leaving what follows.
    pub fn parse<'a>(it: &mut impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        match it.next()? {
            b"MEDAL" => Some(Target::Medal {
                team: text(it.next()?)?,
                medal: Medal::parse(std::str::from_utf8(it.next()?).ok()?)?,
            }),
            b"SETSCORE" => Some(Target::SetScore {
                event: text(it.next()?)?,
            }),
            _ => None,
        }
    }

    /// Appends `MEDAL <team> <medal>` or `SETSCORE <event>`.
    pub fn write(&self, out: &mut impl BufMut) {
        match self {
            Target::Medal { team, medal } => {
                out.put_slice(b"MEDAL ");
                out.put_slice(team.as_bytes());
                out.put_u8(b' ');
                out.put_slice(medal.as_str().as_bytes());
            }
            Target::SetScore { event } => {
                out.put_slice(b"SETSCORE ");
                out.put_slice(event.as_bytes());
            }
        }
    }
}

/// `MEDAL <team> <medal>` or `SETSCORE <event>`, as the line shows it.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// `FAILED <target> <reason>`: the write was not applied; the client may
/// retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// The write that failed.
    pub target: Target,
    /// Why, on one line.
    reason: String,
}

impl Failed {
    /// The first field of the line.
    pub const VERB: &[u8] = b"FAILED";

    /// A failure of `target` for `reason`, with line breaks turned into
    /// spaces and white space at either end removed, so it fits the line.
    pub fn new(target: Target, reason: &str) -> Self {
        let one_line = reason.replace(['\n', '\r'], " ");
        let reason = one_line
            .trim_matches(|c: char| c.is_ascii() && is_space(c as u8))
            .to_owned();
        Self { target, reason }
    }

    /// Why the write failed.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Reads a whole `FAILED ...` line (terminator removed).
    pub fn parse(line: &[u8]) -> Option<Self> {
        let mut it = fields(line);
        if it.next()? != Self::VERB {
            return None;
        }
        let target = Target::parse(&mut it)?;
        let reason = rest_after(line, 1 + target.len())?;
        Some(Self {
            target,
            reason: std::str::from_utf8(reason).ok()?.to_owned(),
        })
    }

    /// Appends the line, without a terminator.
    pub fn write(&self, out: &mut impl BufMut) {
        out.put_slice(Self::VERB);
        out.put_u8(b' ');
        self.target.write(out);
        if !self.reason.is_empty() {
            out.put_u8(b' ');
            out.put_slice(self.reason.as_bytes());
        }
    }
}
