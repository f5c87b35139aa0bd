//! The facade: a stateless HTTP REST front end for the herd's Olympic score
//! service. It holds no scores; every endpoint is one command of the herd's
//! line protocol (docs/PROTOCOL.md), sent to a herd server's client port.
//! docs/REST.md describes the endpoints.
//!
//! Layout, one concept per module: [`servers`] picks the herd server and
//! fails over, [`herd_link`] pipelines requests over a small connection pool,
//! [`catalog`] caches teams and events, [`protocol`] reads and writes herd
//! lines, [`subscriber`] turns `UPDATE` lines into [`push`]es and SSE through
//! the [`board`] of current values, [`registrations`] keeps pushes' tablets
//! across restarts, [`api`]
//! serves HTTP, [`listener`] accepts connections without letting any client
//! lock the others out, [`server`] wires it all together.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod board;
pub mod catalog;
pub mod config;
pub mod health;
pub mod herd_link;
pub mod in_flight;
pub mod json_rejections;
pub mod listener;
pub mod logging;
pub mod metrics;
pub mod protocol;
pub mod push;
pub mod raffle;
pub mod registrations;
pub mod replicas;
pub mod reply_lines;
pub mod server;
pub mod servers;
pub mod subscriber;
pub mod version;
pub mod view;
