//! Proof that a herd's links carry floods end to end before anything is
//! measured: a location reported at each server must reach every other.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::bail;
use tokio::time::Instant;

use crate::connection::Connection;
use crate::harness::START_TIMEOUT;
use crate::harness::herd::Herd;
use crate::herd_bench::probe::poll_until_known;
use proto::client::IAmAt;
use proto::reply::frame::{Shape, is_at};
use proto::timestamp::{format_posix, now_nanos};

/// Reports one location at each server of `herd` and waits until every
/// other server knows it, failing after [`START_TIMEOUT`].
pub async fn wait_floods(herd: &mut Herd) -> anyhow::Result<()> {
    let result = wait_floods_at(&herd.addrs).await;
    if result.is_err() {
        herd.check_alive()?;
    }
    result
}

/// [`wait_floods`] for any herd: the servers' client addresses, by name.
pub async fn wait_floods_at(addrs: &BTreeMap<String, SocketAddr>) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    for (name, addr) in addrs {
        let client = format!("bench-ready-{name}");
        let mut conn = Connection::connect(*addr).await?;
        let line = IAmAt::line(&client, super::COORDS, &format_posix(now_nanos()));
        let reply = conn.request(line.as_bytes(), Shape::Line).await?;
        if !is_at(&reply) {
            bail!(
                "{name} answered IAMAT with {:?}",
                String::from_utf8_lossy(&reply)
            );
        }
        for (other, other_addr) in addrs {
            let mut conn = Connection::connect(*other_addr).await?;
            if poll_until_known(&mut conn, &client, deadline, &mut Vec::new())
                .await?
                .is_none()
            {
                bail!("a location reported at {name} never reached {other}");
            }
        }
    }
    Ok(())
}
