//! The raffle's client verbs (docs/COORDINATION.md, "The raffle"):
//!
//! ```text
//! RAFFLE                         -> RAFFLE <json>       the count, view, entries and winner
//! COUNT (<tablet> <request>)...  -> COUNTED <n>         a front end reports requests it served
//! RELAY                          -> RELAY               this connection's Olympic verbs are not counted
//! DRAW <auth> <tablet>           -> DRAW queued | DRAW denied   Cacofonix draws the raffle
//! ```
//!
//! A front end (the REST facade) reports every Olympic request it serves
//! with `COUNT`, its requester included, and opens each of its herd
//! connections with `RELAY`, so the verbs it forwards are not counted a
//! second time with the facade as requester.

use bytes::BufMut;

use super::auth::Auth;
use super::put_fields;
use crate::fields::{fields, is_field, rest_after, text};
use crate::order::MAX_FIELD;

/// Most `(tablet, request)` pairs one `COUNT` carries.
pub const MAX_COUNT: usize = 256;

/// A raffle command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RaffleCommand {
    /// `RAFFLE`: show the raffle.
    Show,
    /// `COUNT tablet request ...`: requests a front end served.
    Count(Vec<(String, String)>),
    /// `RELAY`: do not count this connection's Olympic verbs.
    Relay,
    /// `DRAW auth tablet`: draw the winner (Cacofonix only).
    Draw {
        /// The Cacofonix id offered.
        auth: Auth,
        /// Who asked.
        tablet: String,
    },
}

impl RaffleCommand {
    /// `RAFFLE`.
    pub const RAFFLE: &[u8] = b"RAFFLE";
    /// `COUNT`.
    pub const COUNT: &[u8] = b"COUNT";
    /// `RELAY`.
    pub const RELAY: &[u8] = b"RELAY";
    /// `DRAW`.
    pub const DRAW: &[u8] = b"DRAW";
    /// The field of a `DRAW` line holding the id (from 0).
    pub const AUTH_FIELD: usize = 1;

    /// True for the four verbs.
    pub fn is_verb(verb: &[u8]) -> bool {
        [Self::RAFFLE, Self::COUNT, Self::RELAY, Self::DRAW].contains(&verb)
    }

    /// The command `verb` starts, with its operands `it`.
    pub fn parse<'a>(verb: &[u8], mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let cmd = match verb {
            Self::RAFFLE => RaffleCommand::Show,
            Self::RELAY => RaffleCommand::Relay,
            Self::DRAW => RaffleCommand::Draw {
                auth: Auth::new(bytes::Bytes::copy_from_slice(it.next()?))?,
                tablet: short(it.next()?)?,
            },
            Self::COUNT => {
                let mut pairs = Vec::new();
                while let Some(tablet) = it.next() {
                    if pairs.len() == MAX_COUNT {
                        return None;
                    }
                    pairs.push((short(tablet)?, short(it.next()?)?));
                }
                if pairs.is_empty() {
                    return None;
                }
                return Some(RaffleCommand::Count(pairs));
            }
            _ => return None,
        };
        it.next().is_none().then_some(cmd)
    }

    /// The verb.
    pub fn verb(&self) -> &'static [u8] {
        match self {
            RaffleCommand::Show => Self::RAFFLE,
            RaffleCommand::Count(_) => Self::COUNT,
            RaffleCommand::Relay => Self::RELAY,
            RaffleCommand::Draw { .. } => Self::DRAW,
        }
    }

    /// Appends the command line, `\n` included.
    pub fn write(&self, out: &mut impl BufMut) {
        match self {
            RaffleCommand::Show | RaffleCommand::Relay => put_fields(out, [self.verb()]),
            RaffleCommand::Draw { auth, tablet } => {
                put_fields(out, [Self::DRAW, auth.expose(), tablet.as_bytes()]);
            }
            RaffleCommand::Count(pairs) => {
                let mut fields: Vec<&[u8]> = vec![Self::COUNT];
                for (tablet, request) in pairs {
                    fields.push(tablet.as_bytes());
                    fields.push(request.as_bytes());
                }
                put_fields(out, fields);
            }
        }
    }
}

