//! `WHATSAT`: places near another client's location.

use super::Refused;
use crate::batch::Batch;
use proto::client::WhatsAt;

/// The stored `AT` line, then the Places JSON, then a blank line; refused
/// when the client is still unknown after `limits.unknown_client_wait_ms`.
pub async fn apply(cmd: WhatsAt, batch: &mut Batch<'_>) -> Result<(), Refused> {
    let shared = batch.stored();
    let wait = shared.limits.unknown_client_wait();
    let location = shared
        .db
        .get_or_wait(cmd.client(), wait)
        .await
        .ok_or(Refused)?;
    let json = shared
        .places
        .nearby(location.coords(), cmd.radius_km(), cmd.bound())
        .await;
    WhatsAt::write_reply(batch.out(), &location, json.as_bytes());
    Ok(())
}
