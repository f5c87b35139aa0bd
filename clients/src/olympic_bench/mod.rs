//! The benchmark behind `olympic-bench`: the REST facade of the Olympic
//! score service, measured end to end against real `herd` processes, on
//! the shared [`crate::harness`].
//!
//! [`run`] takes every measurement; [`baseline`] is the minimal axum server
//! the facade's reads are compared with, [`stack`] starts the herd and the
//! facade, [`http_load`] is the HTTP load generator used for both,
//! [`tablets`] hosts the push receivers and times each `setScore` round,
//! [`tally`] checks the count after the increments, [`fds`] raises the
//! open-file limit that a thousand tablets need, and [`report`] prints the
//! summary and the markdown table. [`sweep`] measures pull and push at 1 to
//! 1,000 tablets for the charts of [`crate::plot`].

pub mod baseline;
pub mod fds;
pub mod http_load;
pub mod report;
pub mod run;
pub mod stack;
pub mod sweep;
pub mod tablets;
pub mod tally;

/// The team whose tally is read and incremented.
pub const TEAM: &str = "Gaul";

/// The medal the increments add.
pub const MEDAL: &str = "gold";

/// The event whose score is set and pushed.
pub const EVENT: &str = "curling";