/// `text` as one field for a `COUNT` or `DRAW`: white space and control
/// characters replaced by `_`, cut to [`MAX_FIELD`] bytes, `-` if empty.
pub fn field(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    while out.len() > MAX_FIELD {
        out.pop();
    }
    if out.is_empty() {
        out.push('-');
    }
    out
}

/// A field of at most [`MAX_FIELD`] bytes, as text.
fn short(field: &[u8]) -> Option<String> {
    (field.len() <= MAX_FIELD && is_field(field))
        .then(|| text(field))
        .flatten()
}

/// What the server answers a raffle command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RaffleReply {
    /// `RAFFLE <json>`: the raffle, as `GET /raffle` shows it.
    Raffle(String),
    /// `COUNTED <n>`: the requests of a `COUNT` handed to the order.
    Counted(u64),
    /// `RELAY`: this connection's Olympic verbs are no longer counted.
    Relay,
    /// `DRAW queued`: the draw is in the order; `GET /raffle` shows the
    /// winner once it is delivered.
    DrawQueued,
    /// `DRAW denied`: not Cacofonix.
    DrawDenied,
}

impl RaffleReply {
    /// Parses a reply line (terminator removed).
    pub fn parse(line: &[u8]) -> Option<Self> {
        let mut it = fields(line);
        let reply = match it.next()? {
            RaffleCommand::RAFFLE => {
                return Some(RaffleReply::Raffle(text(rest_after(line, 1)?)?));
            }
            b"COUNTED" => RaffleReply::Counted(crate::fields::unsigned(it.next()?)?),
            RaffleCommand::RELAY => RaffleReply::Relay,
            RaffleCommand::DRAW => match it.next()? {
                b"queued" => RaffleReply::DrawQueued,
                b"denied" => RaffleReply::DrawDenied,
                _ => return None,
            },
            _ => return None,
        };
        it.next().is_none().then_some(reply)
    }

    /// Appends the reply line, `\n` included.
    pub fn write(&self, out: &mut impl BufMut) {
        match self {
            RaffleReply::Raffle(json) => put_fields(out, [RaffleCommand::RAFFLE, json.as_bytes()]),
            RaffleReply::Counted(n) => put_fields(out, [b"COUNTED", n.to_string().as_bytes()]),
            RaffleReply::Relay => put_fields(out, [RaffleCommand::RELAY]),
            RaffleReply::DrawQueued => put_fields(out, [RaffleCommand::DRAW, b"queued"]),
            RaffleReply::DrawDenied => put_fields(out, [RaffleCommand::DRAW, b"denied"]),
        }
    }

    /// The reply line, `\n` included.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(line: &[u8]) -> Option<RaffleCommand> {
        let mut it = fields(line);
        RaffleCommand::parse(it.next()?, it)
    }

    #[test]
    fn raffle_commands_and_replies_round_trip() {
        for cmd in [
            RaffleCommand::Show,
            RaffleCommand::Relay,
            RaffleCommand::Count(vec![("t1".into(), "getScore/Run".into())]),
            RaffleCommand::Draw {
                auth: Auth::new("secret").unwrap(),
                tablet: "t1".into(),
            },
        ] {
            let mut line = Vec::new();
            cmd.write(&mut line);
            assert_eq!(command(line.trim_ascii_end()), Some(cmd));
        }
        for reply in [
            RaffleReply::Raffle("{\"ordered\":0}".into()),
            RaffleReply::Counted(3),
            RaffleReply::Relay,
            RaffleReply::DrawQueued,
            RaffleReply::DrawDenied,
        ] {
            let line = reply.to_vec();
            assert_eq!(RaffleReply::parse(line.trim_ascii_end()), Some(reply));
        }
    }

    #[test]
    fn malformed_raffle_commands_are_none() {
        let long = format!("COUNT t {}", "x".repeat(MAX_FIELD + 1));
        for line in [
            &b"RAFFLE now"[..],
            b"COUNT",
            b"COUNT t1",
            b"DRAW secret",
            b"RELAY x",
            long.as_bytes(),
        ] {
            assert_eq!(command(line), None, "{line:?}");
        }
    }
}
