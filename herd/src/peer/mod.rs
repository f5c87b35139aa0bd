//! Links to neighbouring servers. (Placeholder until the links land.)

pub mod message;

use std::sync::Arc;

use crate::location::Location;

/// Outgoing side of every link.
#[derive(Debug)]
pub struct Peers {}

impl Peers {
    /// No links yet.
    pub fn new(_neighbours: Vec<String>, _queue: usize) -> Self {
        Self {}
    }

    /// Sends `location` to every neighbour except `from`.
    pub fn flood(&self, _location: &Arc<Location>, _from: Option<&str>) {}
}
