//! Counting every Olympic REST request once: a middleware notes the
//! request (its requester and its operation) in a bounded queue, and a
//! task reports the queue to the herd in `COUNT` batches.
//!
//! The requester is the `Tablet-Id` header, else the `tablet` query
//! parameter, else the client's address. The operation is the path's
//! first two segments (`getMedalTally/Gaul`, `incrementMedalTally/Gaul`,
//! `setScore/Javelin`, `registerClient/<client>`): ids after them never
//! leave the facade.
//!
//! When the queue is full, a request waits up to [`COUNT_WAIT`] for room
//! after its answer is made; past that it is logged as not counted and
//! added to `facade_raffle_uncounted_total`. While the herd is
//! unreachable, a batch is retried every [`RETRY_EVERY`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use proto::client::raffle::{MAX_COUNT, field};
use proto::client::{RaffleCommand, RaffleReply};

use super::link::RaffleLink;

/// Requests noted and not yet reported.
pub const COUNT_QUEUE: usize = 65_536;

/// Longest a request waits for room in a full queue.
pub const COUNT_WAIT: Duration = Duration::from_secs(1);

/// How often a batch the herd did not take is sent again.
pub const RETRY_EVERY: Duration = Duration::from_millis(200);

/// The header naming the requester.
pub const TABLET_HEADER: &str = "tablet-id";

/// The paths counted: the Olympic operations.
const COUNTED: [&str; 5] = [
    "getMedalTally",
    "getScore",
    "incrementMedalTally",
    "setScore",
    "registerClient",
];

/// The facade's side of the count.
pub struct Counter {
    tx: mpsc::Sender<(String, String)>,
    /// Requests that found the queue full for [`COUNT_WAIT`].
    uncounted: AtomicU64,
}

impl Counter {
    /// A counter reporting through `link` until `shutdown`.
    pub fn start(link: Arc<RaffleLink>, shutdown: CancellationToken) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(COUNT_QUEUE);
        tokio::spawn(report(link, rx, shutdown));
        Arc::new(Self {
            tx,
            uncounted: AtomicU64::new(0),
        })
    }

    /// Requests that could not be counted.
    pub fn uncounted(&self) -> u64 {
        self.uncounted.load(Ordering::Relaxed)
    }

    async fn note(&self, tablet: String, request: String) {
        let sent = match self.tx.try_send((tablet, request)) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Full(pair)) => {
                tokio::time::timeout(COUNT_WAIT, self.tx.send(pair)).await
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        };
        if !matches!(sent, Ok(Ok(()))) {
            self.uncounted.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(event = "raffle_not_counted", "the count queue stayed full");
        }
    }
}

/// The operation `path` counts as, if it is an Olympic one.
pub fn operation(path: &str) -> Option<String> {
    let mut segments = path.trim_start_matches('/').split('/');
    let verb = segments.next()?;
    let what = segments.next()?;
    COUNTED
        .contains(&verb)
        .then(|| field(&format!("{verb}/{what}")))
}

/// Who made `request`: the `Tablet-Id` header, the `tablet` query
/// parameter, or the client's address.
fn requester(request: &Request) -> String {
    if let Some(id) = request
        .headers()
        .get(TABLET_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return field(id);
    }
    let query = request.uri().query().unwrap_or("");
    if let Some((_, tablet)) = url_pairs(query).find(|(k, _)| k == "tablet") {
        return field(&tablet);
    }
    request
        .extensions()
        .get::<SocketAddr>()
        .map_or_else(|| "-".to_owned(), SocketAddr::to_string)
}

fn url_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
}

/// The middleware: answers the request, then notes it if it is counted.
pub async fn count_olympic(
    State(counter): State<Arc<Counter>>,
    request: Request,
    next: Next,
) -> Response {
    let noted = operation(request.uri().path()).map(|op| (requester(&request), op));
    let response = next.run(request).await;
    if let Some((tablet, op)) = noted {
        counter.note(tablet, op).await;
    }
    response
}

/// Reports noted requests in batches of up to [`MAX_COUNT`].
async fn report(
    link: Arc<RaffleLink>,
    mut rx: mpsc::Receiver<(String, String)>,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::with_capacity(MAX_COUNT);
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batch, MAX_COUNT) => if n == 0 { return },
            () = shutdown.cancelled() => return,
        }
        let command = RaffleCommand::Count(std::mem::take(&mut batch));
        loop {
            match link.call(&command).await {
                Ok(RaffleReply::Counted(_)) => break,
                Ok(other) => tracing::warn!(event = "raffle_count_refused", reply = ?other),
                Err(e) => tracing::warn!(event = "raffle_count_failed", error = %e),
            }
            tokio::select! {
                () = tokio::time::sleep(RETRY_EVERY) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_olympic_paths_count_and_ids_after_the_operation_stay_out() {
        assert_eq!(
            operation("/getMedalTally/Gaul").as_deref(),
            Some("getMedalTally/Gaul")
        );
        assert_eq!(
            operation("/incrementMedalTally/Gaul/gold/secret").as_deref(),
            Some("incrementMedalTally/Gaul")
        );
        assert_eq!(operation("/raffle"), None);
        assert_eq!(operation("/health"), None);
        assert_eq!(operation("/getMedalTally"), None);
    }
}
