//! Clients for the herd: the pieces behind `herd-client` (one command,
//! one reply).
//!
//! Layout, one concept per module: [`protocol`] builds command lines and
//! finds where a reply ends, [`exchange`] does the one-shot
//! write / half-close / read-to-EOF round, [`connection`] keeps a persistent
//! connection for request after request, and [`topology`] reads server
//! addresses from a topology file.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod connection;
pub mod exchange;
pub mod protocol;
pub mod topology;
