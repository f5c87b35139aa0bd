//! Clients for the herd and its REST facade, behind seven binaries:
//! `herd-client` (one command, one reply), `herd-bench` and `olympic-bench`
//! (benchmarks against minimal baselines), `clock-bench` (clock
//! synchronisation), `cacofonix` (the updater), `tablet` and `tablets`
//! (score displays).
//!
//! Layout, one concept per module (the wire grammar itself, command lines
//! and where a reply ends, is `proto`'s): [`exchange`] does the one-shot
//! write / half-close / read-to-EOF round, [`connection`] keeps a persistent
//! connection for request after request, [`topology`] reads server
//! addresses from a topology file, [`flags`] reads command-line values the
//! binaries share, [`signal`] waits for Ctrl-C or SIGTERM, and [`olympic`]
//! holds the REST facade's clients. [`harness`] is what both benchmarks
//! share (processes, run directory, topology, load window, percentiles,
//! report table); [`herd_bench`] with [`baseline`] (the stateless reference
//! server) is what `herd-bench` measures, and [`olympic_bench`] what
//! `olympic-bench` measures; [`plot`] draws its pull-versus-push charts from
//! tablets' latency files. `clock-bench` measures clock synchronisation
//! ([`clock_bench`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod baseline;
pub mod clock_bench;
pub mod connection;
pub mod exchange;
pub mod flags;
pub mod harness;
pub mod herd_bench;
pub mod olympic;
pub mod olympic_bench;
pub mod plot;
pub mod signal;
pub mod topology;
