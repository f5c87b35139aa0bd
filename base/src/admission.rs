//! The live client connections of one listener, so that at a connection
//! limit the connection idle the longest is closed to make room, instead of
//! the newest client being refused.
//!
//! Every accepted connection registers with its source address and gets an
//! [`Activity`] (when it last did something useful, and whether a request is
//! in flight) and a cancellation token. Registering never fails: if the
//! source then holds more than its share (`max_per_source`), that source's
//! longest-idle connection is shed; if the listener then holds more than
//! `max_connections`, the longest-idle connection of all is shed. One address
//! can thus only ever shed its own connections until the whole listener is
//! full. Idle connections are shed before busy ones; among them, the one
//! whose last activity is oldest goes (a connection that never did anything
//! counts from its accept). Finding it is a scan of the live connections,
//! which only happens at a limit.
//!
//! [`Registry::accept`] is the accept step of the herd's client port and of
//! the REST facade.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub use crate::activity::{Activity, InFlight};

/// Pause after a failed `accept` (for example, out of file descriptors), so
/// the loop does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Why a connection was shed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShedReason {
    /// The listener was at `max_connections`.
    MaxConnections,
    /// The connection's source address was at `max_per_source`.
    MaxPerSource,
}

impl fmt::Display for ShedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ShedReason::MaxConnections => "max_connections",
            ShedReason::MaxPerSource => "max_per_source",
        })
    }
}

/// A connection closed to make room for a new one, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shed {
    /// The shed connection's id.
    pub id: u64,
    /// Its source address.
    pub source: IpAddr,
    /// Which limit made room necessary.
    pub reason: ShedReason,
    /// How long it had been idle.
    pub idle: Duration,
}

/// One live connection as the registry sees it.
#[derive(Debug)]
struct Entry {
    source: IpAddr,
    activity: Arc<Activity>,
    cancel: CancellationToken,
}

/// The live connections, behind a std mutex that is never held across an
/// `.await` (every method is synchronous).
#[derive(Debug, Default)]
struct Live {
    next_id: u64,
    entries: HashMap<u64, Entry>,
    per_source: HashMap<IpAddr, usize>,
}

impl Live {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.entries.remove(&id)?;
        if let Some(count) = self.per_source.get_mut(&entry.source) {
            *count -= 1;
            if *count == 0 {
                self.per_source.remove(&entry.source);
            }
        }
        Some(entry)
    }

    /// The connection to shed among those `eligible`, never `keep`.
    fn victim(&self, keep: u64, eligible: impl Fn(&Entry) -> bool) -> Option<u64> {
        self.entries
            .iter()
            .filter(|(id, entry)| **id != keep && eligible(entry))
            .min_by_key(|(id, entry)| (entry.activity.shed_key(), **id))
            .map(|(id, _)| *id)
    }

    /// Removes and cancels `id`, describing it for the log.
    fn shed(&mut self, id: u64, reason: ShedReason) -> Option<Shed> {
        let entry = self.remove(id)?;
        entry.cancel.cancel();
        Some(Shed {
            id,
            source: entry.source,
            reason,
            idle: entry.activity.idle(),
        })
    }
}

/// The live connections of one listener and its limits.
#[derive(Debug)]
pub struct Registry {
    /// Connections held at once; past it the longest-idle one is shed.
    max_connections: usize,
    /// Connections held at once from one source address.
    max_per_source: usize,
    /// Clock origin of every [`Activity`].
    epoch: Instant,
    live: Mutex<Live>,
}

/// A connection admitted by [`Registry::admit`].
#[derive(Debug)]
pub struct Admitted {
    /// Deregisters the connection when dropped; its id names it in logs.
    pub registration: Registration,
    /// Where the connection's task records what it does.
    pub activity: Arc<Activity>,
    /// Cancelled when the connection is shed.
    pub cancel: CancellationToken,
    /// The connections shed to make room for this one (at most two).
    pub shed: Vec<Shed>,
}

impl Admitted {
    /// Logs each connection shed to admit this one, as `client_shed` (at
    /// info: shedding is the limit working, and an attack must not flood
    /// standard error).
    pub fn log_shed(&self) {
        for shed in &self.shed {
            tracing::info!(
                event = "client_shed",
                conn = shed.id,
                from = %shed.source,
                reason = %shed.reason,
                idle_ms = u64::try_from(shed.idle.as_millis()).unwrap_or(u64::MAX),
                for_conn = self.registration.id()
            );
        }
    }
}

/// A registered connection; dropping it removes it from the registry.
#[derive(Debug)]
pub struct Registration {
    id: u64,
    registry: Arc<Registry>,
}

impl Registration {
    /// The connection's id, unique within its registry.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.lock().remove(self.id);
    }
}

impl Registry {
    /// An empty registry with these limits (each at least 1).
    pub fn new(max_connections: usize, max_per_source: usize) -> Arc<Self> {
        Arc::new(Self {
            max_connections: max_connections.max(1),
            max_per_source: max_per_source.max(1),
            epoch: Instant::now(),
            live: Mutex::new(Live::default()),
        })
    }

