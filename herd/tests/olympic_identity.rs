//! Whatever happens to one server's journal, no acknowledged increment is
//! lost while another replica kept it: a server that cannot prove its
//! history writes under a fresh origin, a damaged record costs only itself,
//! and one journal has one writer at a time.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use olympic::record::{self, HEADER_LEN, RECORD_HEADER_LEN};
use olympic::{Change, Medal, OlympicError, Olympics, OlympicsConfig};
use tempfile::TempDir;

fn temp() -> TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir")
}

async fn open(dir: &Path, name: &str) -> Olympics {
    Olympics::open(&OlympicsConfig::default(), name, dir)
        .await
        .expect("open")
}

/// Gives each replica everything the other holds, as a link coming up does.
async fn sync(a: &Olympics, b: &Olympics) {
    for (from, to) in [(a, b), (b, a)] {
        for change in from.snapshot() {
            to.merge(change).await.expect("merge");
        }
    }
}

fn golds(o: &Olympics) -> u64 {
    o.tally("Gaul").unwrap().gold
}

async fn gold_times(o: &Olympics, n: usize) {
    for _ in 0..n {
        o.increment("Gaul", Medal::Gold).await.expect("increment");
    }
}

/// The file offsets of the journal's records; the file must be clean.
fn record_offsets(path: &Path) -> Vec<usize> {
    let bytes = fs::read(path).unwrap();
    let scan = record::scan(&bytes[HEADER_LEN..]);
    assert!(scan.is_clean(), "{scan:?}");
    scan.records.iter().map(|r| HEADER_LEN + r.offset).collect()
}

/// Flips one payload byte of record `index` (0 is the identity record).
fn damage_record(path: &Path, index: usize) -> Vec<u8> {
    let offsets = record_offsets(path);
    let mut bytes = fs::read(path).unwrap();
    let end = offsets.get(index + 1).copied().unwrap_or(bytes.len());
    let damaged = bytes[offsets[index]..end].to_vec();
    bytes[offsets[index] + RECORD_HEADER_LEN + 2] ^= 0x20;
    fs::write(path, &bytes).unwrap();
    damaged
}

/// A and B linked, with `n` golds taken at A and synced to B. A is closed;
/// returns B, A's journal path and both directories.
async fn golds_at_a_known_to_b(n: usize) -> (Olympics, PathBuf, TempDir, TempDir) {
    let (da, db) = (temp(), temp());
    let a = open(da.path(), "A").await;
    let b = open(db.path(), "B").await;
    gold_times(&a, n).await;
    sync(&a, &b).await;
    assert_eq!(golds(&b), n as u64);
    let path = a.journal_path().to_owned();
    a.close().await;
    (b, path, da, db)
}

#[tokio::test]
async fn a_server_back_without_its_journal_loses_no_acknowledged_increment() {
    let (b, path, da, _db) = golds_at_a_known_to_b(5).await;
    fs::remove_file(&path).unwrap();
    // A comes back cut off and takes three more increments...
    let a = open(da.path(), "A").await;
    gold_times(&a, 3).await;
    assert_eq!(golds(&a), 3);
    a.close().await;
    // ...and is restarted linked to B.
    let a = open(da.path(), "A").await;
    sync(&a, &b).await;
    assert_eq!((golds(&a), golds(&b)), (8, 8));
}

#[tokio::test]
async fn writes_straight_after_a_wiped_restart_are_not_hidden_by_the_old_count() {
    let (b, path, da, _db) = golds_at_a_known_to_b(5).await;
    fs::remove_file(&path).unwrap();
    let a = open(da.path(), "A").await;
    let applied = a.increment("Gaul", Medal::Gold).await.unwrap();
    // Flooded to B before any sync: B must count it.
    b.merge(applied.change).await.unwrap();
    assert_eq!(golds(&b), 6);
    sync(&a, &b).await;
    assert_eq!((golds(&a), golds(&b)), (6, 6));
}

#[tokio::test]
async fn a_damaged_journal_gets_a_fresh_origin_and_loses_no_increment() {
    let (b, path, da, _db) = golds_at_a_known_to_b(5).await;
    let origin = {
        let a = open(da.path(), "A").await;
        let origin = a.origin().to_owned();
        a.close().await;
        origin
    };
    damage_record(&path, 3);
    let a = open(da.path(), "A").await;
    assert_ne!(a.origin(), origin, "damage proves nothing");
    assert!(a.origin().starts_with("A/"), "{}", a.origin());
    assert_eq!(golds(&a), 5, "the later records still carry the count");
    gold_times(&a, 3).await;
    assert_eq!(golds(&a), 8);
    sync(&a, &b).await;
    assert_eq!((golds(&a), golds(&b)), (8, 8));
    a.close().await;
    let a = open(da.path(), "A").await;
    assert_eq!(golds(&a), 8);
}

