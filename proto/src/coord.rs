//! The coordination lines on a peer link: leader election (bully with
//! terms) and Berkeley clock synchronisation. Each is flooded over the
//! overlay and forwarded once by every server (docs/COORDINATION.md).
//!
//! ```text
//! HERE <origin> <seq>                       origin is alive (membership beacon)
//! ELECT <origin> <term>                     origin calls an election in term
//! ALIVE <origin> <term> <candidate>         origin outranks candidate and takes over
//! LEAD <origin> <term> <beat>               origin leads term (also the heartbeat)
//! TPOLL <leader> <term> <round>             the leader asks every clock
//! TREAD <origin> <leader> <round> <ns>      origin's clock, read on receiving TPOLL
//! TADJ <leader> <term> <round> (<name> <ns>)...   each server's adjustment
//! ```
//!
//! Names are one field each; numbers are plain decimal (`<ns>` and the
//! adjustments may be negative).

use bytes::BytesMut;

use crate::fields::{fields, signed, signed_i64, text, unsigned};

/// Most adjustments one `TADJ` carries: one per configured server.
pub const MAX_ADJUSTMENTS: usize = 1024;

/// One coordination line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Coord {
    /// `HERE origin seq`: a membership beacon.
    Here {
        /// The server that is alive.
        origin: String,
        /// Grows with every beacon, so each one is a new line.
        seq: u64,
    },
    /// `ELECT origin term`: origin calls an election.
    Elect {
        /// The candidate.
        origin: String,
        /// The term it asks to lead.
        term: u64,
    },
    /// `ALIVE origin term candidate`: the bully's answer.
    Alive {
        /// A server that outranks the candidate.
        origin: String,
        /// The election's term.
        term: u64,
        /// The candidate it answers.
        candidate: String,
    },
    /// `LEAD origin term beat`: origin is the leader of term.
    Lead {
        /// The leader.
        origin: String,
        /// Its term.
        term: u64,
        /// Grows with every heartbeat.
        beat: u64,
    },
    /// `TPOLL leader term round`: the leader asks for every clock.
    Poll {
        /// The leader.
        leader: String,
        /// Its term.
        term: u64,
        /// The sync round.
        round: u64,
    },
    /// `TREAD origin leader round ns`: a clock reading for the leader.
    Reading {
        /// The server whose clock it is.
        origin: String,
        /// The leader that asked.
        leader: String,
        /// The round it answers.
        round: u64,
        /// The synchronised clock, nanoseconds since the epoch.
        clock_ns: i128,
    },
    /// `TADJ leader term round name ns ...`: each server's adjustment.
    Adjust {
        /// The leader.
        leader: String,
        /// Its term.
        term: u64,
        /// The round measured.
        round: u64,
        /// What each server adds to its offset, in nanoseconds.
        adjustments: Vec<(String, i64)>,
    },
}

impl Coord {
    /// The verbs this module reads, for the peer message parser.
    pub const VERBS: [&'static str; 7] =
        ["HERE", "ELECT", "ALIVE", "LEAD", "TPOLL", "TREAD", "TADJ"];

    /// The verb `field` names, if it is one of [`Coord::VERBS`].
    pub fn verb_of(field: &[u8]) -> Option<&'static str> {
        Self::VERBS.into_iter().find(|v| v.as_bytes() == field)
    }

    /// Parses a whole line whose verb is one of [`Coord::VERBS`].
    pub fn parse(line: &[u8]) -> Option<Self> {
        let mut it = fields(line);
        let verb = it.next()?;
        let mut name = || it.next().and_then(text);
        let coord = match verb {
            b"HERE" => Coord::Here {
                origin: name()?,
                seq: unsigned(it.next()?)?,
            },
            b"ELECT" => Coord::Elect {
                origin: name()?,
                term: unsigned(it.next()?)?,
            },
            b"ALIVE" => Coord::Alive {
                origin: name()?,
                term: unsigned(it.next()?)?,
                candidate: it.next().and_then(text)?,
            },
            b"LEAD" => Coord::Lead {
                origin: name()?,
                term: unsigned(it.next()?)?,
                beat: unsigned(it.next()?)?,
            },
            b"TPOLL" => Coord::Poll {
                leader: name()?,
                term: unsigned(it.next()?)?,
                round: unsigned(it.next()?)?,
            },
            b"TREAD" => Coord::Reading {
                origin: name()?,
                leader: it.next().and_then(text)?,
                round: unsigned(it.next()?)?,
                clock_ns: signed(it.next()?)?,
            },
            b"TADJ" => return parse_adjust(it),
            _ => return None,
        };
        it.next().is_none().then_some(coord)
    }

