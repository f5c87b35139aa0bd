//! Clients for the herd: the pieces shared by `herd-client` (one command,
//! one reply) and `herd-bench` (a load generator that compares the herd
//! with a minimal baseline server).
//!
//! Layout, one concept per module: [`protocol`] builds command lines and
//! finds where a reply ends, [`exchange`] does the one-shot
//! write / half-close / read-to-EOF round, [`connection`] keeps a persistent
//! connection for request after request, [`baseline`] is the stateless
//! reference server, [`harness`] what both benchmarks share, [`topology`]
//! reads server addresses from a topology file, [`herd_bench`] holds the
//! benchmark's processes, measurements and report, [`olympic`] the REST
//! facade's clients, and [`olympic_bench`] the facade's benchmark.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod baseline;
pub mod connection;
pub mod exchange;
pub mod flags;
pub mod harness;
pub mod herd_bench;
pub mod olympic;
pub mod olympic_bench;
pub mod protocol;
pub mod signal;
pub mod topology;
