//! `herd up`: every server of the topology as its own child process, and
//! the REST facade, with one summary of what runs where and one stop for
//! all.
//!
//! Each child is supervised ([`crate::supervision`]): it dies with `herd
//! up`, even on SIGKILL, and reports on its standard output when it serves
//! and when all its links are up. `herd up` waits for every server to
//! serve; a server that exits instead (its port taken, a bad journal) is
//! reported by name, the others are stopped, and `herd up` fails. Then it
//! starts the facade, prints the summary (servers and their ports, the
//! facade, the insecure defaults in use), and says when every link is up.
//! A Ctrl-C or SIGTERM stops every child and waits for them; what they
//! warn about while stopping (links closing) is left to their log files.

mod child;
mod summary;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use base::topology::Topology;
use child::{Child, Event, Launch};

/// Longest wait for a started process to say it serves.
pub const START_WAIT: Duration = Duration::from_secs(30);

/// How long `herd up` waits for every link before it says which servers
/// still wait for neighbours.
pub const LINKS_WAIT: Duration = Duration::from_secs(20);

/// How long stopping waits for the children before it kills them.
pub const STOP_WAIT: Duration = Duration::from_secs(5);

/// Reports from the children queued before a child waits to send more.
const EVENT_QUEUE: usize = 64;

/// The facade's line that says it serves: `facade listening on http://ADDR ...`.
const FACADE_READY: &str = "facade listening on";

/// What `herd up` starts.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The `herd` executable, run once per server.
    pub exe: PathBuf,
    /// Arguments every server gets after its name: topology, log and data
    /// directories, places overrides.
    pub server_args: Vec<OsString>,
    /// The facade's executable and arguments, if it is to run.
    pub facade: Option<(PathBuf, Vec<OsString>)>,
    /// Where the logs go, for the summary.
    pub log_dir: PathBuf,
}

