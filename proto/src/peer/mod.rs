//! The messages spoken on a peer link: one line each, verb first, fields
//! separated by protocol white space, `\n` at the end.
//!
//! ```text
//! HELLO <name> <nonce>            dialer opens the handshake
//! HELLO <name> <nonce> <tag>      acceptor answers, proving it holds the key
//! AUTH <tag>                      dialer proves it holds the key
//! PING / PONG                     liveness while a link is idle
//! AT <server> <diff> <client> <coords> <time>   one location, as stored
//! MEDAL <origin> <seq> <team> <medal> <count>    one Olympic tally cell
//! SCORE <origin> <seq> <event> <stamp_ns> <team> <score> ...   one event score
//! VOID <origin> <seq> <team> <medal>             a keyed increment that does not count
//! SUMS <node> <hash> x16          digest of the children of a store node
//! HAVE <leaf> <hash> ...          "these are the lines I hold in this leaf; answer"
//! HAD <leaf> <hash> ...           the same, as the answer (not answered again)
//! OSUM <hash>                     digest of the whole Olympic state
//! OPULL                           "send me your Olympic state"
//! IHAVE <client> <time> ...       lazy announcement of taken locations
//! GRAFT <client> ...              "send me these, and push to me eagerly"
//! PRUNE                           "stop pushing to me eagerly"
//! HERE ELECT ALIVE LEAD TPOLL TREAD TADJ   election and clock sync ([`crate::coord`])
//! OREQ ORES OCLK OWANT OPROP OFLUSH OVIEW OFETCH OLOG   the raffle's total order ([`crate::order`])
//! ```
//!
//! `<nonce>` is 16 random bytes and `<tag>` an HMAC-SHA256, both lower-case
//! hex. `<node>` and `<leaf>` name nodes of the store's digest tree and
//! `<hash>` is 16 lower-case hex digits (see [`crate::digest`] and the
//! anti-entropy module). A line whose verb is not listed parses as
//! [`Message::Unknown`], which links log and ignore, so a newer server can
//! add verbs without breaking links to older ones.

use std::fmt;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};

use crate::change::Change;
use crate::coord::Coord;
use crate::digest::{FANOUT, Node};
use crate::fields::fields;
use crate::gossip::{self, Announced};
use crate::location::Location;
use crate::order::Order;

/// Most line hashes one `HAVE` or `HAD` carries (a 34 KB line); a leaf
/// holding more is described in several lines.
pub const MAX_HAVE: usize = 2048;

/// Bytes in a handshake nonce.
pub const NONCE_LEN: usize = 16;

/// Bytes in an HMAC-SHA256 tag.
pub const TAG_LEN: usize = 32;

/// A handshake nonce: fresh randomness that makes each handshake unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nonce(pub [u8; NONCE_LEN]);

impl Nonce {
    /// A fresh random nonce.
    pub fn random() -> Self {
        Self(rand::random())
    }
}

/// An HMAC-SHA256 tag. Its `Debug` hides the bytes: a tag plus the public
/// handshake fields is enough to guess a weak key offline, so it stays out
/// of logs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tag(pub [u8; TAG_LEN]);

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tag(..)")
    }
}

/// Why a line with a known verb could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {verb} message")]
pub struct MessageError {
    /// The verb of the line.
    pub verb: &'static str,
}

/// One line on a peer link.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// `HELLO name nonce [tag]`: the dialer sends it without a tag, the
    /// acceptor answers with one.
    Hello {
        /// The sender's server name.
        name: String,
        /// The sender's fresh nonce.
        nonce: Nonce,
        /// The acceptor's proof; `None` from the dialer.
        tag: Option<Tag>,
    },
    /// `AUTH tag`: the dialer's proof.
    Auth {
        /// The dialer's proof.
        tag: Tag,
    },
    /// `PING`: sent on an idle link so the other end's read timeout holds off.
    Ping,
    /// `PONG`: the answer to `PING`.
    Pong,
    /// `AT ...`: a location, flooded or synced.
    At(Arc<Location>),
    /// `MEDAL ...`, `SCORE ...` or `VOID ...`: an Olympic change, flooded
    /// or synced.
    Change(Arc<Change>),
    /// `SUMS node h0 .. h15`: the sender's hashes of the children of `node`.
    Sums {
        /// An inner node of the digest tree.
        node: Node,
        /// The sender's hash of each child.
        hashes: [u64; FANOUT],
    },
    /// `HAVE leaf hash ...` or `HAD leaf hash ...`: the hashes of the `AT`
    /// lines the sender holds in a leaf of its digest tree. The receiver
    /// sends every line of that leaf whose hash is not among them, and
    /// answers a `HAVE` (never a `HAD`) with its own hashes.
    Have {
        /// A leaf of the digest tree.
        leaf: Node,
        /// The hash (`digest::line_hash`) of each line held there.
        hashes: Vec<u64>,
        /// True for `HAVE`, which asks for the receiver's hashes back.
        answer: bool,
    },
    /// `OSUM hash`: the sender's digest of its Olympic state.
    OlympicSum(u64),
    /// `OPULL`: the sender asks for the whole Olympic state.
    OlympicPull,
    /// `IHAVE client time ...`: locations the sender has taken, announced
    /// instead of sent (see [`crate::gossip`]).
    IHave(Vec<Announced>),
    /// `GRAFT client ...`: the sender lacks these clients' announced
    /// locations and wants this link to push to it eagerly again.
    Graft(Vec<String>),
    /// `PRUNE`: the sender got a location it already had over this link,
    /// and wants only announcements on it from now on.
    Prune,
    /// Leader election and clock synchronisation ([`Coord`]).
    Coord(Coord),
    /// The raffle's totally ordered multicast ([`Order`]).
    Order(Order),
    /// A line with a verb this server does not know (or no verb at all).
    Unknown(Bytes),
}

