//! The ordering glue of one server: connections hand each counted request
//! to the [`Orderer`] through a bounded channel (never waiting for the
//! order); the link read loops hand it ordering lines ([`handle`]); one
//! task ([`run`]) stamps and journals the requests taken, moves the engine
//! on, journals what it delivered and floods what it sends.
//!
//! When the channel is full, the connection has already written its reply
//! and then waits for room before reading its next line: a burst slows
//! its sender down, and nothing is dropped.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use proto::order::{Order, Stamped};
use proto::peer::Message;

use super::TICK;
use super::engine::{Engine, Output};
use super::journal::{CLOCK_RESERVE, Journal, JournalError};
use super::view::Observed;
use crate::shared::Shared;

/// Counted requests waiting for the ordering task.
pub const ORDER_QUEUE: usize = 16_384;

/// Most counted requests taken in one step.
pub const MAX_BATCH: usize = 1024;

/// One request to count: who made it, and what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// A tablet id or a client address (one field).
    pub tablet: String,
    /// E.g. `getMedalTally/Gaul`.
    pub request: String,
}

impl Counted {
    /// A request by `tablet`, with white space in either field replaced
    /// by `_` and each cut to [`proto::order::MAX_FIELD`] bytes, so it can
    /// travel as one field.
    pub fn new(tablet: &str, request: &str) -> Self {
        Self {
            tablet: proto::client::raffle::field(tablet),
            request: proto::client::raffle::field(request),
        }
    }
}

/// One server's ordering state, shared by its tasks.
#[derive(Debug)]
pub struct Orderer {
    /// Where connections hand counted requests.
    tx: mpsc::Sender<Counted>,
    /// The other end, taken once by [`run`].
    rx: Mutex<Option<mpsc::Receiver<Counted>>>,
    /// The state machine, locked for a few steps, never across an await.
    engine: Mutex<Engine>,
    /// The journal, if the server has a data directory.
    journal: Option<Arc<Mutex<Journal>>>,
}

impl Orderer {
    /// An orderer for `me` of `servers` that journals nothing (tests and
    /// simulations).
    pub fn in_memory(me: &str, servers: &[String], config: &base::topology::RaffleConfig) -> Self {
        Self::with(engine(me, servers, config), None)
    }

    /// An orderer for `me` of `servers` journaling in `data_dir`, with
    /// what the journal held put back.
    pub fn open(
        me: &str,
        servers: &[String],
        config: &base::topology::RaffleConfig,
        data_dir: &Path,
    ) -> Result<Self, JournalError> {
        let (journal, restored) = Journal::open(data_dir, me)?;
        let mut engine = engine(me, servers, config);
        engine.restore(restored, Instant::now());
        tracing::info!(
            event = "raffle_restored",
            ordered = engine.raffle().ordered(),
            view = engine.view().id,
            pending = engine.pending()
        );
        Ok(Self::with(engine, Some(Arc::new(Mutex::new(journal)))))
    }

    fn with(engine: Engine, journal: Option<Arc<Mutex<Journal>>>) -> Self {
        let (tx, rx) = mpsc::channel(ORDER_QUEUE);
        Self {
            tx,
            rx: Mutex::new(Some(rx)),
            engine: Mutex::new(engine),
            journal,
        }
    }

    fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `counted` to the ordering task if there is room; gives it
    /// back when the channel is full (then [`Orderer::submit`] it once the
    /// reply is written).
    pub fn offer(&self, counted: Counted) -> Option<Counted> {
        match self.tx.try_send(counted) {
            Ok(()) => None,
            Err(mpsc::error::TrySendError::Full(c)) => Some(c),
            Err(mpsc::error::TrySendError::Closed(c)) => {
                tracing::warn!(event = "raffle_not_counted", request = %c.request, "the ordering task has stopped");
                None
            }
        }
    }

    /// Waits for room and hands `counted` over.
    pub async fn submit(&self, counted: Counted) {
        if let Err(e) = self.tx.send(counted).await {
            tracing::warn!(event = "raffle_not_counted", request = %e.0.request, "the ordering task has stopped");
        }
    }

    /// `RAFFLE` and `GET /raffle`: the count, the view, the entries and
    /// the winner, as one line of JSON.
    pub fn raffle_json(&self) -> String {
        let engine = self.engine();
        let raffle = engine.raffle();
        json!({
            "ordered": raffle.ordered(),
            "every": raffle.every(),
            "view": {"id": engine.view().id, "members": engine.view().members},
            "entries": raffle.entries(),
            "winner": raffle.winner(),
        })
        .to_string()
    }