/// Why `herd up` failed.
#[derive(Debug, thiserror::Error)]
pub enum UpError {
    /// A child process could not be started at all.
    #[error("cannot start {name}: {source}")]
    Spawn {
        /// The server's name, or `facade`.
        name: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Some processes started but did not come to serve.
    #[error("{failed} of {of} processes could not start: {names}")]
    NotStarted {
        /// How many failed.
        failed: usize,
        /// How many were started.
        of: usize,
        /// Their names, comma separated.
        names: String,
    },
    /// The signal handlers could not be set up.
    #[error("waiting for signals: {0}")]
    Signals(#[source] std::io::Error),
}

/// The running children and what they report.
struct Herd {
    children: Vec<Child>,
    events: mpsc::Receiver<Event>,
    sender: mpsc::Sender<Event>,
    /// Set while stopping: children's warnings are no longer relayed.
    quiet: Arc<AtomicBool>,
    /// Children that have exited.
    exited: Vec<String>,
    /// Servers that reported all their links up.
    links_up: Vec<String>,
}

/// Runs `plan` for `topology` until SIGINT or SIGTERM (or until every child
/// has exited).
pub async fn run(topology: &Topology, plan: Plan) -> Result<(), UpError> {
    let (sender, events) = mpsc::channel(EVENT_QUEUE);
    let mut herd = Herd {
        children: Vec::new(),
        events,
        sender,
        quiet: Arc::new(AtomicBool::new(false)),
        exited: Vec::new(),
        links_up: Vec::new(),
    };
    let mut shutdown = pin!(base::signal::shutdown());
    let mut launches = Vec::new();
    for name in topology.servers.keys() {
        let mut args = vec![OsString::from(name)];
        args.extend(plan.server_args.iter().cloned());
        launches.push((
            name.clone(),
            plan.exe.clone(),
            args,
            crate::supervision::READY,
        ));
    }
    let Some(servers) = herd.start(launches, &mut shutdown).await? else {
        return Ok(());
    };
    let mut facade = None;
    if let Some((exe, args)) = &plan.facade {
        let launch = vec![("facade".to_owned(), exe.clone(), args.clone(), FACADE_READY)];
        match herd.start(launch, &mut shutdown).await? {
            Some(mut ready) => facade = ready.remove("facade"),
            None => return Ok(()),
        }
    }
    summary::print(topology, &servers, facade.as_deref(), &plan.log_dir);
    let result = herd.watch(topology, &mut shutdown).await;
    herd.stop().await;
    result
}

impl Herd {
    /// Starts `launches` and waits until each serves. Returns what each
    /// reported on its ready line, or `None` if a signal came first (then
    /// everything is stopped). If any exits or does not report in time,
    /// stops everything and fails, naming them.
    async fn start(
        &mut self,
        launches: Vec<(String, PathBuf, Vec<OsString>, &'static str)>,
        shutdown: &mut (impl Future<Output = std::io::Result<()>> + Unpin),
    ) -> Result<Option<BTreeMap<String, String>>, UpError> {
        let mut waiting: Vec<String> = Vec::new();
        for (name, exe, args, ready) in launches {
            let launch = Launch {
                name: &name,
                exe: &exe,
                args,
                ready,
            };
            let child = Child::spawn(launch, &self.sender, &self.quiet);
            match child {
                Ok(child) => self.children.push(child),
                Err(source) => {
                    self.stop().await;
                    return Err(UpError::Spawn { name, source });
                }
            }
            waiting.push(name);
        }
        let of = waiting.len();
        let mut ready = BTreeMap::new();
        let mut failed = Vec::new();
        let deadline = Instant::now() + START_WAIT;
        while !waiting.is_empty() {
            let event = tokio::select! {
                result = &mut *shutdown => {
                    self.stop().await;
                    return result.map(|()| None).map_err(UpError::Signals);
                }
                () = tokio::time::sleep_until(deadline) => break,
                event = self.next() => event,
            };
            match event {
                Event::Ready(name, rest) => {
                    waiting.retain(|n| *n != name);
                    ready.insert(name, rest);
                }
                Event::Exited(name, status) if waiting.contains(&name) => {
                    waiting.retain(|n| *n != name);
                    eprintln!("herd up: {name} could not start ({})", shown(&status));
                    failed.push(name);
                }
                Event::Exited(name, status) => {
                    eprintln!("herd up: {name} exited ({})", shown(&status));
                }
                Event::LinksUp(_) => {}
            }
        }
        for name in &waiting {
            eprintln!("herd up: {name} did not start within {START_WAIT:?}");
        }
        failed.extend(waiting);
        if failed.is_empty() {
            return Ok(Some(ready));
        }
        eprintln!("herd up: stopping everything");
        self.stop().await;
        Err(UpError::NotStarted {
            failed: failed.len(),
            of,
            names: failed.join(", "),
        })
    }

    /// Reports links coming up and children exiting until a signal, or
    /// until every child has exited.
    async fn watch(
        &mut self,
        topology: &Topology,
        shutdown: &mut (impl Future<Output = std::io::Result<()>> + Unpin),
    ) -> Result<(), UpError> {
        let servers = topology.servers.len();
        let mut links_deadline = Some(Instant::now() + LINKS_WAIT);
        loop {
            if links_deadline.is_some() && self.links_up.len() == servers {
                links_deadline = None;
                println!("herd up: all {} links are up", topology.links.len());
            }
            let links_late = async {
                match links_deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let event = tokio::select! {
                result = &mut *shutdown => return result.map_err(UpError::Signals),
                () = links_late => {
                    links_deadline = None;
                    let waiting: Vec<&String> = topology
                        .servers
                        .keys()
                        .filter(|name| !self.links_up.contains(name))
                        .collect();
                    println!(
                        "herd up: after {LINKS_WAIT:?}, still waiting for links of: {}",
                        waiting.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
                    );
                    continue;
                }
                event = self.next() => event,
            };
            match event {
                Event::Exited(name, status) => {
                    eprintln!("herd up: {name} exited ({})", shown(&status));
                    if self.exited.len() == self.children.len() {
                        eprintln!("herd up: every process has exited");
                        return Ok(());
                    }
                }
                Event::Ready(..) | Event::LinksUp(_) => {}
            }
        }
    }

    /// The next report, with exits recorded.
    async fn next(&mut self) -> Event {
        let event = self.events.recv().await.expect("the herd holds a sender");
        match &event {
            Event::Exited(name, _) => self.exited.push(name.clone()),
            Event::LinksUp(name) => self.links_up.push(name.clone()),
            Event::Ready(..) => {}
        }
        event
    }

    /// Asks every child to stop, waits up to [`STOP_WAIT`] for them, and
    /// kills the rest.
    async fn stop(&mut self) {
        self.quiet.store(true, Ordering::Relaxed);
        for child in &self.children {
            child.terminate();
        }
        let deadline = Instant::now() + STOP_WAIT;
        while self.exited.len() < self.children.len() {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                _ = self.next() => {}
            }
        }
        for child in std::mem::take(&mut self.children) {
            if !self.exited.contains(&child.name) {
                eprintln!("herd up: {} did not stop in time; killing it", child.name);
                child.kill();
            }
        }
    }
}

/// An exit status, or why it could not be had, in words.
fn shown(status: &std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(e) => format!("cannot wait for it: {e}"),
    }
}
