//! The ordering lines on a peer link: Lamport-clock totally ordered
//! multicast of the counted Olympic requests (the raffle,
//! docs/COORDINATION.md). Every line is flooded over the overlay; a server
//! forwards a line the first time it sees it.
//!
//! ```text
//! OREQ <origin> <seq> <lamport> <tablet> <request>       a request origin took
//! ORES <nonce> <origin> <seq> <lamport> <tablet> <request>  the same, resent on OWANT
//! OCLK <origin> <beat> <view> <seq> <lamport> (<name> <seq>)...   origin sent requests 1..=seq, its clock
//!                                                        is lamport, and it holds each name's requests up to seq
//! OWANT <asker> <nonce> <origin> <from>                  asker misses origin's requests from seq `from`
//! OPROP <leader> <view> <prev> <position> <member>...    the leader, in view prev at position, proposes a view
//! OFLUSH <origin> <view> (<name> <seq>)...               origin holds every name's requests up to seq
//! OVIEW <leader> <view> <prev> <count> <member>... <count> <old member>... (<name> <seq>)...
//!                                                        the view, view prev's members, and its cut
//! OFETCH <asker> <nonce> <from>                          asker misses the delivered sequence from position `from`
//! OLOG <to> <nonce> <position> <view> <origin> <seq> <lamport> <tablet> <request>   one delivered request
//! ```
//!
//! `<tablet>` and `<request>` are single fields of at most
//! [`MAX_FIELD`] bytes; names are single fields.

use bytes::BytesMut;

use crate::fields::{fields, is_field, text, unsigned};

/// Longest `<tablet>` or `<request>` field, in bytes.
pub const MAX_FIELD: usize = 256;

/// Most names one `OPROP`, `OFLUSH` or `OVIEW` carries.
pub const MAX_NAMES: usize = 1024;

/// One request in the total order, as its origin stamped it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stamped {
    /// The server that took the request.
    pub origin: String,
    /// The origin's count of requests it took, from 1: FIFO per origin.
    pub seq: u64,
    /// The origin's Lamport clock when it took the request.
    pub lamport: u64,
    /// Who made it: a tablet id or a client address.
    pub tablet: String,
    /// What it was, e.g. `getMedalTally/Gaul`.
    pub request: String,
}

impl Stamped {
    /// True when `tablet` and `request` can be written as single fields.
    pub fn is_writable(tablet: &str, request: &str) -> bool {
        [tablet, request]
            .iter()
            .all(|f| is_field(f.as_bytes()) && f.len() <= MAX_FIELD)
    }

    fn operands(&self, out: &mut Vec<String>) {
        out.extend([
            self.origin.clone(),
            self.seq.to_string(),
            self.lamport.to_string(),
            self.tablet.clone(),
            self.request.clone(),
        ]);
    }

    fn parse<'a>(it: &mut impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        let stamped = Self {
            origin: it.next().and_then(text)?,
            seq: unsigned(it.next()?)?,
            lamport: unsigned(it.next()?)?,
            tablet: it.next().and_then(text)?,
            request: it.next().and_then(text)?,
        };
        (stamped.tablet.len() <= MAX_FIELD && stamped.request.len() <= MAX_FIELD).then_some(stamped)
    }
}

