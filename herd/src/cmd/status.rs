//! `STATUS`: this server's health on one line ([`crate::status`] says what
//! it holds).

use super::Refused;
use crate::batch::Batch;
use proto::reply::Reply;

/// The `STATUS <json>` line.
pub fn apply(batch: &mut Batch<'_>) -> Result<(), Refused> {
    let status = crate::status::of(batch.stored());
    batch.reply(&Reply::Status(Box::new(status)));
    Ok(())
}
