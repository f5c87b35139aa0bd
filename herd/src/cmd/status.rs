//! `STATUS`: this server's health on one line, `STATUS` and compact JSON
//! (see [`crate::status`] for what it holds).

use bytes::Bytes;

use crate::shared::Shared;
use crate::status::Status;

/// A parsed STATUS; it takes no operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusQuery;

impl StatusQuery {
    /// No operands.
    pub fn parse<'a>(mut it: impl Iterator<Item = &'a [u8]>) -> Option<Self> {
        it.next().is_none().then_some(StatusQuery)
    }

    /// The `STATUS <json>` line.
    pub fn apply(self, shared: &Shared) -> Bytes {
        Status::of(shared).line()
    }
}
