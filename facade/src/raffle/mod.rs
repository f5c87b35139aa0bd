//! The raffle at the facade (docs/REST.md, "The raffle"): `GET /raffle`,
//! `POST /raffle/draw/{auth_id}`, and the count of every Olympic REST
//! request, reported to the herd in `COUNT` batches whatever path the
//! request took (answered from the read view or forwarded). The facade's
//! own herd connections open with `RELAY`, so the herd does not count the
//! Olympic verbs the facade forwards a second time.

pub mod count;
pub mod link;
pub mod routes;

pub use count::{Counter, count_olympic};
pub use link::{RaffleLink, relay};
pub use routes::{draw, show};
