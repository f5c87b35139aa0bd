//! `VERSION`: the operations of the Olympic state this server has applied,
//! as a version vector (highest operation number per origin). Read at the
//! moment the command is applied, so a `VERSION` sent after a write's reply
//! arrived covers that write, and one sent before a read on the same
//! connection is covered by what the read returns.

use super::Refused;
use crate::batch::Batch;
use proto::client::Version;
use proto::reply::Reply;

/// The `VERSION <origin> <seq> ...` line.
pub fn apply(batch: &mut Batch<'_>) -> Result<(), Refused> {
    let vector = batch.stored().olympics.version_vector();
    batch.reply(&Reply::Version(Version(vector.into_iter().collect())));
    Ok(())
}
