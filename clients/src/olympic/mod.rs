//! Clients of the Olympic score service's REST facade: Cacofonix (the one
//! authorised updater) and the stone tablets (pull and push).
//!
//! [`facade`] wraps the REST endpoints, [`cacofonix`] decides what to send,
//! [`leaderboard`] what results it posts to the leaderboard service,
//! [`pull`] and [`push`] are the two tablet modes, [`latency`] records how
//! long each pull or push took, one file per tablet, and [`dispatcher`]
//! asks the dispatcher which front end a tablet should use.

pub mod cacofonix;
pub mod dispatcher;
pub mod facade;
pub mod latency;
pub mod leaderboard;
pub mod pull;
pub mod push;
