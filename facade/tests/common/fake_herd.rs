//! A test double of a herd server's client port speaking the Olympic verbs
//! of docs/PROTOCOL.md: TEAMS, EVENTS, VERSION, TALLY, SCORE, MEDAL, SETSCORE,
//! SUBSCRIBE (with UPDATE lines), `PING` to subscribers and `PONG` taken
//! silently, `DENIED` for a wrong id and `? line` for
//! anything invalid. Lines are read and written with `proto`'s types, as the
//! herd reads and writes them. Several fakes can share one [`FakeState`],
//! standing in for a converged herd: an update through one reaches the
//! subscribers of all.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use proto::client::{Command, Invalid, KeepAlive, MedalWrite, Names, SetScoreWrite, Subscribe};
use proto::codec::{Line, LineCodec};
use proto::reply::{Reply, Score, SetBy, Tally, Target, View};
use proto::timestamp::now_nanos;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

/// The Cacofonix id the fakes accept.
pub const AUTH: &str = "Cacofonix-s3cret-id";

/// Longest line a fake reads, and longest client ID in it.
const MAX_LINE: usize = 65536;

/// Scores and tallies shared by one or more fake servers.
pub struct FakeState {
    teams: Vec<String>,
    events: Vec<String>,
    /// Gold, silver, bronze per team.
    tallies: HashMap<String, [u64; 3]>,
    /// Scores per event, with the time and server of the last write.
    scores: HashMap<String, (Vec<i64>, Option<SetBy>)>,
    /// Subscribed connections: names and their outgoing reply queue.
    subscribers: Vec<(Vec<String>, mpsc::UnboundedSender<Reply>)>,
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

    fn tally(&self, team: &str) -> Tally {
        let [gold, silver, bronze] = self.tallies[team];
        Tally {
            team: team.to_owned(),
            gold,
            silver,
            bronze,
        }
    }

    fn score(&self, event: &str) -> Score {
        let (points, set) = &self.scores[event];
        Score {
            event: event.to_owned(),
            scores: self
                .teams
                .iter()
                .cloned()
                .zip(points.iter().copied())
                .collect(),
            set: set.clone(),
        }
    }

    fn notify(&mut self, name: &str, reply: Reply) {
        self.subscribers.retain(|(names, tx)| {
            if names.iter().any(|n| n == name) {
                tx.send(reply.clone()).is_ok()
            } else {
                !tx.is_closed()
            }
        });
    }

    /// Sets a score without telling subscribers, then tells them `LAGGED 1`.
    pub fn set_silently_then_lag(&mut self, event: &str, points: &[i64], by: &str) {
        self.scores
            .insert(event.to_owned(), (points.to_vec(), Some(set_now(by))));
        for (_, tx) in &self.subscribers {
            let _ = tx.send(Reply::Lagged(1));
        }
    }

    /// Sends `PING` to every subscribed connection, as the herd does to a
    /// quiet one.
    pub fn ping_subscribers(&mut self) {
        for (_, tx) in &self.subscribers {
            let _ = tx.send(Reply::Ping);
        }
    }

    /// Subscribed connections still open.
    pub fn subscriber_count(&mut self) -> usize {
        self.subscribers.retain(|(_, tx)| !tx.is_closed());
        self.subscribers.len()
    }
}