    /// The verb, for logs.
    pub fn verb(&self) -> &'static str {
        match self {
            Coord::Here { .. } => "HERE",
            Coord::Elect { .. } => "ELECT",
            Coord::Alive { .. } => "ALIVE",
            Coord::Lead { .. } => "LEAD",
            Coord::Poll { .. } => "TPOLL",
            Coord::Reading { .. } => "TREAD",
            Coord::Adjust { .. } => "TADJ",
        }
    }

    /// The server that first sent this line.
    pub fn origin(&self) -> &str {
        match self {
            Coord::Here { origin, .. }
            | Coord::Elect { origin, .. }
            | Coord::Alive { origin, .. }
            | Coord::Lead { origin, .. }
            | Coord::Reading { origin, .. } => origin,
            Coord::Poll { leader, .. } | Coord::Adjust { leader, .. } => leader,
        }
    }

    /// Appends the line, without its terminator.
    pub fn write(&self, dst: &mut BytesMut) {
        let operands = self.operands();
        let verb = std::iter::once(self.verb().as_bytes());
        crate::client::put_words(dst, verb.chain(operands.iter().map(String::as_bytes)));
    }

    /// The fields after the verb, as written.
    fn operands(&self) -> Vec<String> {
        let n = |v: u64| v.to_string();
        match self {
            Coord::Here { origin, seq } => vec![origin.clone(), n(*seq)],
            Coord::Elect { origin, term } => vec![origin.clone(), n(*term)],
            Coord::Alive {
                origin,
                term,
                candidate,
            } => vec![origin.clone(), n(*term), candidate.clone()],
            Coord::Lead { origin, term, beat } => vec![origin.clone(), n(*term), n(*beat)],
            Coord::Poll {
                leader,
                term,
                round,
            } => vec![leader.clone(), n(*term), n(*round)],
            Coord::Reading {
                origin,
                leader,
                round,
                clock_ns,
            } => vec![
                origin.clone(),
                leader.clone(),
                n(*round),
                clock_ns.to_string(),
            ],
            Coord::Adjust {
                leader,
                term,
                round,
                adjustments,
            } => {
                let mut out = vec![leader.clone(), n(*term), n(*round)];
                for (name, ns) in adjustments {
                    out.push(name.clone());
                    out.push(ns.to_string());
                }
                out
            }
        }
    }
}

/// The operands of `TADJ`.
fn parse_adjust<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Coord> {
    let leader = it.next().and_then(text)?;
    let term = unsigned(it.next()?)?;
    let round = unsigned(it.next()?)?;
    let mut adjustments = Vec::new();
    while let Some(name) = it.next() {
        if adjustments.len() == MAX_ADJUSTMENTS {
            return None;
        }
        adjustments.push((text(name)?, signed_i64(it.next()?)?));
    }
    Some(Coord::Adjust {
        leader,
        term,
        round,
        adjustments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(coord: Coord) {
        let mut dst = BytesMut::new();
        coord.write(&mut dst);
        assert_eq!(Coord::parse(&dst), Some(coord.clone()), "{dst:?}");
    }

    #[test]
    fn every_coordination_line_round_trips() {
        round_trip(Coord::Here {
            origin: "Hands".into(),
            seq: 9,
        });
        round_trip(Coord::Elect {
            origin: "Hands".into(),
            term: 3,
        });
        round_trip(Coord::Alive {
            origin: "Wilkes".into(),
            term: 3,
            candidate: "Hands".into(),
        });
        round_trip(Coord::Lead {
            origin: "Wilkes".into(),
            term: 4,
            beat: 17,
        });
        round_trip(Coord::Poll {
            leader: "Wilkes".into(),
            term: 4,
            round: 2,
        });
        round_trip(Coord::Reading {
            origin: "Hands".into(),
            leader: "Wilkes".into(),
            round: 2,
            clock_ns: -1_700_000_000_123_456_789,
        });
        round_trip(Coord::Adjust {
            leader: "Wilkes".into(),
            term: 4,
            round: 2,
            adjustments: vec![("Hands".into(), -5_000_000), ("Welsh".into(), 12)],
        });
    }

    #[test]
    fn malformed_coordination_lines_are_none() {
        for line in [
            &b"LEAD Wilkes"[..],
            b"LEAD Wilkes -1 3",
            b"LEAD Wilkes 1 3 extra",
            b"ELECT",
            b"TADJ Wilkes 4 2 Hands",
            b"TADJ Wilkes 4 2 Hands 1.5",
            b"TREAD Hands Wilkes 2",
            b"HERE Hands x",
        ] {
            assert_eq!(Coord::parse(line), None, "{line:?}");
        }
    }
}
