//! The bench harness `herd-bench` and `olympic-bench` share.

pub mod stats;
