//! A test double of a herd server's client port speaking the Olympic verbs
//! of docs/PROTOCOL.md: TEAMS, EVENTS, VERSION, TALLY, SCORE, MEDAL, SETSCORE,
//! SUBSCRIBE (with UPDATE lines), `PING` to subscribers and `PONG` taken
//! silently, `DENIED` for a wrong id and `? line` for
//! anything invalid. Several fakes can share one [`FakeState`], standing in
//! for a converged herd: an update through one reaches the subscribers of all.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, LinesCodec};
use tokio_util::sync::CancellationToken;

/// The Cacofonix id the fakes accept.
pub const AUTH: &str = "Cacofonix-s3cret-id";

/// When and by which server a score was set.
type Stamp = (String, String);

/// Scores and tallies shared by one or more fake servers.
pub struct FakeState {
    teams: Vec<String>,
    events: Vec<String>,
    /// Gold, silver, bronze per team.
    tallies: HashMap<String, [u64; 3]>,
    /// Scores per event, with the time and server of the last write.
    scores: HashMap<String, (Vec<i64>, Option<Stamp>)>,
    /// Subscribed connections: names and their outgoing line queue.
    subscribers: Vec<(Vec<String>, mpsc::UnboundedSender<String>)>,
    /// `PONG` lines received, which (like the real herd) get no reply.
    pub pongs: usize,
    /// Writes applied: the fake's version vector is `fake <writes>`.
    writes: u64,
}

impl FakeState {
    /// Teams Gaul and Rome; events curling, skating, skiing.
    pub fn new() -> Arc<Mutex<Self>> {
        Self::with(&["Gaul", "Rome"], &["curling", "skating", "skiing"])
    }

    /// Any teams and events.
    pub fn with(teams: &[&str], events: &[&str]) -> Arc<Mutex<Self>> {
        let teams: Vec<String> = teams.iter().map(|t| t.to_string()).collect();
        let events: Vec<String> = events.iter().map(|e| e.to_string()).collect();
        Arc::new(Mutex::new(Self {
            tallies: teams.iter().map(|t| (t.clone(), [0; 3])).collect(),
            scores: events
                .iter()
                .map(|e| (e.clone(), (vec![0; teams.len()], None)))
                .collect(),
            teams,
            events,
            subscribers: Vec::new(),
            pongs: 0,
            writes: 0,
        }))
    }

    fn team(&self, name: &str) -> Option<String> {
        self.teams
            .iter()
            .find(|t| t.eq_ignore_ascii_case(name))
            .cloned()
    }

    fn event(&self, name: &str) -> Option<String> {
        self.events
            .iter()
            .find(|e| e.eq_ignore_ascii_case(name))
            .cloned()
    }

    fn tally_fields(&self, team: &str) -> String {
        let [g, s, b] = self.tallies[team];
        format!("{team} gold {g} silver {s} bronze {b}")
    }

    fn score_fields(&self, event: &str) -> String {
        let (points, stamp) = &self.scores[event];
        let mut line = event.to_owned();
        for (team, p) in self.teams.iter().zip(points) {
            line.push_str(&format!(" {team} {p}"));
        }
        match stamp {
            Some((at, by)) => line.push_str(&format!(" at {at} by {by}")),
            None => line.push_str(" at - by -"),
        }
        line
    }

    fn notify(&mut self, name: &str, line: String) {
        self.subscribers.retain(|(names, tx)| {
            if names.iter().any(|n| n == name) {
                tx.send(line.clone()).is_ok()
            } else {
                !tx.is_closed()
            }
        });
    }

    /// Sets a score without telling subscribers, then tells them `LAGGED 1`.
    pub fn set_silently_then_lag(&mut self, event: &str, points: &[i64], by: &str) {
        self.scores.insert(
            event.to_owned(),
            (points.to_vec(), Some((now(), by.to_owned()))),
        );
        for (_, tx) in &self.subscribers {
            let _ = tx.send("LAGGED 1".to_owned());
        }
    }

    /// Sends `PING` to every subscribed connection, as the herd does to a
    /// quiet one.
    pub fn ping_subscribers(&mut self) {
        for (_, tx) in &self.subscribers {
            let _ = tx.send("PING".to_owned());
        }
    }

    /// Subscribed connections still open.
    pub fn subscriber_count(&mut self) -> usize {
        self.subscribers.retain(|(_, tx)| !tx.is_closed());
        self.subscribers.len()
    }
}

/// POSIX time with nine fraction digits.
fn now() -> String {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    format!("{}.{:09}", t.as_secs(), t.subsec_nanos())
}

/// One fake server.
pub struct FakeHerd {
    pub addr: SocketAddr,
    pub name: String,
    pub state: Arc<Mutex<FakeState>>,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
    /// While set, commands are read but never answered.
    pub hang: Arc<AtomicBool>,
    stop: CancellationToken,
}

impl FakeHerd {
    /// A fake on a fresh loopback port with its own state.
    pub async fn start(name: &str) -> Self {
        Self::start_shared(name, FakeState::new()).await
    }

    /// A fake on a fresh loopback port sharing `state`.
    pub async fn start_shared(name: &str, state: Arc<Mutex<FakeState>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(name, state, listener)
    }