/// One ordering line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Order {
    /// `OREQ`: a request, multicast by the server that took it.
    Req(Stamped),
    /// `ORES`: a request resent to answer an `OWANT`; the nonce makes the
    /// line new to the floods' memory.
    Resend {
        /// Distinguishes this resend from the first send and other resends.
        nonce: u64,
        /// The request.
        req: Stamped,
    },
    /// `OCLK`: the origin's clock beacon, ordered after its requests.
    Clock {
        /// The server whose clock it is.
        origin: String,
        /// Grows with every beacon, so each one is a new line.
        beat: u64,
        /// The view the origin is in.
        view: u64,
        /// The last request the origin sent (0 for none).
        seq: u64,
        /// The origin's Lamport clock: it stamps nothing at or below it.
        lamport: u64,
        /// `(origin, seq)`: the origin holds each origin's requests up to
        /// seq without a gap (its acknowledgements).
        acked: Vec<(String, u64)>,
    },
    /// `OWANT`: the asker misses some of origin's requests.
    Want {
        /// Who misses them.
        asker: String,
        /// Makes each ask a new line.
        nonce: u64,
        /// Whose requests.
        origin: String,
        /// The first missing sequence number.
        from: u64,
    },
    /// `OPROP`: the leader proposes a new view and asks for flushes.
    Propose {
        /// The leader.
        leader: String,
        /// The proposed view's id.
        view: u64,
        /// The view the leader is in.
        prev: u64,
        /// How many requests the leader had delivered.
        position: u64,
        /// Its members.
        members: Vec<String>,
    },
    /// `OFLUSH`: a member's answer to `OPROP`: for every origin, the
    /// last sequence number it holds without a gap.
    Flush {
        /// The member.
        origin: String,
        /// The proposed view it answers.
        view: u64,
        /// `(origin, seq)` pairs.
        held: Vec<(String, u64)>,
    },
    /// `OVIEW`: the new view, and for every origin the last of its
    /// requests ordered in the old view.
    Install {
        /// The leader.
        leader: String,
        /// The new view's id.
        view: u64,
        /// The view it replaces.
        prev: u64,
        /// Its members.
        members: Vec<String>,
        /// The members of the view it replaces: their requests up to the
        /// cut are delivered first, then those of everyone else.
        old: Vec<String>,
        /// `(origin, seq)`: the old view's cut.
        cut: Vec<(String, u64)>,
    },
    /// `OFETCH`: the asker misses the delivered sequence from `from`.
    Fetch {
        /// Who misses it.
        asker: String,
        /// Makes each ask a new line.
        nonce: u64,
        /// The first missing position (from 1).
        from: u64,
    },
    /// `OLOG`: one delivered request, for a server catching up.
    Log {
        /// The server catching up.
        to: String,
        /// Makes the line new to the floods' memory.
        nonce: u64,
        /// Its position in the delivered sequence (from 1).
        position: u64,
        /// The view it was delivered in.
        view: u64,
        /// The request.
        req: Stamped,
    },
}

impl Order {
    /// The verbs this module reads, for the peer message parser.
    pub const VERBS: [&'static str; 9] = [
        "OREQ", "ORES", "OCLK", "OWANT", "OPROP", "OFLUSH", "OVIEW", "OFETCH", "OLOG",
    ];

