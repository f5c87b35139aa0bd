//! The Olympic leaderboard: internal services post an athlete's result in
//! an event, and anyone reads the ten athletes with the best average points.
//!
//! One concept per module: [`result`] is a posted result, its checks and
//! its points (the seed's table), [`standing`] an athlete's line and the
//! order of the board, [`store`] the storage trait with its two
//! implementations (an embedded log, the default, and Redis), and [`api`]
//! the HTTP routes over any store. The binary in `main.rs` only reads the
//! command line and picks the store.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod result;
pub mod standing;
pub mod store;

pub use result::{Recorded, ResultPost};
pub use standing::{Standing, TOP};
pub use store::{Applied, Store, StoreError};