    /// A fake on a given address (to bring a killed one back).
    pub async fn start_at(name: &str, state: Arc<Mutex<FakeState>>, addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        Self::serve(name, state, listener)
    }

    fn serve(name: &str, state: Arc<Mutex<FakeState>>, listener: TcpListener) -> Self {
        let fake = Self {
            addr: listener.local_addr().unwrap(),
            name: name.to_owned(),
            state,
            connections: Arc::new(AtomicUsize::new(0)),
            hang: Arc::new(AtomicBool::new(false)),
            stop: CancellationToken::new(),
        };
        let (stop, state, name) = (fake.stop.clone(), fake.state.clone(), fake.name.clone());
        let (connections, hang) = (fake.connections.clone(), fake.hang.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = stop.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((stream, _)) = accepted else { continue };
                connections.fetch_add(1, Ordering::SeqCst);
                let conn = Conn {
                    name: name.clone(),
                    state: state.clone(),
                    hang: hang.clone(),
                };
                tokio::spawn(conn.run(stream, stop.clone()));
            }
        });
        fake
    }

    /// Dies: stops listening and drops every connection.
    pub fn kill(&self) {
        self.stop.cancel();
    }

    /// The client address as `host:port`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for FakeHerd {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

struct Conn {
    name: String,
    state: Arc<Mutex<FakeState>>,
    hang: Arc<AtomicBool>,
}

impl Conn {
    async fn run(self, stream: TcpStream, stop: CancellationToken) {
        let (read, mut write) = stream.into_split();
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let writer = tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                if write
                    .write_all(format!("{line}\n").as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
        let mut lines = FramedRead::new(read, LinesCodec::new_with_max_length(65536));
        loop {
            let line = tokio::select! {
                () = stop.cancelled() => break,
                line = lines.next() => line,
            };
            let Some(Ok(line)) = line else { break };
            if self.hang.load(Ordering::SeqCst) {
                continue;
            }
            if line == "PONG" {
                self.state.lock().unwrap().pongs += 1;
                continue;
            }
            let reply = self.apply(&line, &tx);
            if tx.send(reply).is_err() {
                break;
            }
        }
        drop(tx);
        writer.abort();
    }

    fn apply(&self, line: &str, tx: &mpsc::UnboundedSender<String>) -> String {
        let invalid = format!("? {line}");
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        let mut st = self.state.lock().unwrap();
        match fields.as_slice() {
            ["TEAMS"] => format!("TEAMS {}", st.teams.join(" ")),
            ["VERSION"] => format!("VERSION fake {}", st.writes),
            ["EVENTS"] => format!("EVENTS {}", st.events.join(" ")),
            ["TALLY", team] => match st.team(team) {
                Some(team) => format!("TALLY {}", st.tally_fields(&team)),
                None => invalid,
            },
            ["SCORE", event] => match st.event(event) {
                Some(event) => format!("SCORE {}", st.score_fields(&event)),
                None => invalid,
            },
            ["MEDAL", team, medal, auth] => {
                let index = ["gold", "silver", "bronze"]
                    .iter()
                    .position(|m| m.eq_ignore_ascii_case(medal));
                let (Some(team), Some(index)) = (st.team(team), index) else {
                    return invalid;
                };
                if *auth != AUTH {
                    return format!(
                        "DENIED MEDAL {team} {}",
                        ["gold", "silver", "bronze"][index]
                    );
                }
                st.tallies.get_mut(&team).unwrap()[index] += 1;
                st.writes += 1;
                let fields = st.tally_fields(&team);
                st.notify(&team, format!("UPDATE TALLY {fields}"));
                format!("OK TALLY {fields}")
            }
            ["SETSCORE", event, auth, pairs @ ..] => {
                let Some(event) = st.event(event) else {
                    return invalid;
                };
                if pairs.len() != 2 * st.teams.len() {
                    return invalid;
                }
                let mut points = vec![None; st.teams.len()];
                for pair in pairs.chunks(2) {
                    let Some(team) = st.team(pair[0]) else {
                        return invalid;
                    };
                    let Ok(p) = pair[1].parse::<i64>() else {
                        return invalid;
                    };
                    let i = st.teams.iter().position(|t| *t == team).unwrap();
                    if points[i].replace(p).is_some() {
                        return invalid;
                    }
                }
                if *auth != AUTH {
                    return format!("DENIED SETSCORE {event}");
                }
                let points = points.into_iter().map(Option::unwrap).collect();
                st.writes += 1;
                st.scores
                    .insert(event.clone(), (points, Some((now(), self.name.clone()))));
                let fields = st.score_fields(&event);
                st.notify(&event, format!("UPDATE SCORE {fields}"));
                format!("OK SCORE {fields}")
            }
            ["SUBSCRIBE", names @ ..] if !names.is_empty() => {
                let mut canonical = Vec::new();
                for name in names {
                    match st.event(name).or_else(|| st.team(name)) {
                        Some(n) => canonical.push(n),
                        None => return invalid,
                    }
                }
                st.subscribers.push((canonical.clone(), tx.clone()));
                format!("SUBSCRIBED {}", canonical.join(" "))
            }
            _ => invalid,
        }
    }
}
