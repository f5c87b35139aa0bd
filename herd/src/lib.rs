//! The herd: servers that take `IAMAT` location reports from clients, answer
//! `WHATSAT` with nearby places, and flood locations to each other so that
//! any server can answer for any client.
//!
//! Layout, one concept per module: [`server`] accepts clients (shedding the
//! longest-idle at a limit, see [`base::admission`]), [`connection`] reads
//! their lines and gathers the replies in a [`batch`], [`cmd`] applies each
//! client command (how commands and replies are written is the `proto`
//! crate's), [`db`] holds locations, [`peer`] keeps the links to
//! neighbours, [`places`] answers WHATSAT, the `olympic` crate holds medal
//! tallies and scores, [`status`] and [`metrics`] show how a server is
//! doing.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod batch;
pub mod cmd;
pub mod connection;
pub mod coord;
pub mod db;
pub mod deadlines;
pub mod heap;
pub mod metrics;
pub mod order;
pub mod peer;
pub mod places;
pub mod server;
pub mod shared;
pub mod sim;
pub mod status;
pub mod supervision;
pub mod up;