#[tokio::test]
async fn a_damaged_record_costs_that_record_only_and_the_file_is_rewritten() {
    let dir = temp();
    let o = open(dir.path(), "Alpha").await;
    // One record per cell: each cell shows which records survived.
    for team in ["Gaul", "Rome"] {
        for medal in Medal::ALL {
            o.increment(team, medal).await.unwrap();
        }
    }
    let path = o.journal_path().to_owned();
    o.close().await;
    let damaged = damage_record(&path, 4); // Rome gold is record 4
    let o = open(dir.path(), "Alpha").await;
    let gaul = o.tally("Gaul").unwrap();
    let rome = o.tally("Rome").unwrap();
    assert_eq!((gaul.gold, gaul.silver, gaul.bronze), (1, 1, 1));
    assert_eq!((rome.gold, rome.silver, rome.bronze), (0, 1, 1));
    o.close().await;
    assert_eq!(record_offsets(&path).len(), 2, "identity and snapshot");
    let discarded = fs::read(dir.path().join("Alpha.journal.discarded")).unwrap();
    let mut expected = damaged;
    expected[RECORD_HEADER_LEN + 2] ^= 0x20;
    assert_eq!(discarded, expected, "the skipped bytes are kept aside");
}

#[tokio::test]
async fn garbage_at_the_end_is_damage_not_a_torn_write() {
    let dir = temp();
    let o = open(dir.path(), "Alpha").await;
    gold_times(&o, 3).await;
    let (origin, path) = (o.origin().to_owned(), o.journal_path().to_owned());
    o.close().await;
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(b"\xff\xff\xff\xff\0\0\0\0 junk junk")
        .unwrap();
    let o = open(dir.path(), "Alpha").await;
    assert_eq!(golds(&o), 3);
    assert_ne!(o.origin(), origin);
    o.close().await;
    record_offsets(&path);
}

#[tokio::test]
async fn an_identity_of_another_server_is_not_taken_over() {
    let dir = temp();
    let bravo = open(dir.path(), "Bravo").await;
    gold_times(&bravo, 2).await;
    let bravo_origin = bravo.origin().to_owned();
    bravo.close().await;
    fs::copy(
        dir.path().join("Bravo.journal"),
        dir.path().join("Alpha.journal"),
    )
    .unwrap();
    let alpha = open(dir.path(), "Alpha").await;
    assert!(alpha.origin().starts_with("Alpha/"), "{}", alpha.origin());
    assert_eq!(golds(&alpha), 2, "Bravo's changes are kept as Bravo's");
    assert_eq!(alpha.version_vector()[&bravo_origin], 2);
}

/// A version-1 journal of `Alpha` holding `records` (change lines).
fn version_1_journal(dir: &Path, records: &[&str]) -> PathBuf {
    let mut bytes = record::header().to_vec();
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    for r in records {
        record::encode(r.as_bytes(), &mut bytes).unwrap();
    }
    let path = dir.join("Alpha.journal");
    fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn a_version_1_journal_keeps_the_bare_name_as_its_origin() {
    let dir = temp();
    let path = version_1_journal(
        dir.path(),
        &["MEDAL Alpha 1 Gaul gold 1", "MEDAL Alpha 2 Gaul gold 2"],
    );
    let o = open(dir.path(), "Alpha").await;
    assert_eq!(o.origin(), "Alpha");
    let next = o.increment("Gaul", Medal::Gold).await.unwrap().change;
    assert_eq!(next.encode(), "MEDAL Alpha 3 Gaul gold 3");
    o.close().await;
    let header = &fs::read(&path).unwrap()[..HEADER_LEN];
    assert_eq!(header, record::header(), "rewritten in the current format");
    let o = open(dir.path(), "Alpha").await;
    assert_eq!((o.origin(), golds(&o)), ("Alpha", 3));
}

#[tokio::test]
async fn a_damaged_version_1_journal_gets_a_fresh_origin() {
    let dir = temp();
    let path = version_1_journal(
        dir.path(),
        &["MEDAL Alpha 1 Gaul gold 1", "MEDAL Alpha 2 Gaul gold 2"],
    );
    let mut bytes = fs::read(&path).unwrap();
    bytes[HEADER_LEN + RECORD_HEADER_LEN + 1] ^= 1;
    fs::write(&path, bytes).unwrap();
    let o = open(dir.path(), "Alpha").await;
    assert!(o.origin().starts_with("Alpha/"), "{}", o.origin());
    assert_eq!(golds(&o), 2);
    let next = o.increment("Gaul", Medal::Gold).await.unwrap().change;
    assert_eq!(next.encode(), format!("MEDAL {} 1 Gaul gold 1", o.origin()));
    assert_eq!(golds(&o), 3);
}

#[tokio::test]
async fn one_journal_has_one_handle_until_it_is_closed() {
    let dir = temp();
    let first = open(dir.path(), "Alpha").await;
    let err = Olympics::open(&OlympicsConfig::default(), "Alpha", dir.path())
        .await
        .unwrap_err();
    assert!(matches!(err, OlympicError::Locked { .. }), "{err}");
    assert!(dir.path().join("Alpha.lock").exists());
    first.close().await;
    let again = open(dir.path(), "Alpha").await;
    gold_times(&again, 1).await;
}

#[tokio::test]
async fn changes_of_other_incarnations_merge_and_count_separately() {
    let dir = temp();
    let o = open(dir.path(), "Alpha").await;
    gold_times(&o, 1).await;
    for line in [
        "MEDAL Alpha/0000000000000001 7 Gaul gold 4",
        "MEDAL Alpha 9 Gaul gold 2",
    ] {
        o.merge(Change::parse(line.as_bytes()).unwrap())
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(golds(&o), 1 + 4 + 2);
    let bad = Change::parse(b"MEDAL Alpha/XYZ 1 Gaul gold 1").unwrap();
    assert!(matches!(
        o.merge(bad).await,
        Err(OlympicError::BadOrigin(_))
    ));
}
