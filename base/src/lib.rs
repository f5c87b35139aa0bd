//! What every herd binary needs besides the server itself: the topology
//! file ([`topology`]), logging set-up, the log writer and rotation
//! ([`logging`]), signals ([`signal`]), the open-file limit ([`fdlimit`]),
//! holding many client connections without letting any client lock the
//! others out ([`admission`], [`activity`]), child processes that die
//! with their owner, for the benchmarks and tests ([`process`]), a child
//! that dies with its parent ([`parent`]), the latency buckets every
//! service reports in ([`latency`]), and binding and stopping a network
//! service ([`service`]).
//!
//! The herd, the REST facade, the clients and the benchmarks all use it,
//! so none of them needs to pull in the server to read a topology or to
//! log.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod activity;
pub mod admission;
pub mod fdlimit;
pub mod latency;
pub mod logging;
pub mod parent;
pub mod process;
pub mod service;
pub mod signal;
pub mod topology;
