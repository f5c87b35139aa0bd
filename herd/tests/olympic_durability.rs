//! The Olympic journal: acknowledged changes survive a restart, a torn end
//! is cut off, compaction keeps state and sequence numbers, and concurrent
//! writes share fsyncs. Damage and identity are in `olympic_identity.rs`.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use futures::future::join_all;
use olympic::record::{self, HEADER_LEN};
use olympic::{Change, Medal, OlympicError, Olympics, OlympicsConfig};
use tempfile::TempDir;

fn temp() -> TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir")
}

fn config(compact_after: usize) -> OlympicsConfig {
    OlympicsConfig {
        compact_after,
        ..OlympicsConfig::default()
    }
}

async fn open(dir: &Path, compact_after: usize) -> Olympics {
    Olympics::open(&config(compact_after), "Alpha", dir)
        .await
        .expect("open")
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(t, s)| (t.to_string(), *s)).collect()
}

/// Everything a reader can see.
fn view(o: &Olympics) -> String {
    let tallies = o
        .teams()
        .iter()
        .map(|t| format!("{:?}", o.tally(t).unwrap()));
    let scores = o
        .events()
        .iter()
        .map(|e| format!("{:?}", o.score(e).unwrap()));
    tallies.chain(scores).collect::<Vec<_>>().join("\n")
}

/// Start offsets (in the file) of the journal's records.
fn record_offsets(path: &Path) -> Vec<usize> {
    let bytes = fs::read(path).unwrap();
    let scan = record::scan(&bytes[HEADER_LEN..]);
    assert!(scan.is_clean());
    scan.records.iter().map(|r| HEADER_LEN + r.offset).collect()
}

/// The origin the journal in `dir` proves (opens and closes it).
async fn origin_of(dir: &Path) -> String {
    let o = open(dir, 1_000).await;
    let origin = o.origin().to_owned();
    o.close().await;
    origin
}

/// Gold medals of Gaul after `n` increments, one per record.
async fn gauls_golds(dir: &Path, n: usize) -> std::path::PathBuf {
    let o = open(dir, 1_000).await;
    for _ in 0..n {
        o.increment("Gaul", Medal::Gold).await.unwrap();
    }
    let path = o.journal_path().to_owned();
    o.close().await;
    path
}

#[tokio::test]
async fn acknowledged_changes_survive_a_restart_and_numbers_continue() {
    let dir = temp();
    let o = open(dir.path(), 1_000).await;
    join_all((0..30).map(|i| o.increment(["Gaul", "Rome"][i % 2], Medal::ALL[i % 3]))).await;
    o.set_score("skating", &pairs(&[("Gaul", 3), ("Rome", 4)]))
        .await
        .unwrap();
    let remote = Change::parse(b"MEDAL Bravo 8 Rome gold 5").unwrap();
    o.merge(remote).await.unwrap().unwrap();
    let before = (view(&o), o.version_vector());
    let origin = o.origin().to_owned();
    assert_eq!(before.1[&origin], 31);
    o.close().await;

    let o = open(dir.path(), 1_000).await;
    assert_eq!(o.origin(), origin, "an intact journal keeps its origin");
    assert_eq!((view(&o), o.version_vector()), before);
    let next = o.increment("Rome", Medal::Gold).await.unwrap().change;
    assert_eq!(next.encode(), format!("MEDAL {origin} 32 Rome gold 6"));
    assert_eq!(o.tally("Rome").unwrap().gold, 5 + 6);
}

#[tokio::test]
async fn a_torn_last_record_is_cut_off_and_the_rest_and_the_origin_kept() {
    let dir = temp();
    let path = gauls_golds(dir.path(), 5).await;
    let origin = origin_of(dir.path()).await;
    let offsets = record_offsets(&path);
    let last = *offsets.last().unwrap() as u64;
    // The last record loses its final bytes, as if the write was torn.
    let len = fs::metadata(&path).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 3)
        .unwrap();

    let o = open(dir.path(), 1_000).await;
    assert_eq!(o.origin(), origin);
    assert_eq!(o.tally("Gaul").unwrap().gold, 4);
    assert_eq!(
        fs::metadata(&path).unwrap().len(),
        last,
        "cut at the torn record"
    );
    // The lost count and number were never acknowledged, so reuse is fine.
    let next = o.increment("Gaul", Medal::Gold).await.unwrap().change;
    assert_eq!(next.encode(), format!("MEDAL {origin} 5 Gaul gold 5"));
    o.close().await;
    let o = open(dir.path(), 1_000).await;
    assert_eq!(o.tally("Gaul").unwrap().gold, 5);
}

#[tokio::test]
async fn a_partial_record_after_the_last_one_is_cut_off() {
    let dir = temp();
    let path = gauls_golds(dir.path(), 3).await;
    let good_len = fs::metadata(&path).unwrap().len();
    let origin = origin_of(dir.path()).await;
    for garbage in [&b"\x07"[..], b"\x10\0\0\0\xde\xad"] {
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(garbage)
            .unwrap();
        let o = open(dir.path(), 1_000).await;
        assert_eq!(o.tally("Gaul").unwrap().gold, 3);
        assert_eq!(o.origin(), origin, "a torn tail proves the history");
        o.close().await;
        assert_eq!(fs::metadata(&path).unwrap().len(), good_len);
    }
}

