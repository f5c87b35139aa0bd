//! Idempotency keys in the Olympic state: a keyed write repeated at the
//! same replica, after a restart (journal replay), after a compaction
//! (snapshot), or at another replica that merged the change, applies once
//! and answers what the first write made; a key reused for another write is
//! refused.

use std::path::Path;

use olympic::{Change, IdemKey, Medal, OlympicError, Olympics, OlympicsConfig, Once, Update};
use tempfile::TempDir;

fn temp() -> TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir")
}

async fn open(dir: &Path, server: &str, compact_after: usize) -> Olympics {
    let config = OlympicsConfig {
        compact_after,
        ..OlympicsConfig::default()
    };
    Olympics::open(&config, server, dir).await.expect("open")
}

fn key(text: &str) -> IdemKey {
    IdemKey::new(text).unwrap()
}

fn gold(update: &Update) -> u64 {
    match update {
        Update::Tally(tally) => tally.gold,
        Update::Score(_) => panic!("a tally was expected"),
    }
}

/// The change a keyed write made; panics on a repeat.
fn applied(once: Once) -> Change {
    match once {
        Once::Applied(applied) => applied.change,
        Once::Repeated(_) => panic!("the first write under a key was taken for a repeat"),
    }
}

/// Repeats the `k1` gold for Gaul and asserts it was not applied again.
async fn assert_one_gold_after_a_repeat(o: &Olympics, after: &str) {
    let repeat = o
        .increment_once("Gaul", Medal::Gold, key("k1"))
        .await
        .unwrap();
    assert!(
        matches!(repeat, Once::Repeated(_)),
        "the key did not survive {after}"
    );
    assert_eq!(o.tally("Gaul").unwrap().gold, 1);
}

#[tokio::test]
async fn a_keyed_increment_repeated_after_a_restart_and_a_compaction_applies_once() {
    let dir = temp();
    let o = open(dir.path(), "Alpha", 1_000).await;
    let first = applied(
        o.increment_once("Gaul", Medal::Gold, key("k1"))
            .await
            .unwrap(),
    );
    assert_eq!(first.key().map(|k| k.key.as_str()), Some("k1"));
    let Once::Repeated(again) = o
        .increment_once("gaul", Medal::Gold, key("k1"))
        .await
        .unwrap()
    else {
        panic!("a repeat was applied again");
    };
    assert_eq!(gold(&again), 1);
    o.close().await;

    let o = open(dir.path(), "Alpha", 1_000).await;
    assert_one_gold_after_a_repeat(&o, "a restart").await;
    // Enough other writes to compact the journal into a snapshot.
    for _ in 0..5 {
        o.increment("Rome", Medal::Silver).await.unwrap();
    }
    o.close().await;
    let o = open(dir.path(), "Alpha", 3).await;
    assert_one_gold_after_a_repeat(&o, "a compaction").await;
    let reused = o.increment_once("Rome", Medal::Gold, key("k1")).await;
    assert!(
        matches!(reused, Err(OlympicError::KeyReused(_))),
        "{reused:?}"
    );
    o.close().await;
}

#[tokio::test]
async fn a_replica_that_merged_a_keyed_score_answers_its_repeat_with_the_first_score() {
    let (a_dir, b_dir) = (temp(), temp());
    let a = open(a_dir.path(), "Alpha", 1_000).await;
    let b = open(b_dir.path(), "Bravo", 1_000).await;
    let scores = vec![("Gaul".to_owned(), 3), ("Rome".to_owned(), 1)];
    let change = applied(
        a.set_score_once("curling", &scores, key("s1"))
            .await
            .unwrap(),
    );
    b.merge(change.clone()).await.unwrap();
    // A later score at Bravo does not change what the repeat answers.
    b.set_score("curling", &[("Gaul".to_owned(), 9), ("Rome".to_owned(), 9)])
        .await
        .unwrap();
    let Once::Repeated(Update::Score(first)) = b
        .set_score_once("curling", &scores, key("s1"))
        .await
        .unwrap()
    else {
        panic!("the replica applied a repeat of a write it had merged");
    };
    assert_eq!(first.scores, scores);
    assert_eq!(first.stamp.unwrap().origin, a.origin());
    assert_eq!(b.score("curling").unwrap().scores[0].1, 9);
    // The merged key travels on in Bravo's snapshot, to replicas that
    // missed the change itself.
    assert!(b.snapshot().contains(&change));
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn one_key_applied_at_two_replicas_counts_once_at_both_and_after_a_restart() {
    let (a_dir, b_dir) = (temp(), temp());
    let a = open(a_dir.path(), "Alpha", 1_000).await;
    let b = open(b_dir.path(), "Bravo", 1_000).await;
    a.increment("Gaul", Medal::Gold).await.unwrap();
    // Each applies the key before hearing of the other's write.
    let at_a = applied(
        a.increment_once("Gaul", Medal::Gold, key("k"))
            .await
            .unwrap(),
    );
    let at_b = applied(
        b.increment_once("Gaul", Medal::Gold, key("k"))
            .await
            .unwrap(),
    );
    let first = |change: &Change| change.key().and_then(|k| k.first).unwrap();
    assert_eq!(first(&at_a), [2, 0, 0], "Alpha answered its own two golds");
    assert_eq!(first(&at_b), [1, 0, 0]);
    for change in a.snapshot() {
        b.merge(change).await.unwrap();
    }
    for change in b.snapshot() {
        a.merge(change).await.unwrap();
    }
    assert_eq!(a.tally("Gaul").unwrap().gold, 2);
    assert_eq!(b.tally("Gaul").unwrap().gold, 2);
    assert_eq!(a.snapshot(), b.snapshot(), "the replicas agree");
    // Both repeat the answer of the write that counts.
    for o in [&a, &b] {
        let Once::Repeated(again) = o
            .increment_once("Gaul", Medal::Gold, key("k"))
            .await
            .unwrap()
        else {
            panic!("a repeat was applied again");
        };
        // Alpha's write has the earlier key time: it is the one kept.
        let kept = &at_a;
        let shown = match &again {
            Update::Tally(t) => [t.gold, t.silver, t.bronze],
            Update::Score(_) => panic!("a tally was expected"),
        };
        assert_eq!(shown, first(kept));
    }
    b.close().await;
    let b = open(b_dir.path(), "Bravo", 1).await;
    assert_eq!(b.tally("Gaul").unwrap().gold, 2, "the void survives replay");
    a.close().await;
    b.close().await;
}