impl Message {
    /// Parses one line, terminator removed.
    pub fn parse(line: &[u8]) -> Result<Self, MessageError> {
        let mut it = fields(line);
        let msg = match it.next() {
            Some(b"HELLO") => parse_hello(it).ok_or(MessageError { verb: "HELLO" })?,
            Some(b"AUTH") => {
                let tag = it.next().and_then(parse_tag);
                match (tag, it.next()) {
                    (Some(tag), None) => Message::Auth { tag },
                    _ => return Err(MessageError { verb: "AUTH" }),
                }
            }
            Some(b"PING") if it.next().is_none() => Message::Ping,
            Some(b"PING") => return Err(MessageError { verb: "PING" }),
            Some(b"PONG") if it.next().is_none() => Message::Pong,
            Some(b"PONG") => return Err(MessageError { verb: "PONG" }),
            Some(b"AT") => Location::from_at_line(line)
                .map(|loc| Message::At(Arc::new(loc)))
                .ok_or(MessageError { verb: "AT" })?,
            Some(b"MEDAL") => Change::parse(line)
                .map(|c| Message::Change(Arc::new(c)))
                .ok_or(MessageError { verb: "MEDAL" })?,
            Some(b"SCORE") => Change::parse(line)
                .map(|c| Message::Change(Arc::new(c)))
                .ok_or(MessageError { verb: "SCORE" })?,
            Some(b"VOID") => Change::parse(line)
                .map(|c| Message::Change(Arc::new(c)))
                .ok_or(MessageError { verb: "VOID" })?,
            Some(b"SUMS") => parse_sums(it).ok_or(MessageError { verb: "SUMS" })?,
            Some(b"HAVE") => parse_have(it, true).ok_or(MessageError { verb: "HAVE" })?,
            Some(b"HAD") => parse_have(it, false).ok_or(MessageError { verb: "HAD" })?,
            Some(b"OSUM") => match (it.next().and_then(parse_hash), it.next()) {
                (Some(hash), None) => Message::OlympicSum(hash),
                _ => return Err(MessageError { verb: "OSUM" }),
            },
            Some(b"OPULL") if it.next().is_none() => Message::OlympicPull,
            Some(b"OPULL") => return Err(MessageError { verb: "OPULL" }),
            Some(b"IHAVE") => gossip::parse_announced(rest_after_verb(line))
                .map(Message::IHave)
                .ok_or(MessageError { verb: "IHAVE" })?,
            Some(b"GRAFT") => gossip::parse_clients(rest_after_verb(line))
                .map(Message::Graft)
                .ok_or(MessageError { verb: "GRAFT" })?,
            Some(b"PRUNE") if it.next().is_none() => Message::Prune,
            Some(b"PRUNE") => return Err(MessageError { verb: "PRUNE" }),
            Some(verb) if Coord::verb_of(verb).is_some() => Coord::parse(line)
                .map(Message::Coord)
                .ok_or_else(|| MessageError {
                    verb: Coord::verb_of(verb).unwrap_or("?"),
                })?,
            Some(verb) if Order::verb_of(verb).is_some() => Order::parse(line)
                .map(Message::Order)
                .ok_or_else(|| MessageError {
                    verb: Order::verb_of(verb).unwrap_or("?"),
                })?,
            _ => Message::Unknown(Bytes::copy_from_slice(line)),
        };
        Ok(msg)
    }

