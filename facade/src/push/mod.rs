//! Server push: the registry of tablets per event or team, and the HTTP GETs
//! that bring every score or tally update to them.
//!
//! Each registration (a tablet and one event or team) has its own worker task
//! and its own small queue, so a slow or dead tablet only ever delays itself:
//! publishing an update just appends to the queues and returns. Its pushes
//! arrive in order; when one falls more than [`TABLET_QUEUE`] updates behind,
//! the oldest are dropped (every update carries the topic's full state). A
//! registration whose pushes fail [`PushConfig::drop_after`] updates in a row
//! is removed from the registry. Every change to the registry wakes
//! [`Pusher::changed`], which `registrations` uses to keep its file current.
//! What a tablet's address may be and which URL a push GETs is [`address`].

mod address;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::board::{Change, Topic};

use address::change_url;
pub use address::{medal_push_url, parse_client_id, push_url};

/// Updates queued per tablet before the oldest is dropped.
pub const TABLET_QUEUE: usize = 16;

/// Push behaviour; the defaults are what the binary uses.
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// Deadline of one GET to a tablet, connect included.
    pub timeout: Duration,
    /// Further tries of one update after the first fails.
    pub retries: u32,
    /// Pause before the first retry; doubled before each further one.
    pub retry_backoff: Duration,
    /// Failed updates in a row after which a tablet is dropped.
    pub drop_after: u32,
    /// Most tablets registered for one event or team.
    pub max_per_event: usize,
    /// Most GETs in flight at once, over all tablets.
    pub concurrency: usize,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            retries: 2,
            retry_backoff: Duration::from_millis(100),
            drop_after: 3,
            max_per_event: 1024,
            concurrency: 64,
        }
    }
}

/// The event or team already has [`PushConfig::max_per_event`] tablets.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too many tablets are registered for this event or team")]
pub struct RegistryFull;

/// One registration: a tablet and what it follows.
struct Tablet {
    /// Its push address, `host:port`.
    client: String,
    /// The event or team it registered for.
    topic: Topic,
    /// Updates not yet pushed, oldest first. Never held across `.await`.
    queue: Mutex<VecDeque<Arc<Change>>>,
    /// Wakes the worker when the queue gains an update.
    wake: Notify,
    /// Cancelled when the tablet is dropped or the facade stops.
    gone: CancellationToken,
}

/// What every worker shares.
struct Shared {
    http: reqwest::Client,
    config: PushConfig,
    /// Bounds GETs in flight over all tablets.
    permits: Semaphore,
    /// Tablets by topic, in registration order. A std mutex, never held
    /// across `.await`.
    registry: Mutex<HashMap<Topic, Vec<Arc<Tablet>>>>,
    /// Woken whenever a registration is added or dropped.
    changed: Notify,
}

