//! The ordering journal, in `<data dir>/<NAME>.raffle/`: the requests this server
//! took (`taken.log`, fsynced before they are multicast: a request counts
//! once it is durable here), and the delivered sequence with the views
//! installed (`delivered.log`, fsynced after each batch; the raffle's
//! entries are the every-th lines of it). Lines are the peer lines of
//! [`proto::order`]: `OREQ` for a request taken, `OCLK` for a clock
//! reservation, `OLOG` for a delivered request, `OVIEW` for a view.
//!
//! A line torn by a crash (kill -9 mid-write) ends the file: it is cut off
//! on opening. What was delivered but not yet synced is delivered again
//! after a restart, in the same order.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bytes::BytesMut;

use proto::order::{Order, Stamped};

use super::engine::{Delivered, Engine, View};

/// The Lamport clock is reserved this far ahead in the journal, so a
/// restarted server never stamps below a clock it had beaconed.
pub const CLOCK_RESERVE: u64 = 100_000;

/// Why the journal could not be used.
#[derive(Debug, thiserror::Error)]
#[error("raffle journal {path}: {source}")]
pub struct JournalError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub source: std::io::Error,
}

/// What the journal held when opened.
#[derive(Debug, Default)]
pub struct Restored {
    /// Requests this server took, in order.
    pub taken: Vec<Stamped>,
    /// Delivered requests: `(position, view, request)`.
    pub delivered: Vec<(u64, u64, Stamped)>,
    /// The last view installed.
    pub view: Option<View>,
    /// The greatest clock reserved.
    pub reserved: u64,
}

/// The two open files.
#[derive(Debug)]
pub struct Journal {
    taken: File,
    delivered: File,
    /// The clock reserved so far.
    reserved: u64,
}