/// Set now, by server `by`.
fn set_now(by: &str) -> SetBy {
    SetBy {
        time_ns: now_nanos(),
        server: by.to_owned(),
    }
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
        let (tx, mut rx) = mpsc::unbounded_channel::<Reply>();
        let writer = tokio::spawn(async move {
            while let Some(reply) = rx.recv().await {
                if write.write_all(&reply.to_bytes()).await.is_err() {
                    return;
                }
            }
        });
        let mut lines = FramedRead::new(read, LineCodec::new(MAX_LINE));
        loop {
            let line = tokio::select! {
                () = stop.cancelled() => break,
                line = lines.next() => line,
            };
            let Some(Ok(Line::Complete(line))) = line else {
                break;
            };
            if self.hang.load(Ordering::SeqCst) {
                continue;
            }
            let Some(reply) = self.apply(line, &tx) else {
                continue;
            };
            if tx.send(reply).is_err() {
                break;
            }
        }
        drop(tx);
        writer.abort();
    }

    /// The reply to one line; `None` for a `PONG`, which gets none.
    fn apply(&self, line: Bytes, tx: &mpsc::UnboundedSender<Reply>) -> Option<Reply> {
        let invalid = Reply::Invalid(Invalid::new(line.clone()));
        let mut st = self.state.lock().unwrap();
        let reply = match Command::parse(line, MAX_LINE) {
            Command::Names(Names::Teams) => Some(Reply::Teams(st.teams.clone())),
            Command::Names(Names::Events) => Some(Reply::Events(st.events.clone())),
            Command::Version(_) => Some(Reply::Version(proto::client::Version(vec![(
                "fake".to_owned(),
                st.writes,
            )]))),
            Command::Tally(query) => st
                .team(query.team.as_str())
                .map(|team| Reply::Tally(st.tally(&team))),
            Command::Score(query) => st
                .event(query.event.as_str())
                .map(|event| Reply::Score(st.score(&event))),
            Command::Medal(write) => self.medal(&mut st, &write),
            Command::SetScore(write) => self.set_score(&mut st, &write),
            Command::Subscribe(subscribe) => subscribe_to(&mut st, &subscribe, tx),
            Command::KeepAlive(KeepAlive::Pong) => {
                st.pongs += 1;
                return None;
            }
            _ => None,
        };
        Some(reply.unwrap_or(invalid))
    }

    /// `OK TALLY`, `DENIED MEDAL`, or `None` (invalid) for an unknown team.
    fn medal(&self, st: &mut FakeState, write: &MedalWrite) -> Option<Reply> {
        let team = st.team(write.team.as_str())?;
        if write.auth.expose() != AUTH.as_bytes() {
            let medal = write.medal;
            return Some(Reply::Denied(Target::Medal { team, medal }));
        }
        let index = proto::medal::Medal::ALL
            .iter()
            .position(|m| *m == write.medal)?;
        st.tallies.get_mut(&team).unwrap()[index] += 1;
        st.writes += 1;
        let tally = st.tally(&team);
        st.notify(&team, Reply::Update(View::Tally(tally.clone())));
        Some(Reply::Ok(View::Tally(tally)))
    }

    /// `OK SCORE`, `DENIED SETSCORE`, or `None` (invalid) unless every team
    /// is given exactly once.
    fn set_score(&self, st: &mut FakeState, write: &SetScoreWrite) -> Option<Reply> {
        let event = st.event(write.event().as_str())?;
        if write.scores().len() != st.teams.len() {
            return None;
        }
        let mut points = vec![None; st.teams.len()];
        for (team, score) in write.scores() {
            let team = st.team(team.as_str())?;
            let i = st.teams.iter().position(|t| *t == team).unwrap();
            if points[i].replace(*score).is_some() {
                return None;
            }
        }
        if write.auth().expose() != AUTH.as_bytes() {
            return Some(Reply::Denied(Target::SetScore { event }));
        }
        let points = points.into_iter().map(Option::unwrap).collect();
        st.writes += 1;
        st.scores
            .insert(event.clone(), (points, Some(set_now(&self.name))));
        let score = st.score(&event);
        st.notify(&event, Reply::Update(View::Score(score.clone())));
        Some(Reply::Ok(View::Score(score)))
    }
}

/// `SUBSCRIBED` with the canonical names, or `None` (invalid) if any is
/// unknown.
fn subscribe_to(
    st: &mut FakeState,
    subscribe: &Subscribe,
    tx: &mpsc::UnboundedSender<Reply>,
) -> Option<Reply> {
    let canonical = subscribe
        .names()
        .iter()
        .map(|name| st.event(name.as_str()).or_else(|| st.team(name.as_str())))
        .collect::<Option<Vec<_>>>()?;
    st.subscribers.push((canonical.clone(), tx.clone()));
    Some(Reply::Subscribed(canonical))
}