/// The registry and its workers.
pub struct Pusher {
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl Pusher {
    /// An empty registry. Workers stop when `shutdown` is cancelled.
    pub fn new(config: PushConfig, shutdown: CancellationToken) -> reqwest::Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(config.timeout)
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            shared: Arc::new(Shared {
                http,
                permits: Semaphore::new(config.concurrency),
                config,
                registry: Mutex::new(HashMap::new()),
                changed: Notify::new(),
            }),
            shutdown,
            tracker: TaskTracker::new(),
        })
    }

    /// Registers `client` (see [`parse_client_id`]) for updates of `topic`
    /// (canonical names). Returns `false` if it already was.
    pub fn register(&self, topic: &Topic, client: &str) -> Result<bool, RegistryFull> {
        let mut registry = self.shared.registry.lock().unwrap();
        let tablets = registry.entry(topic.clone()).or_default();
        if tablets.iter().any(|t| t.client == client) {
            return Ok(false);
        }
        if tablets.len() >= self.shared.config.max_per_event {
            return Err(RegistryFull);
        }
        let tablet = Arc::new(Tablet {
            client: client.to_owned(),
            topic: topic.clone(),
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            gone: self.shutdown.child_token(),
        });
        tablets.push(tablet.clone());
        self.tracker
            .spawn(run_tablet(self.shared.clone(), tablet.clone()));
        drop(registry);
        self.shared.changed.notify_one();
        info!(client = %client, topic = ?topic, "tablet registered");
        Ok(true)
    }

    /// Queues `change` for every tablet of its topic and returns at once.
    pub fn publish(&self, change: &Arc<Change>) {
        let registry = self.shared.registry.lock().unwrap();
        let Some(tablets) = registry.get(&change.item.topic()) else {
            return;
        };
        for tablet in tablets {
            let mut queue = tablet.queue.lock().unwrap();
            if queue.len() >= TABLET_QUEUE {
                queue.pop_front();
                debug!(client = %tablet.client, "tablet behind; oldest update dropped");
            }
            queue.push_back(change.clone());
            drop(queue);
            tablet.wake.notify_one();
        }
    }

    /// The push addresses registered for `topic`, in registration order.
    pub fn tablets(&self, topic: &Topic) -> Vec<String> {
        let registry = self.shared.registry.lock().unwrap();
        registry
            .get(topic)
            .map(|ts| ts.iter().map(|t| t.client.clone()).collect())
            .unwrap_or_default()
    }

    /// Every registration, as (topic, push address), in topic order.
    pub fn registrations(&self) -> Vec<(Topic, String)> {
        let registry = self.shared.registry.lock().unwrap();
        let mut all: Vec<(Topic, String)> = registry
            .iter()
            .flat_map(|(topic, ts)| ts.iter().map(|t| (topic.clone(), t.client.clone())))
            .collect();
        drop(registry);
        all.sort();
        all
    }

    /// Waits until a registration is added or dropped (at once if one was
    /// since the last call).
    pub async fn changed(&self) {
        self.shared.changed.notified().await;
    }

    /// Waits for every worker to finish (after the shutdown token was cancelled).
    pub async fn stopped(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }
}

/// One tablet's worker: pushes its queue in order until the tablet is gone.
async fn run_tablet(shared: Arc<Shared>, tablet: Arc<Tablet>) {
    let mut failures = 0;
    loop {
        let next = tablet.queue.lock().unwrap().pop_front();
        let Some(change) = next else {
            tokio::select! {
                () = tablet.gone.cancelled() => return,
                () = tablet.wake.notified() => continue,
            }
        };
        let delivered = tokio::select! {
            () = tablet.gone.cancelled() => return,
            ok = deliver(&shared, &tablet, &change) => ok,
        };
        if delivered {
            failures = 0;
            continue;
        }
        failures += 1;
        warn!(client = %tablet.client, topic = ?tablet.topic, failures, "push failed");
        if failures >= shared.config.drop_after {
            let mut registry = shared.registry.lock().unwrap();
            if let Some(tablets) = registry.get_mut(&tablet.topic) {
                tablets.retain(|t| !Arc::ptr_eq(t, &tablet));
            }
            drop(registry);
            shared.changed.notify_one();
            tablet.gone.cancel();
            warn!(client = %tablet.client, topic = ?tablet.topic, "tablet dropped after repeated failures");
            return;
        }
    }
}

/// One update to one tablet, with retries. True if the tablet answered 2xx.
async fn deliver(shared: &Shared, tablet: &Tablet, change: &Change) -> bool {
    let Some(url) = change_url(&tablet.client, change) else {
        return false;
    };
    let mut pause = shared.config.retry_backoff;
    for attempt in 0..=shared.config.retries {
        if attempt > 0 {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
        let Ok(_permit) = shared.permits.acquire().await else {
            return false;
        };
        let sent = shared
            .http
            .get(url.clone())
            .timeout(shared.config.timeout)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                debug!(client = %tablet.client, topic = ?tablet.topic, "pushed");
                return true;
            }
            Ok(response) => {
                debug!(client = %tablet.client, status = response.status().as_u16(), attempt, "push refused");
            }
            Err(e) => debug!(client = %tablet.client, error = %e, attempt, "push failed"),
        }
    }
    false
}
