//! The herd's wire grammar, in one place: how lines are framed
//! ([`codec`]) and split into fields ([`fields`]), how times
//! ([`timestamp`]) and coordinates ([`coords`]) are written, and every
//! message with its parse and its format: what clients send ([`client`],
//! one file per command) and what servers answer them ([`reply`]), a
//! stored location's `AT` line ([`location`]), the Olympic change lines
//! ([`change`], [`medal`]), the peer link's messages ([`peer`]) and the
//! digest tree anti-entropy compares ([`digest`]).
//!
//! Everything that speaks the protocol (the herd, the REST facade, the
//! clients, the benchmarks and every test fake) goes through these types;
//! no line is built or read with ad-hoc string code elsewhere. No I/O here.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod change;
pub mod client;
#[cfg(test)]
mod client_props;
pub mod codec;
pub mod coord;
pub mod coords;
pub mod digest;
pub mod fields;
pub mod gossip;
pub mod idem;
pub mod location;
pub mod medal;
pub mod order;
#[cfg(test)]
mod parser_props;
pub mod peer;
#[cfg(test)]
mod peer_props;
pub mod reply;
#[cfg(test)]
mod reply_props;
#[cfg(any(test, feature = "strategies"))]
pub mod strategies;
pub mod timestamp;
