//! The dispatcher: lab 2's load balancer for the front-end tier. Each
//! tablet asks `GET /assign/{clientID}` and is given the healthy front end
//! (a facade) with the fewest clients; the assignment is remembered under a
//! lease, front ends are health-checked, and a client whose front end died
//! is moved when it asks again. docs/REST.md ("The dispatcher") documents
//! the endpoints.
//!
//! Layout: [`assignments`] holds the rules (no I/O), [`health`] checks the
//! front ends, [`api`] serves HTTP, [`config`] reads the command line,
//! [`server`] wires them together.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod assignments;
pub mod config;
pub mod health;
pub mod server;