    /// As [`Registry::new`], with `max_connections` lowered (and a warning
    /// logged) if the open-file limit cannot hold that many.
    pub fn within_fd_limit(max_connections: usize, max_per_source: usize) -> Arc<Self> {
        let clamped = crate::fdlimit::clamp_connections(max_connections);
        if clamped < max_connections {
            tracing::warn!(
                event = "max_connections_lowered",
                configured = max_connections,
                max_connections = clamped,
                reason = "open-file limit"
            );
        }
        Self::new(clamped, max_per_source)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Live> {
        // A panic elsewhere cannot leave `Live` half-updated: recover it.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a connection from `source`, shedding others if a limit
    /// is passed. Never refuses the new connection.
    pub fn admit(self: &Arc<Self>, source: IpAddr) -> Admitted {
        let activity = Arc::new(Activity::new(self.epoch));
        let cancel = CancellationToken::new();
        let mut shed = Vec::new();
        let mut live = self.lock();
        live.next_id += 1;
        let id = live.next_id;
        live.entries.insert(
            id,
            Entry {
                source,
                activity: Arc::clone(&activity),
                cancel: cancel.clone(),
            },
        );
        *live.per_source.entry(source).or_default() += 1;
        while live.per_source.get(&source).copied().unwrap_or(0) > self.max_per_source {
            let Some(victim) = live.victim(id, |e| e.source == source) else {
                break;
            };
            shed.extend(live.shed(victim, ShedReason::MaxPerSource));
        }
        while live.entries.len() > self.max_connections {
            let Some(victim) = live.victim(id, |_| true) else {
                break;
            };
            shed.extend(live.shed(victim, ShedReason::MaxConnections));
        }
        drop(live);
        Admitted {
            registration: Registration {
                id,
                registry: Arc::clone(self),
            },
            activity,
            cancel,
            shed,
        }
    }

    /// Accepts the next connection on `listener` (retrying after a pause,
    /// with a log line, when accepting fails), sets `TCP_NODELAY`, admits
    /// it and logs whom it shed. Cancel-safe: nothing is awaited after the
    /// accept.
    pub async fn accept(
        self: &Arc<Self>,
        listener: &TcpListener,
    ) -> (TcpStream, SocketAddr, Admitted) {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let admitted = self.admit(peer.ip());
                    admitted.log_shed();
                    return (stream, peer, admitted);
                }
                Err(e) => {
                    tracing::error!(event = "accept_failed", error = %e);
                    tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                }
            }
        }
    }

    /// Connections registered now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when no connection is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    /// Sets `admitted`'s last activity to `ms` after the registry's epoch.
    fn set_last(admitted: &Admitted, ms: u64) {
        admitted.activity.set_last_ms(ms);
    }

    #[test]
    fn at_the_limit_the_longest_idle_connection_is_shed_not_the_newest() {
        let registry = Registry::new(3, 10);
        let kept: Vec<Admitted> = (0..3).map(|_| registry.admit(ip(2))).collect();
        for (admitted, ms) in kept.iter().zip([300, 100, 200]) {
            set_last(admitted, ms);
        }
        let newest = registry.admit(ip(3));
        assert_eq!(newest.shed.len(), 1);
        assert_eq!(newest.shed[0].id, kept[1].registration.id());
        assert_eq!(newest.shed[0].reason, ShedReason::MaxConnections);
        assert!(kept[1].cancel.is_cancelled());
        assert!(!kept[0].cancel.is_cancelled() && !kept[2].cancel.is_cancelled());
        assert!(!newest.cancel.is_cancelled());
        assert_eq!(registry.len(), 3);
    }

    #[test]
    fn one_source_sheds_only_its_own_connections() {
        let registry = Registry::new(100, 2);
        let other = registry.admit(ip(2));
        set_last(&other, 0);
        let mine: Vec<Admitted> = (0..5)
            .map(|_| {
                let admitted = registry.admit(ip(9));
                set_last(&admitted, 1_000);
                admitted
            })
            .collect();
        assert!(!other.cancel.is_cancelled());
        let shed: Vec<&Shed> = mine.iter().flat_map(|a| &a.shed).collect();
        assert_eq!(shed.len(), 3);
        assert!(
            shed.iter()
                .all(|s| s.source == ip(9) && s.reason == ShedReason::MaxPerSource)
        );
        assert_eq!(registry.len(), 3);
    }

    #[test]
    fn busy_connections_are_shed_only_when_none_is_idle() {
        let registry = Registry::new(2, 10);
        let busy = registry.admit(ip(2));
        let request = busy.activity.begin();
        set_last(&busy, 0);
        let idle = registry.admit(ip(2));
        set_last(&idle, 1_000);
        let newest = registry.admit(ip(2));
        assert_eq!(newest.shed[0].id, idle.registration.id());
        assert!(!busy.cancel.is_cancelled());
        drop(request);
        assert!(!busy.activity.busy());
    }

    #[test]
    fn dropping_a_registration_frees_its_place() {
        let registry = Registry::new(1, 1);
        let first = registry.admit(ip(2));
        drop(first);
        assert!(registry.is_empty());
        let second = registry.admit(ip(2));
        assert!(second.shed.is_empty());
        assert_eq!(registry.len(), 1);
    }
}