    /// The view, the count and the hold-back queue's length, for tests and
    /// status.
    pub fn summary(&self) -> (super::View, u64, usize) {
        let engine = self.engine();
        (
            engine.view().clone(),
            engine.raffle().ordered(),
            engine.pending(),
        )
    }
}

fn engine(me: &str, servers: &[String], config: &base::topology::RaffleConfig) -> Engine {
    let first = (proto::timestamp::now_nanos() / 1_000) as u64;
    Engine::new(
        me,
        servers,
        config.every,
        Duration::from_millis(config.suspect_ms),
        Instant::now(),
        first,
    )
}

/// Handles an ordering line from neighbour `from`: forwards it to every
/// other neighbour the first time. What it left to send or deliver goes
/// out on the task's next tick.
pub fn handle(shared: &Shared, from: &str, line: Order) {
    let first = shared.order.engine().receive(&line, Instant::now());
    if first {
        shared.peers.flood_update(&Message::Order(line), Some(from));
    }
}

/// Orders until `shutdown`: every [`TICK`], takes the counted requests
/// queued, journals them (one fsync), moves the engine on, journals its
/// deliveries (one fsync) and floods its lines.
pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) {
    let Some(mut rx) = shared
        .order
        .rx
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    else {
        return;
    };
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        // One step per tick: its requests share one fsync, its deliveries
        // another, however many arrived.
        tokio::select! {
            _ = ticks.tick() => {}
            () = shutdown.cancelled() => return,
        }
        while batch.len() < MAX_BATCH
            && let Ok(counted) = rx.try_recv()
        {
            batch.push(counted);
        }
        let taken = take(&shared, &mut batch);
        let clock = shared.order.engine().clock();
        journal_taken(&shared, taken, clock).await;
        let output = {
            let mut engine = shared.order.engine();
            let observed = observe(&shared);
            engine.observe(Instant::now(), &observed);
            engine.tick(Instant::now());
            engine.drain()
        };
        journal_delivered(&shared, &output).await;
        for line in output.send {
            shared.peers.flood_update(&Message::Order(line), None);
        }
    }
}

/// Stamps the counted requests gathered.
fn take(shared: &Shared, batch: &mut Vec<Counted>) -> Vec<Stamped> {
    if batch.is_empty() {
        return Vec::new();
    }
    let mut engine = shared.order.engine();
    batch
        .drain(..)
        .map(|c| engine.take(&c.tablet, &c.request))
        .collect()
}

/// What coordination says now.
fn observe(shared: &Shared) -> Observed {
    let view = shared.coord.view();
    Observed {
        leader: shared.coord.is_leader(),
        majority: view.majority,
        side: shared.coord.side(),
    }
}

/// Makes the requests taken durable before anything is sent, and
/// reserves the clock ahead. A failed write is logged: the server goes on
/// ordering, but what it took since is not durable.
async fn journal_taken(shared: &Arc<Shared>, taken: Vec<Stamped>, clock: u64) {
    let Some(journal) = shared.order.journal.clone() else {
        return;
    };
    let reserved = journal
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .reserved();
    if taken.is_empty() && clock + CLOCK_RESERVE / 2 < reserved {
        return;
    }
    let me = shared.name.clone();
    let written = tokio::task::spawn_blocking(move || {
        journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .taken(&me, &taken, clock)
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        tracing::error!(event = "raffle_journal_failed", what = "taken");
    }
}

/// Makes the deliveries and views durable.
async fn journal_delivered(shared: &Arc<Shared>, output: &Output) {
    let Some(journal) = shared.order.journal.clone() else {
        return;
    };
    if output.delivered.is_empty() && output.views.is_empty() {
        return;
    }
    for d in &output.delivered {
        if let Some(e) = &d.entry {
            tracing::info!(event = "raffle_entry", position = e.position, tablet = %e.tablet, request = %e.request, server = %e.server, lamport = e.lamport);
        }
    }
    let delivered = output.delivered.clone();
    let views = output.views.clone();
    let written = tokio::task::spawn_blocking(move || {
        journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .delivered(&delivered, &views)
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        tracing::error!(event = "raffle_journal_failed", what = "delivered");
    }
}
