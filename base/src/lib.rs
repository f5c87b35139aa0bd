//! What every herd binary needs besides the server itself: the topology
//! file ([`topology`]), logging set-up, the log writer and rotation
//! ([`logging`]), signals ([`signal`]), the open-file limit ([`fdlimit`]),
//! and holding many client connections without letting any client lock
//! the others out ([`admission`], [`activity`]).
//!
//! The herd, the REST facade, the clients and the benchmarks all use it,
//! so none of them needs to pull in the server to read a topology or to
//! log.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod activity;
pub mod admission;
pub mod fdlimit;
pub mod logging;
pub mod signal;
pub mod topology;
