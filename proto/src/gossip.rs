//! The operands of the messages that shape how locations spread (a
//! Plumtree: eager push along a tree, lazy announcements on the other
//! links):
//!
//! ```text
//! IHAVE <client> <time> [<client> <time> ...]   "I have taken these; ask if you lack one"
//! GRAFT <client> [<client> ...]                  "send me these, and push to me eagerly"
//! PRUNE                                          "stop pushing to me eagerly"
//! ```
//!
//! `<time>` is a client time as an `AT` line carries it (POSIX seconds,
//! up to nine fraction digits). At most [`MAX_ANNOUNCED`] clients per line.

use crate::fields::fields;
use crate::location::Location;
use crate::timestamp::{format_posix, parse_posix_nanos};

/// Most clients one `IHAVE` or `GRAFT` line names.
pub const MAX_ANNOUNCED: usize = 128;

/// One announced location: a client and its client time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    /// The client ID.
    pub client: String,
    /// Its client time, in nanoseconds since the epoch.
    pub time: i128,
}

impl Announced {
    /// What announcing `location` says.
    pub fn of(location: &Location) -> Self {
        Self {
            client: location.client().to_owned(),
            time: location.client_time(),
        }
    }
}

/// Appends ` <client> <time>` for each announcement.
pub(crate) fn write_announced(items: &[Announced], line: &mut Vec<u8>) {
    for item in items {
        line.push(b' ');
        line.extend_from_slice(item.client.as_bytes());
        line.push(b' ');
        line.extend_from_slice(format_posix(item.time).as_bytes());
    }
}

/// Appends ` <client>` for each client.
pub(crate) fn write_clients(clients: &[String], line: &mut Vec<u8>) {
    for client in clients {
        line.push(b' ');
        line.extend_from_slice(client.as_bytes());
    }
}

/// The operands of `IHAVE`: 1 to [`MAX_ANNOUNCED`] client and time pairs.
pub(crate) fn parse_announced(operands: &[u8]) -> Option<Vec<Announced>> {
    let mut it = fields(operands);
    let mut out = Vec::new();
    while let Some(client) = it.next() {
        if out.len() == MAX_ANNOUNCED {
            return None;
        }
        let client = std::str::from_utf8(client).ok()?.to_owned();
        let time = parse_posix_nanos(it.next()?)?;
        out.push(Announced { client, time });
    }
    (!out.is_empty()).then_some(out)
}

/// The operands of `GRAFT`: 1 to [`MAX_ANNOUNCED`] clients.
pub(crate) fn parse_clients(operands: &[u8]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for client in fields(operands) {
        if out.len() == MAX_ANNOUNCED {
            return None;
        }
        out.push(std::str::from_utf8(client).ok()?.to_owned());
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::{Message, MessageError};

    fn round_trip(message: Message) {
        let bytes = message.to_bytes();
        let line = &bytes[..bytes.len() - 1];
        assert_eq!(
            Message::parse(line),
            Ok(message),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }

    #[test]
    fn gossip_messages_round_trip() {
        round_trip(Message::IHave(vec![
            Announced {
                client: "kiwi.cs.ucla.edu".into(),
                time: 1_520_023_934_918_963_997,
            },
            Announced {
                client: "é".into(),
                time: 0,
            },
        ]));
        round_trip(Message::Graft(vec!["a".into(), "b".into()]));
        round_trip(Message::Prune);
        assert_eq!(
            Message::parse(b"IHAVE  kiwi\t1520023934.918963997 ").unwrap(),
            Message::IHave(vec![Announced {
                client: "kiwi".into(),
                time: 1_520_023_934_918_963_997
            }])
        );
    }

    #[test]
    fn malformed_gossip_messages_are_errors() {
        let too_many = format!("GRAFT {}", vec!["c"; MAX_ANNOUNCED + 1].join(" "));
        for (line, verb) in [
            ("IHAVE", "IHAVE"),
            ("IHAVE kiwi", "IHAVE"),
            ("IHAVE kiwi 1.5x", "IHAVE"),
            ("GRAFT", "GRAFT"),
            (too_many.as_str(), "GRAFT"),
            ("PRUNE now", "PRUNE"),
        ] {
            assert_eq!(
                Message::parse(line.as_bytes()),
                Err(MessageError { verb }),
                "{line}"
            );
        }
    }
}