#[tokio::test]
async fn a_checksummed_but_unreadable_record_is_refused_not_dropped() {
    let dir = temp();
    let path = gauls_golds(dir.path(), 2).await;
    let mut rec = Vec::new();
    record::encode(b"FUTURE thing", &mut rec).unwrap();
    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&rec)
        .unwrap();
    let before = fs::read(&path).unwrap();
    let err = Olympics::open(&config(1_000), "Alpha", dir.path())
        .await
        .unwrap_err();
    assert!(matches!(err, OlympicError::BadRecord { .. }), "{err}");
    assert_eq!(fs::read(&path).unwrap(), before, "left untouched");
}

#[tokio::test]
async fn a_file_that_is_not_a_journal_is_refused_and_left_alone() {
    let dir = temp();
    let path = dir.path().join("Alpha.journal");
    fs::write(&path, b"precious data, not ours").unwrap();
    let err = Olympics::open(&config(1_000), "Alpha", dir.path())
        .await
        .unwrap_err();
    assert!(matches!(err, OlympicError::NotAJournal { .. }), "{err}");
    assert_eq!(fs::read(&path).unwrap(), b"precious data, not ours");
}

#[tokio::test]
async fn compaction_shrinks_the_journal_and_keeps_state_and_numbers() {
    let dir = temp();
    let o = open(dir.path(), 20).await;
    for _ in 0..150 {
        o.increment("Rome", Medal::Bronze).await.unwrap();
    }
    // This server's last operation is a score that a newer remote one
    // supersedes: once compaction forgets the score, its number must still
    // never be handed out again.
    let mine = o
        .set_score("skiing", &pairs(&[("Gaul", 1), ("Rome", 1)]))
        .await
        .unwrap();
    assert_eq!(mine.change.op().seq, 151);
    let newer = format!("SCORE Bravo 1 skiing {} Gaul 2 Rome 2", i64::MAX);
    o.merge(Change::parse(newer.as_bytes()).unwrap())
        .await
        .unwrap()
        .unwrap();
    for count in 1..=25 {
        let remote = format!("MEDAL Bravo {} Gaul gold {count}", count + 1);
        o.merge(Change::parse(remote.as_bytes()).unwrap())
            .await
            .unwrap()
            .unwrap();
    }
    let stats = o.journal_stats();
    assert!(stats.compactions >= 2, "{stats:?}");
    assert!(stats.records_in_file <= 21, "{stats:?}");
    let size = fs::metadata(o.journal_path()).unwrap().len();
    assert!(size < 21 * 80, "journal of {size} bytes");
    let before = (view(&o), o.version_vector());
    let origin = o.origin().to_owned();
    assert_eq!(before.1[&origin], 151);
    o.close().await;

    let o = open(dir.path(), 20).await;
    assert_eq!(o.origin(), origin, "a compacted journal keeps its origin");
    assert_eq!((view(&o), o.version_vector()), before);
    let next = o.increment("Rome", Medal::Bronze).await.unwrap().change;
    assert_eq!(next.encode(), format!("MEDAL {origin} 152 Rome bronze 151"));
}

#[tokio::test]
async fn a_long_journal_is_compacted_at_open() {
    let dir = temp();
    let path = gauls_golds(dir.path(), 40).await;
    let long = fs::metadata(&path).unwrap().len();
    let o = open(dir.path(), 10).await;
    assert_eq!(
        o.journal_stats().records_in_file,
        2,
        "identity and snapshot"
    );
    assert!(fs::metadata(&path).unwrap().len() < long / 10);
    assert_eq!(o.tally("Gaul").unwrap().gold, 40);
    assert_eq!(
        o.increment("Gaul", Medal::Gold)
            .await
            .unwrap()
            .change
            .op()
            .seq,
        41
    );
}

#[tokio::test]
async fn a_leftover_compaction_file_is_ignored_and_removed() {
    let dir = temp();
    gauls_golds(dir.path(), 2).await;
    let tmp = dir.path().join("Alpha.journal.tmp");
    fs::write(&tmp, b"HERDOLYJ half-written").unwrap();
    let o = open(dir.path(), 1_000).await;
    assert_eq!(o.tally("Gaul").unwrap().gold, 2);
    assert!(!tmp.exists());
}

#[tokio::test]
async fn concurrent_writes_share_fsyncs() {
    let dir = temp();
    let o = open(dir.path(), 10_000).await;
    let done = join_all((0..200).map(|i| o.increment(["Gaul", "Rome"][i % 2], Medal::Gold))).await;
    assert!(done.iter().all(Result::is_ok));
    let stats = o.journal_stats();
    assert_eq!(stats.records, 200);
    eprintln!("200 concurrent increments: {stats:?}");
    assert!(
        stats.fsyncs <= 50,
        "200 writes took {} fsyncs",
        stats.fsyncs
    );
    assert_eq!(
        o.tally("Gaul").unwrap().gold + o.tally("Rome").unwrap().gold,
        200
    );
    o.close().await;
    let o = open(dir.path(), 10_000).await;
    assert_eq!(o.tally("Gaul").unwrap().gold, 100);
}
