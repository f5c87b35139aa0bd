//! The assignment table: which front end each client was given, under a
//! lease, and how many clients each front end holds. No I/O and no clock of
//! its own (every call is given `now`), so its rules are unit-tested here.
//!
//! Rules, in order, for `assign(client)`:
//! 1. A client with a live lease whose front end is still usable keeps it
//!    (the lease is renewed).
//! 2. Otherwise it gets the usable front end with the fewest clients, ties
//!    in list order. Usable means [`Health::Up`]; when no front end is up,
//!    a [`Health::Degraded`] one (it answers, but says its herd is degraded)
//!    is better than nothing. A [`Health::Down`] one is never given out.
//! 3. No usable front end: an error, and the client's old assignment stays
//!    (it may come back).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Longest client ID accepted, in bytes.
pub const MAX_CLIENT_ID: usize = 256;

/// What the last health check of a front end found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// `GET /health` answered 200.
    Up,
    /// `GET /health` answered, but not 200 (e.g. 503: a herd server it uses
    /// is degraded or unreachable). Given out only when none is up.
    Degraded,
    /// No answer in time, or no connection.
    Down,
}

/// Why a client got no front end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignError {
    /// Every front end is down.
    #[error("no front end is healthy")]
    NoneHealthy,
    /// The table already holds its limit of clients.
    #[error("the dispatcher already holds {0} clients")]
    Full(usize),
    /// The client ID is empty or too long.
    #[error("clientID must be 1 to {MAX_CLIENT_ID} bytes")]
    BadClientId,
}

/// One front end as the table sees it.
#[derive(Debug, Clone)]
pub struct Frontend {
    /// Its base URL, as answered to clients.
    pub url: String,
    /// What the last health check found.
    pub health: Health,
    /// Why the last health check failed, for `/frontends`.
    pub last_error: Option<String>,
    /// Clients assigned to it now (leases not yet expired or released).
    pub clients: usize,
}

/// One client's assignment.
#[derive(Debug, Clone, Copy)]
struct Lease {
    /// Index of its front end in [`Assignments::frontends`].
    frontend: usize,
    /// When it lapses unless the client asks again.
    expires: Instant,
}

/// Every front end and every client's lease.
#[derive(Debug)]
pub struct Assignments {
    /// The front ends, in the order given (the tie-break order).
    frontends: Vec<Frontend>,
    /// The live leases, by client ID.
    leases: HashMap<String, Lease>,
    /// How long an assignment lasts without the client asking again.
    lease: Duration,
    /// Most clients held at once, so the table cannot grow without bound.
    max_clients: usize,
}

impl Assignments {
    /// A table over `urls`, every front end [`Health::Up`] until checked.
    pub fn new(urls: Vec<String>, lease: Duration, max_clients: usize) -> Self {
        let frontends = urls
            .into_iter()
            .map(|url| Frontend {
                url,
                health: Health::Up,
                last_error: None,
                clients: 0,
            })
            .collect();
        Self {
            frontends,
            leases: HashMap::new(),
            lease,
            max_clients,
        }
    }

    /// The lease length.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The front ends, in list order.
    pub fn frontends(&self) -> &[Frontend] {
        &self.frontends
    }