impl Journal {
    /// Opens (creating) server `me`'s journal in `dir/<me>.raffle` and
    /// reads it back.
    pub fn open(dir: &Path, me: &str) -> Result<(Self, Restored), JournalError> {
        let dir = dir.join(format!("{me}.raffle"));
        let fail = |path: &Path| {
            let path = path.to_owned();
            move |source| JournalError { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(fail(&dir))?;
        let taken_path = dir.join("taken.log");
        let delivered_path = dir.join("delivered.log");
        let mut restored = Restored::default();
        read_lines(&taken_path, |line| match line {
            Order::Req(req) => restored.taken.push(req),
            Order::Clock { lamport, .. } => restored.reserved = restored.reserved.max(lamport),
            _ => {}
        })
        .map_err(fail(&taken_path))?;
        read_lines(&delivered_path, |line| match line {
            Order::Log {
                position,
                view,
                req,
                ..
            } => restored.delivered.push((position, view, req)),
            Order::Install { view, members, .. } => {
                restored.view = Some(View {
                    id: view,
                    members: members.into_iter().collect(),
                })
            }
            _ => {}
        })
        .map_err(fail(&delivered_path))?;
        let journal = Self {
            taken: append(&taken_path).map_err(fail(&taken_path))?,
            delivered: append(&delivered_path).map_err(fail(&delivered_path))?,
            reserved: restored.reserved,
        };
        Ok((journal, restored))
    }

    /// Makes `taken` durable, and reserves the clock past `clock` if it
    /// came near the last reservation.
    pub fn taken(&mut self, me: &str, taken: &[Stamped], clock: u64) -> std::io::Result<()> {
        let mut buf = BytesMut::new();
        for req in taken {
            line(&Order::Req(req.clone()), &mut buf);
        }
        if clock + CLOCK_RESERVE / 2 >= self.reserved {
            self.reserved = clock + CLOCK_RESERVE;
            let reservation = Order::Clock {
                origin: me.to_owned(),
                beat: 0,
                view: 0,
                seq: 0,
                lamport: self.reserved,
                acked: Vec::new(),
            };
            line(&reservation, &mut buf);
        }
        if buf.is_empty() {
            return Ok(());
        }
        self.taken.write_all(&buf)?;
        self.taken.sync_data()
    }

    /// Makes `delivered` and the views installed durable.
    pub fn delivered(&mut self, delivered: &[Delivered], views: &[View]) -> std::io::Result<()> {
        let mut buf = BytesMut::new();
        for d in delivered {
            let log = Order::Log {
                to: "-".into(),
                nonce: 0,
                position: d.position,
                view: d.view,
                req: d.req.clone(),
            };
            line(&log, &mut buf);
        }
        for v in views {
            let install = Order::Install {
                leader: "-".into(),
                view: v.id,
                prev: 0,
                members: v.members.iter().cloned().collect(),
                old: Vec::new(),
                cut: Vec::new(),
            };
            line(&install, &mut buf);
        }
        if buf.is_empty() {
            return Ok(());
        }
        self.delivered.write_all(&buf)?;
        self.delivered.sync_data()
    }

    /// The clock reserved so far: the engine must not beacon past it.
    pub fn reserved(&self) -> u64 {
        self.reserved
    }
}

fn line(order: &Order, buf: &mut BytesMut) {
    order.write(buf);
    buf.extend_from_slice(b"\n");
}

fn append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Calls `each` on every line of `path` (absent is empty), and cuts the
/// file off at the first line that does not parse (torn by a crash).
fn read_lines(path: &Path, mut each: impl FnMut(Order)) -> std::io::Result<()> {
    let Ok(file) = File::open(path) else {
        return Ok(());
    };
    let mut reader = BufReader::new(file);
    let mut good = 0u64;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let n = reader.read_until(b'\n', &mut raw)?;
        if n == 0 {
            return Ok(());
        }
        let parsed = raw.strip_suffix(b"\n").and_then(Order::parse);
        match parsed {
            Some(order) => {
                good += n as u64;
                each(order);
            }
            None => {
                tracing::warn!(event = "raffle_journal_torn", path = %path.display(), at = good);
                OpenOptions::new().write(true).open(path)?.set_len(good)?;
                return Ok(());
            }
        }
    }
}

impl Engine {
    /// Puts back what `restored` holds: the delivered sequence (and the
    /// raffle), the view, the clock and this server's own requests, those
    /// not yet delivered back in the hold-back queue to be sent again.
    pub fn restore(&mut self, restored: Restored, now: Instant) {
        if let Some(view) = restored.view {
            self.view = view;
        }
        for (position, view, req) in restored.delivered {
            if position != self.raffle.ordered() + 1 {
                continue;
            }
            self.clock = self.clock.max(req.lamport);
            if req.origin == self.me {
                self.my_seq = self.my_seq.max(req.seq);
            } else if let Some(inbound) = self.inbound.get_mut(&req.origin) {
                inbound.contig = inbound.contig.max(req.seq);
                inbound.announced = inbound.contig;
                inbound.seen = inbound.seen.max(req.lamport);
            }
            self.held.insert((req.origin.clone(), req.seq), req.clone());
            self.record(req, view);
        }
        let delivered_own = self.my_seq;
        for req in restored.taken {
            self.clock = self.clock.max(req.lamport);
            self.my_seq = self.my_seq.max(req.seq);
            if req.seq > delivered_own {
                self.hold(req.clone());
                self.out.push(Order::Req(req));
            }
        }
        self.clock = self.clock.max(restored.reserved);
        self.delivered.clear();
        let _ = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn servers() -> Vec<String> {
        vec!["A".into(), "B".into()]
    }

    #[test]
    fn a_restart_puts_back_the_sequence_the_clock_and_the_undelivered_requests() {
        let dir = tempfile::tempdir().unwrap();
        let now = Instant::now();
        let mut engine = Engine::new("A", &["A".into()], 2, Duration::from_secs(3), now, 1);
        let (mut journal, _) = Journal::open(dir.path(), "A").unwrap();
        let taken: Vec<Stamped> = (0..5).map(|i| engine.take("t", &format!("r{i}"))).collect();
        journal.taken("A", &taken, engine.clock()).unwrap();
        engine.tick(now);
        let out = engine.drain();
        assert_eq!(out.delivered.len(), 5, "alone, everything is stable");
        journal.delivered(&out.delivered[..3], &[]).unwrap();
        drop(journal);
        // A crash mid-write leaves a torn line.
        let path = dir.path().join("A.raffle/delivered.log");
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"OLOG - 0 4 1 A 4").unwrap();
        drop(f);

        let (journal, restored) = Journal::open(dir.path(), "A").unwrap();
        assert!(journal.reserved() >= CLOCK_RESERVE);
        let mut again = Engine::new("A", &servers(), 2, Duration::from_secs(3), now, 2);
        again.restore(restored, now);
        assert_eq!(again.raffle().ordered(), 3);
        assert_eq!(again.raffle().entries().len(), 1);
        assert_eq!(again.pending(), 2, "requests 4 and 5 are ordered again");
        assert!(
            again.clock() >= CLOCK_RESERVE,
            "never below a reserved clock"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with('\n'), "the torn line is cut off");
        let next = again.take("t", "r5");
        assert_eq!(next.seq, 6, "sequence numbers go on");
    }
}
