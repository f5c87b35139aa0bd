//! A tablet in push mode: listen for `/pushUpdate/...`, register with the
//! facade for some events and teams, print each update as it arrives, and
//! record the time from the update's stamp to its arrival.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use tokio::net::TcpListener;

use super::latency::{LatencyLog, since_stamp};

/// One update as pushed: `/pushUpdate/{event}/{stamp}/{team}/{score}/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The event.
    pub event: String,
    /// When the score was set, POSIX seconds.
    pub stamp: String,
    /// Team and score pairs.
    pub scores: Vec<(String, String)>,
}

impl Pushed {
    /// Parses the path after `/pushUpdate/`; `None` if it is not of that form.
    pub fn parse(rest: &str) -> Option<Self> {
        let mut parts = rest.split('/');
        let event = parts.next().filter(|s| !s.is_empty())?.to_owned();
        let stamp = parts.next()?.to_owned();
        let rest: Vec<&str> = parts.collect();
        if !rest.len().is_multiple_of(2) {
            return None;
        }
        let scores = rest
            .chunks(2)
            .map(|p| (p[0].to_owned(), p[1].to_owned()))
            .collect();
        Some(Self {
            event,
            stamp,
            scores,
        })
    }

    /// `curling: Gaul 3, Rome 2 (at 1732250000.123456789)`.
    pub fn describe(&self) -> String {
        let scores: Vec<String> = self
            .scores
            .iter()
            .map(|(t, s)| format!("{t} {s}"))
            .collect();
        format!("{}: {} (at {})", self.event, scores.join(", "), self.stamp)
    }
}

/// A team's tally as pushed:
/// `/pushUpdate/medals/{team}/{gold}/{silver}/{bronze}/{stamp}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedMedals {
    /// The team.
    pub team: String,
    /// Gold, silver and bronze counts.
    pub medals: [u64; 3],
    /// When the facade saw the tally change, POSIX seconds.
    pub stamp: String,
}

impl PushedMedals {
    /// Parses the path after `/pushUpdate/`; `None` if it is not of that form.
    pub fn parse(rest: &str) -> Option<Self> {
        let parts: Vec<&str> = rest.split('/').collect();
        let ["medals", team, gold, silver, bronze, stamp] = parts.as_slice() else {
            return None;
        };
        Some(Self {
            team: (*team).to_owned(),
            medals: [
                gold.parse().ok()?,
                silver.parse().ok()?,
                bronze.parse().ok()?,
            ],
            stamp: (*stamp).to_owned(),
        })
    }

    /// `Gaul: 2 gold, 0 silver, 1 bronze (at 1732250000.123456789)`.
    pub fn describe(&self) -> String {
        let [gold, silver, bronze] = self.medals;
        format!(
            "{}: {gold} gold, {silver} silver, {bronze} bronze (at {})",
            self.team, self.stamp
        )
    }
}

/// What the push handler shares.
struct Tablet {
    prefix: String,
    log: Mutex<LatencyLog>,
}

/// Binds `listen`, returning the listener and the address to register.
pub async fn bind(listen: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Serves pushes on `listener` until the process ends.
pub async fn serve(listener: TcpListener, prefix: String, log: LatencyLog) -> std::io::Result<()> {
    let state = Arc::new(Tablet {
        prefix,
        log: Mutex::new(log),
    });
    let app = Router::new()
        .route("/pushUpdate/{*rest}", get(receive))
        .with_state(state);
    axum::serve(listener, app).await
}

async fn receive(State(tablet): State<Arc<Tablet>>, Path(rest): Path<String>) -> StatusCode {
    let (what, stamp, text) = if let Some(medals) = PushedMedals::parse(&rest) {
        (
            format!("medals/{}", medals.team),
            medals.stamp.clone(),
            medals.describe(),
        )
    } else if let Some(update) = Pushed::parse(&rest) {
        (
            update.event.clone(),
            update.stamp.clone(),
            update.describe(),
        )
    } else {
        return StatusCode::BAD_REQUEST;
    };
    if let Some(latency) = since_stamp(&stamp) {
        let _ = tablet
            .log
            .lock()
            .expect("latency log lock poisoned")
            .record("push", &what, latency);
    }
    println!("{}pushed  {text}", tablet.prefix);
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_paths_parse() {
        let p = Pushed::parse("curling/1732250000.5/Gaul/3/Rome/2").unwrap();
        assert_eq!(p.event, "curling");
        assert_eq!(p.stamp, "1732250000.5");
        assert_eq!(
            p.scores,
            [("Gaul".into(), "3".into()), ("Rome".into(), "2".into())]
        );
        assert_eq!(p.describe(), "curling: Gaul 3, Rome 2 (at 1732250000.5)");
        assert!(Pushed::parse("curling/1/Gaul").is_none());
        assert!(Pushed::parse("").is_none());
    }

    #[test]
    fn medal_push_paths_parse() {
        let m = PushedMedals::parse("medals/Gaul/2/0/1/1732250000.5").unwrap();
        assert_eq!(m.team, "Gaul");
        assert_eq!(m.medals, [2, 0, 1]);
        assert_eq!(
            m.describe(),
            "Gaul: 2 gold, 0 silver, 1 bronze (at 1732250000.5)"
        );
        assert!(PushedMedals::parse("medals/Gaul/2/0/1").is_none());
        assert!(PushedMedals::parse("medals/Gaul/x/0/1/5").is_none());
        assert!(PushedMedals::parse("curling/1/Gaul/3/Rome/2").is_none());
    }
}
