//! The reproductions on real `herd` processes: a server that comes
//! back with its journal wiped or damaged, cut off from the herd or linked
//! to it at once, loses none of the increments it acknowledged, and a second
//! `herd NAME` on the same data directory is refused.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::process::*;
use common::*;
use olympic::record::{self, HEADER_LEN, RECORD_HEADER_LEN};

/// What happens to A's journal while A is stopped.
#[derive(Debug, Clone, Copy)]
enum Loss {
    /// The file is deleted.
    Wiped,
    /// One byte in the middle of the file is flipped.
    Damaged,
}

/// How A comes back.
#[derive(Debug, Clone, Copy)]
enum Return {
    /// With no links: three increments, then a restart linked to B.
    CutOff,
    /// Linked to B (which is up), writing at once, before any sync.
    Linked,
}

fn medal(addr: SocketAddr) -> String {
    exchange_str(addr, &format!("MEDAL Gaul gold {CACOFONIX}\n"))
}

fn golds(addr: SocketAddr) -> String {
    exchange_str(addr, "TALLY Gaul\n")
}

/// Polls `TALLY Gaul` at every address until each says `gold <n>`.
fn wait_golds(herd: &TestHerd, names: &[&str], n: u64) {
    let want = format!("TALLY Gaul gold {n} ");
    let deadline = Instant::now() + 2 * WAIT;
    loop {
        let seen: Vec<String> = names.iter().map(|s| golds(herd.client(s))).collect();
        if seen.iter().all(|t| t.starts_with(&want)) {
            return;
        }
        assert!(Instant::now() < deadline, "waiting for gold {n}: {seen:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Rewrites the topology's `links` line.
fn set_links(herd: &TestHerd, links: &str) {
    let text = std::fs::read_to_string(&herd.topology).unwrap();
    let (_, rest) = text.split_once('\n').unwrap();
    std::fs::write(&herd.topology, format!("links = {links}\n{rest}")).unwrap();
}

/// Flips a payload byte of the journal's middle record.
fn damage_the_middle(journal: &Path) {
    let mut bytes = std::fs::read(journal).unwrap();
    let scan = record::scan(&bytes[HEADER_LEN..]);
    assert!(scan.is_clean() && scan.records.len() >= 5, "{scan:?}");
    let middle = scan.records[scan.records.len() / 2].offset;
    bytes[HEADER_LEN + middle + RECORD_HEADER_LEN + 2] ^= 0x20;
    std::fs::write(journal, bytes).unwrap();
}

/// Herd A–B; 5 `MEDAL` at A; A stopped and its journal lost; A back as
/// `how`, 3 more `MEDAL` at A: every server must end at gold 8.
fn no_increment_is_lost(loss: Loss, how: Return) {
    let mut herd = TestHerd::start(&["A", "B"], &[("A", "B")], "");
    for n in 1..=5 {
        let reply = medal(herd.client("A"));
        assert!(
            reply.starts_with(&format!("OK TALLY Gaul gold {n} ")),
            "{reply}"
        );
    }
    wait_golds(&herd, &["A", "B"], 5);
    herd.kill9("A");
    let journal = herd.data_dir().join("A.journal");
    match loss {
        Loss::Wiped => std::fs::remove_file(&journal).unwrap(),
        Loss::Damaged => damage_the_middle(&journal),
    }
    if let Return::CutOff = how {
        set_links(&herd, "[]");
    }
    herd.spawn("A");
    herd.wait_ready("A");
    for _ in 0..3 {
        let reply = medal(herd.client("A"));
        assert!(reply.starts_with("OK TALLY Gaul gold "), "{reply}");
    }
    if let Return::CutOff = how {
        herd.kill9("A");
        set_links(&herd, "[[\"A\", \"B\"]]");
        herd.spawn("A");
        herd.wait_ready("A");
    }
    wait_golds(&herd, &["A", "B"], 8);
    if let Loss::Damaged = loss {
        let log = herd.log("A");
        assert!(
            log.contains("journal damaged") && log.contains(" offset=") && log.contains(" bytes="),
            "the log says what was skipped:\n{log}"
        );
    }
}

#[test]
fn a_wiped_journal_cut_off_from_the_herd_loses_no_increment() {
    no_increment_is_lost(Loss::Wiped, Return::CutOff);
}

#[test]
fn a_wiped_journal_writing_before_the_first_sync_loses_no_increment() {
    no_increment_is_lost(Loss::Wiped, Return::Linked);
}

#[test]
fn a_damaged_journal_cut_off_from_the_herd_loses_no_increment() {
    no_increment_is_lost(Loss::Damaged, Return::CutOff);
}

#[test]
fn a_damaged_journal_writing_before_the_first_sync_loses_no_increment() {
    no_increment_is_lost(Loss::Damaged, Return::Linked);
}

#[test]
fn a_second_herd_on_the_same_data_directory_exits_2_with_one_clear_line() {
    let mut herd = TestHerd::start(&["A"], &[], "");
    let second = |herd: &TestHerd| {
        let mut cmd = Command::new(herd_bin());
        cmd.arg("A")
            .arg("--topology")
            .arg(&herd.topology)
            .arg("--log-dir")
            .arg(herd.dir.path().join("second-logs"))
            .arg("--data-dir")
            .arg(herd.data_dir())
            .env("HERD_KEY", "test-herd-key")
            .env("CACOFONIX_ID", CACOFONIX);
        cmd
    };
    let started = Instant::now();
    let out = output_within_wait(&mut second(&herd));
    assert!(started.elapsed() < WAIT, "it exits at once");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let lock = herd.data_dir().join("A.lock");
    let expected = format!(
        "herd: data directory {} is in use by another herd A (lock {})\n",
        herd.data_dir().display(),
        lock.display()
    );
    assert_eq!(stderr, expected);
    assert!(herd.alive("A"), "the first one runs on");
    let reply = medal(herd.client("A"));
    assert!(reply.starts_with("OK TALLY Gaul gold 1 "), "{reply}");

    herd.kill9("A");
    let mut command = second(&herd);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = Supervised::spawn("second A", &mut command).unwrap_or_else(|e| panic!("{e}"));
    let client = herd.client("A");
    let deadline = Instant::now() + WAIT;
    while std::net::TcpStream::connect(client).is_err() {
        assert!(
            child.exited().unwrap().is_none(),
            "once the first is gone, the second starts"
        );
        assert!(Instant::now() < deadline, "the second never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    let reply = medal(client);
    assert!(reply.starts_with("OK TALLY Gaul gold 2 "), "{reply}");
}
