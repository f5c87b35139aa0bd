//! Whole-herd tests of the peer side: real `peer::run` tasks on loopback,
//! every wait bounded, every task shut down at the end.

mod auth;
mod election;
mod flood;
pub(crate) mod harness;
mod logs;
mod props;
mod recovery;
mod repair;
mod spreading;