    /// The verb `field` names, if it is one of [`Order::VERBS`].
    pub fn verb_of(field: &[u8]) -> Option<&'static str> {
        Self::VERBS.into_iter().find(|v| v.as_bytes() == field)
    }

    /// The verb, for logs.
    pub fn verb(&self) -> &'static str {
        match self {
            Order::Req(_) => "OREQ",
            Order::Resend { .. } => "ORES",
            Order::Clock { .. } => "OCLK",
            Order::Want { .. } => "OWANT",
            Order::Propose { .. } => "OPROP",
            Order::Flush { .. } => "OFLUSH",
            Order::Install { .. } => "OVIEW",
            Order::Fetch { .. } => "OFETCH",
            Order::Log { .. } => "OLOG",
        }
    }

    /// Parses a whole line whose verb is one of [`Order::VERBS`].
    pub fn parse(line: &[u8]) -> Option<Self> {
        let mut it = fields(line);
        let verb = it.next()?;
        let order = match verb {
            b"OREQ" => Order::Req(Stamped::parse(&mut it)?),
            b"ORES" => Order::Resend {
                nonce: unsigned(it.next()?)?,
                req: Stamped::parse(&mut it)?,
            },
            b"OCLK" => Order::Clock {
                origin: it.next().and_then(text)?,
                beat: unsigned(it.next()?)?,
                view: unsigned(it.next()?)?,
                seq: unsigned(it.next()?)?,
                lamport: unsigned(it.next()?)?,
                acked: pairs(&mut it)?,
            },
            b"OWANT" => Order::Want {
                asker: it.next().and_then(text)?,
                nonce: unsigned(it.next()?)?,
                origin: it.next().and_then(text)?,
                from: unsigned(it.next()?)?,
            },
            b"OPROP" => Order::Propose {
                leader: it.next().and_then(text)?,
                view: unsigned(it.next()?)?,
                prev: unsigned(it.next()?)?,
                position: unsigned(it.next()?)?,
                members: names(&mut it, usize::MAX)?,
            },
            b"OFLUSH" => Order::Flush {
                origin: it.next().and_then(text)?,
                view: unsigned(it.next()?)?,
                held: pairs(&mut it)?,
            },
            b"OVIEW" => {
                let leader = it.next().and_then(text)?;
                let view = unsigned(it.next()?)?;
                let prev = unsigned(it.next()?)?;
                let members = counted_names(&mut it)?;
                let old = counted_names(&mut it)?;
                Order::Install {
                    leader,
                    view,
                    prev,
                    members,
                    old,
                    cut: pairs(&mut it)?,
                }
            }
            b"OFETCH" => Order::Fetch {
                asker: it.next().and_then(text)?,
                nonce: unsigned(it.next()?)?,
                from: unsigned(it.next()?)?,
            },
            b"OLOG" => Order::Log {
                to: it.next().and_then(text)?,
                nonce: unsigned(it.next()?)?,
                position: unsigned(it.next()?)?,
                view: unsigned(it.next()?)?,
                req: Stamped::parse(&mut it)?,
            },
            _ => return None,
        };
        it.next().is_none().then_some(order)
    }

    /// Appends the line, without its terminator.
    pub fn write(&self, dst: &mut BytesMut) {
        let operands = self.operands();
        let verb = std::iter::once(self.verb().as_bytes());
        crate::client::put_words(dst, verb.chain(operands.iter().map(String::as_bytes)));
    }

    /// The fields after the verb, as written.
    fn operands(&self) -> Vec<String> {
        let n = |v: &u64| v.to_string();
        let mut out = Vec::new();
        match self {
            Order::Req(req) => req.operands(&mut out),
            Order::Resend { nonce, req } => {
                out.push(n(nonce));
                req.operands(&mut out);
            }
            Order::Clock {
                origin,
                beat,
                view,
                seq,
                lamport,
                acked,
            } => {
                out.extend([origin.clone(), n(beat), n(view), n(seq), n(lamport)]);
                write_pairs(acked, &mut out);
            }
            Order::Want {
                asker,
                nonce,
                origin,
                from,
            } => out.extend([asker.clone(), n(nonce), origin.clone(), n(from)]),
            Order::Propose {
                leader,
                view,
                prev,
                position,
                members,
            } => {
                out.extend([leader.clone(), n(view), n(prev), n(position)]);
                out.extend(members.iter().cloned());
            }
            Order::Flush { origin, view, held } => {
                out.extend([origin.clone(), n(view)]);
                write_pairs(held, &mut out);
            }
            Order::Install {
                leader,
                view,
                prev,
                members,
                old,
                cut,
            } => {
                out.extend([leader.clone(), n(view), n(prev), members.len().to_string()]);
                out.extend(members.iter().cloned());
                out.push(old.len().to_string());
                out.extend(old.iter().cloned());
                write_pairs(cut, &mut out);
            }
            Order::Fetch { asker, nonce, from } => out.extend([asker.clone(), n(nonce), n(from)]),
            Order::Log {
                to,
                nonce,
                position,
                view,
                req,
            } => {
                out.extend([to.clone(), n(nonce), n(position), n(view)]);
                req.operands(&mut out);
            }
        }
        out
    }
}

/// Up to `count` names (all that remain for `usize::MAX`), at most
/// [`MAX_NAMES`].
fn names<'a>(it: &mut impl Iterator<Item = &'a [u8]>, count: usize) -> Option<Vec<String>> {
    let mut out = Vec::new();
    while out.len() < count {
        let Some(field) = it.next() else { break };
        if out.len() == MAX_NAMES {
            return None;
        }
        out.push(text(field)?);
    }
    Some(out)
}

/// A count, then that many names.
fn counted_names<'a>(it: &mut impl Iterator<Item = &'a [u8]>) -> Option<Vec<String>> {
    let count = usize::try_from(unsigned(it.next()?)?).ok()?;
    let names = names(it, count)?;
    (names.len() == count).then_some(names)
}

/// `(name, seq)` pairs to the end of the line, at most [`MAX_NAMES`].
fn pairs<'a>(it: &mut impl Iterator<Item = &'a [u8]>) -> Option<Vec<(String, u64)>> {
    let mut out = Vec::new();
    while let Some(name) = it.next() {
        if out.len() == MAX_NAMES {
            return None;
        }
        out.push((text(name)?, unsigned(it.next()?)?));
    }
    Some(out)
}

fn write_pairs(pairs: &[(String, u64)], out: &mut Vec<String>) {
    for (name, seq) in pairs {
        out.push(name.clone());
        out.push(seq.to_string());
    }
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