    /// The verb, for logs and errors.
    pub fn verb(&self) -> &'static str {
        match self {
            Message::Hello { .. } => "HELLO",
            Message::Auth { .. } => "AUTH",
            Message::Ping => "PING",
            Message::Pong => "PONG",
            Message::At(_) => "AT",
            Message::Change(change) => match **change {
                Change::Medal { .. } => "MEDAL",
                Change::Score { .. } => "SCORE",
                Change::Void { .. } => "VOID",
            },
            Message::Sums { .. } => "SUMS",
            Message::Have { answer: true, .. } => "HAVE",
            Message::Have { answer: false, .. } => "HAD",
            Message::OlympicSum(_) => "OSUM",
            Message::OlympicPull => "OPULL",
            Message::IHave(_) => "IHAVE",
            Message::Graft(_) => "GRAFT",
            Message::Prune => "PRUNE",
            Message::Coord(coord) => coord.verb(),
            Message::Order(order) => order.verb(),
            Message::Unknown(_) => "UNKNOWN",
        }
    }

    /// Appends the whole line, `\n` included, to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        match self {
            Message::Hello { name, nonce, tag } => {
                dst.put_slice(b"HELLO ");
                dst.put_slice(name.as_bytes());
                dst.put_u8(b' ');
                dst.put_slice(hex::encode(nonce.0).as_bytes());
                if let Some(tag) = tag {
                    dst.put_u8(b' ');
                    dst.put_slice(hex::encode(tag.0).as_bytes());
                }
            }
            Message::Auth { tag } => {
                dst.put_slice(b"AUTH ");
                dst.put_slice(hex::encode(tag.0).as_bytes());
            }
            Message::Ping => dst.put_slice(b"PING"),
            Message::Pong => dst.put_slice(b"PONG"),
            Message::At(location) => dst.put_slice(location.at_line()),
            Message::Change(change) => dst.put_slice(change.encode().as_bytes()),
            Message::Sums { node, hashes } => {
                let mut line = b"SUMS ".to_vec();
                node.write(&mut line);
                for hash in hashes {
                    line.extend_from_slice(format!(" {hash:016x}").as_bytes());
                }
                dst.put_slice(&line);
            }
            Message::Have {
                leaf,
                hashes,
                answer,
            } => {
                let mut line = if *answer {
                    b"HAVE ".to_vec()
                } else {
                    b"HAD ".to_vec()
                };
                leaf.write(&mut line);
                for hash in hashes {
                    line.extend_from_slice(format!(" {hash:016x}").as_bytes());
                }
                dst.put_slice(&line);
            }
            Message::OlympicSum(hash) => dst.put_slice(format!("OSUM {hash:016x}").as_bytes()),
            Message::OlympicPull => dst.put_slice(b"OPULL"),
            Message::IHave(items) => {
                let mut line = b"IHAVE".to_vec();
                gossip::write_announced(items, &mut line);
                dst.put_slice(&line);
            }
            Message::Graft(clients) => {
                let mut line = b"GRAFT".to_vec();
                gossip::write_clients(clients, &mut line);
                dst.put_slice(&line);
            }
            Message::Prune => dst.put_slice(b"PRUNE"),
            Message::Coord(coord) => coord.write(dst),
            Message::Order(order) => order.write(dst),
            Message::Unknown(line) => dst.put_slice(line),
        }
        dst.put_u8(b'\n');
    }

    /// The whole line, `\n` included, as one buffer.
    pub fn to_bytes(&self) -> Bytes {
        let mut dst = BytesMut::new();
        self.encode(&mut dst);
        dst.freeze()
    }
}

/// What follows the verb of `line`.
fn rest_after_verb(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|&b| !crate::fields::is_space(b))
        .unwrap_or(line.len());
    let verb_end = line[start..]
        .iter()
        .position(|&b| crate::fields::is_space(b))
        .map_or(line.len(), |i| start + i);
    &line[verb_end..]
}

/// The operands of `HELLO`.
fn parse_hello<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Message> {
    let name = std::str::from_utf8(it.next()?).ok()?.to_owned();
    let nonce = Nonce(parse_hex(it.next()?)?);
    let tag = match it.next() {
        Some(field) => Some(parse_tag(field)?),
        None => None,
    };
    it.next()
        .is_none()
        .then_some(Message::Hello { name, nonce, tag })
}

/// The operands of `SUMS`: an inner node and exactly [`FANOUT`] hashes.
fn parse_sums<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Message> {
    let node = Node::parse(it.next()?).filter(|n| !n.is_leaf())?;
    let mut hashes = [0; FANOUT];
    for slot in &mut hashes {
        *slot = parse_hash(it.next()?)?;
    }
    it.next()
        .is_none()
        .then_some(Message::Sums { node, hashes })
}

/// The operands of `HAVE` and `HAD`: a leaf and 0 to [`MAX_HAVE`] hashes.
fn parse_have<'a>(mut it: impl Iterator<Item = &'a [u8]>, answer: bool) -> Option<Message> {
    let leaf = Node::parse(it.next()?).filter(|n| n.is_leaf())?;
    let mut hashes = Vec::new();
    for field in it {
        if hashes.len() == MAX_HAVE {
            return None;
        }
        hashes.push(parse_hash(field)?);
    }
    Some(Message::Have {
        leaf,
        hashes,
        answer,
    })
}

/// A digest hash: exactly 16 lower-case hex digits.
fn parse_hash(field: &[u8]) -> Option<u64> {
    let digits = field.len() == 16 && field.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    digits.then(|| u64::from_str_radix(std::str::from_utf8(field).ok()?, 16).ok())?
}

/// A hex tag field.
fn parse_tag(field: &[u8]) -> Option<Tag> {
    parse_hex(field).map(Tag)
}

/// Exactly `N` bytes written as `2 * N` hex digits.
fn parse_hex<const N: usize>(field: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(field, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests;
