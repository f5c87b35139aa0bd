//! `LEADER` and `TIME`: the leader of this server's side and its term, and
//! this server's synchronised clock and offset ([`crate::coord`]).

use super::Refused;
use crate::batch::Batch;
use proto::client::CoordQuery;
use proto::reply::{LeaderReply, Reply, TimeReply};

/// `LEADER <name> <term>` or `TIME <name> <time> <offset_ns>`.
pub fn apply(query: CoordQuery, batch: &mut Batch<'_>) -> Result<(), Refused> {
    let shared = batch.stored();
    let reply = match query {
        CoordQuery::Leader => {
            let view = shared.coord.view();
            Reply::Leader(LeaderReply {
                leader: view.leader,
                term: view.term,
            })
        }
        CoordQuery::Time => Reply::Time(TimeReply {
            server: shared.name.clone(),
            clock_ns: shared.coord.now_ns(),
            offset_ns: shared.coord.clock().offset_ns(),
        }),
    };
    batch.reply(&reply);
    Ok(())
}