    /// Clients per front end URL.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        (self.frontends.iter())
            .map(|f| (f.url.clone(), f.clients))
            .collect()
    }

    /// Records a health check of `url`; unknown URLs are ignored.
    pub fn set_health(&mut self, url: &str, health: Health, error: Option<String>) {
        if let Some(f) = self.frontends.iter_mut().find(|f| f.url == url) {
            f.health = health;
            f.last_error = error;
        }
    }

    /// The front end `client` holds now, if its lease is live.
    pub fn current(&self, client: &str, now: Instant) -> Option<&str> {
        let lease = self.leases.get(client).filter(|l| l.expires > now)?;
        Some(&self.frontends[lease.frontend].url)
    }

    /// Gives `client` a front end (see the module's rules) and renews its
    /// lease; answers the front end's URL.
    pub fn assign(&mut self, client: &str, now: Instant) -> Result<&str, AssignError> {
        if client.is_empty() || client.len() > MAX_CLIENT_ID {
            return Err(AssignError::BadClientId);
        }
        let held = self.leases.get(client).filter(|l| l.expires > now).copied();
        let best = self.best();
        let keep = held.filter(|l| {
            let health = self.frontends[l.frontend].health;
            health == Health::Up || (health == Health::Degraded && best.is_none())
        });
        let frontend = match (keep, best) {
            (Some(lease), _) => lease.frontend,
            (None, Some(best)) => best,
            (None, None) => return Err(AssignError::NoneHealthy),
        };
        if !self.leases.contains_key(client) && self.leases.len() >= self.max_clients {
            self.expire(now);
            if self.leases.len() >= self.max_clients {
                return Err(AssignError::Full(self.max_clients));
            }
        }
        self.drop_lease(client);
        self.frontends[frontend].clients += 1;
        let expires = now + self.lease;
        self.leases
            .insert(client.to_owned(), Lease { frontend, expires });
        Ok(&self.frontends[frontend].url)
    }

    /// Frees `client`'s assignment; true if it had a live one.
    pub fn release(&mut self, client: &str, now: Instant) -> bool {
        let live = self.leases.get(client).is_some_and(|l| l.expires > now);
        self.drop_lease(client);
        live
    }

    /// Drops every lease that has lapsed by `now`; answers how many.
    pub fn expire(&mut self, now: Instant) -> usize {
        let lapsed: Vec<String> = (self.leases.iter())
            .filter(|(_, l)| l.expires <= now)
            .map(|(c, _)| c.clone())
            .collect();
        for client in &lapsed {
            self.drop_lease(client);
        }
        lapsed.len()
    }

    /// Removes `client`'s lease, live or lapsed, from the counts.
    fn drop_lease(&mut self, client: &str) {
        if let Some(old) = self.leases.remove(client) {
            self.frontends[old.frontend].clients -= 1;
        }
    }

    /// The usable front end with the fewest clients, ties in list order.
    fn best(&self) -> Option<usize> {
        let pick = |wanted: Health| {
            (self.frontends.iter().enumerate())
                .filter(|(_, f)| f.health == wanted)
                .min_by_key(|(i, f)| (f.clients, *i))
                .map(|(i, _)| i)
        };
        pick(Health::Up).or_else(|| pick(Health::Degraded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(30);

    fn table(n: usize) -> Assignments {
        let urls = (0..n).map(|i| format!("http://f{i}")).collect();
        Assignments::new(urls, LEASE, 1000)
    }

    fn counts(t: &Assignments) -> Vec<usize> {
        t.frontends().iter().map(|f| f.clients).collect()
    }

    #[test]
    fn clients_spread_evenly_with_ties_in_list_order() {
        let mut t = table(3);
        let now = Instant::now();
        let got: Vec<String> = (0..4)
            .map(|i| t.assign(&format!("c{i}"), now).unwrap().to_owned())
            .collect();
        assert_eq!(got, ["http://f0", "http://f1", "http://f2", "http://f0"]);
        assert_eq!(counts(&t), [2, 1, 1]);
    }

    #[test]
    fn asking_again_keeps_the_front_end_and_renews_the_lease() {
        let mut t = table(2);
        let now = Instant::now();
        assert_eq!(t.assign("a", now).unwrap(), "http://f0");
        let later = now + LEASE - Duration::from_secs(1);
        assert_eq!(t.assign("a", later).unwrap(), "http://f0");
        assert_eq!(counts(&t), [1, 0]);
        // Renewed at `later`: still live past the first lease's end.
        assert_eq!(
            t.current("a", now + LEASE + Duration::from_secs(1)),
            Some("http://f0")
        );
    }

    #[test]
    fn a_down_front_end_gets_no_new_clients_and_its_clients_move_when_they_ask() {
        let mut t = table(2);
        let now = Instant::now();
        t.assign("a", now).unwrap();
        t.assign("b", now).unwrap();
        t.set_health("http://f0", Health::Down, Some("refused".into()));
        assert_eq!(t.assign("c", now).unwrap(), "http://f1");
        assert_eq!(
            t.current("a", now),
            Some("http://f0"),
            "moved only when it asks"
        );
        assert_eq!(t.assign("a", now).unwrap(), "http://f1");
        assert_eq!(counts(&t), [0, 3]);
    }

    #[test]
    fn degraded_front_ends_serve_only_when_none_is_up() {
        let mut t = table(2);
        let now = Instant::now();
        t.set_health("http://f0", Health::Degraded, None);
        assert_eq!(t.assign("a", now).unwrap(), "http://f1");
        t.set_health("http://f1", Health::Down, None);
        assert_eq!(t.assign("a", now).unwrap(), "http://f0");
        t.set_health("http://f0", Health::Down, None);
        assert_eq!(t.assign("a", now), Err(AssignError::NoneHealthy));
        assert_eq!(t.current("a", now), Some("http://f0"), "kept for later");
    }

    #[test]
    fn leases_lapse_and_releases_free_the_slot() {
        let mut t = table(2);
        let now = Instant::now();
        t.assign("a", now).unwrap();
        t.assign("b", now).unwrap();
        assert!(t.release("b", now));
        assert!(!t.release("b", now));
        assert_eq!(counts(&t), [1, 0]);
        assert_eq!(t.expire(now + LEASE), 1);
        assert_eq!(counts(&t), [0, 0]);
        assert_eq!(t.current("a", now + LEASE), None);
    }

    #[test]
    fn the_table_is_bounded_and_client_ids_are_checked() {
        let mut t = Assignments::new(vec!["http://f0".into()], LEASE, 2);
        let now = Instant::now();
        t.assign("a", now).unwrap();
        t.assign("b", now).unwrap();
        assert_eq!(t.assign("c", now), Err(AssignError::Full(2)));
        assert!(t.assign("a", now).is_ok(), "a known client still renews");
        assert_eq!(t.assign("", now), Err(AssignError::BadClientId));
        let long = "x".repeat(MAX_CLIENT_ID + 1);
        assert_eq!(t.assign(&long, now), Err(AssignError::BadClientId));
    }
}
