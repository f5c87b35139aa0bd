//! Olympic replicas exchanging changes: convergence whatever the delivery
//! order, exact totals, last-writer-wins stamps, names, subscriptions.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::join_all;
use olympic::{
    Change, MAX_ORIGINS, ManualClock, Medal, OlympicError, Olympics, OlympicsConfig, Update,
};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tempfile::TempDir;

const NAMES: [&str; 3] = ["Alpha", "Bravo", "Charlie"];

fn temp() -> TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir")
}

/// A replica named `name` in its own directory, on a clock reading `now`.
async fn replica(name: &str, now: i64) -> (Olympics, Arc<ManualClock>, TempDir) {
    let dir = temp();
    let clock = Arc::new(ManualClock::new(now));
    let o = Olympics::open_with_clock(&OlympicsConfig::default(), name, dir.path(), clock.clone())
        .await
        .expect("open");
    (o, clock, dir)
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(t, s)| (t.to_string(), *s)).collect()
}

/// Everything a reader can see, for comparing replicas.
fn view(o: &Olympics) -> String {
    let mut out = String::new();
    for team in o.teams() {
        out += &format!("{:?}\n", o.tally(team).unwrap());
    }
    for event in o.events() {
        out += &format!("{:?}\n", o.score(event).unwrap());
    }
    out
}

/// Merges `changes` into `o`, all queued at once, in the given order.
async fn deliver(o: &Olympics, changes: &[Change]) {
    for r in join_all(changes.iter().map(|c| o.merge(c.clone()))).await {
        r.expect("merge");
    }
}

/// Runs random operations at random replicas, then gives every replica
/// every change, shuffled, with duplicates. Returns each replica's view.
async fn scramble(seed: u64, ops: usize) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut replicas = Vec::new();
    for name in NAMES {
        replicas.push(replica(name, 1_000).await);
    }
    let mut changes = Vec::new();
    for _ in 0..ops {
        let (o, clock, _) = &replicas[rng.random_range(0..3)];
        if rng.random_bool(0.7) {
            let team = ["Gaul", "Rome"][rng.random_range(0..2)];
            let medal = Medal::ALL[rng.random_range(0..3)];
            changes.push(o.increment(team, medal).await.unwrap().change);
        } else {
            // Few distinct times: ties between servers are common.
            clock.set(rng.random_range(0..3));
            let event = ["curling", "skating", "skiing"][rng.random_range(0..3)];
            let scores = pairs(&[("Gaul", rng.random_range(0..9)), ("Rome", 1)]);
            changes.push(o.set_score(event, &scores).await.unwrap().change);
        }
    }
    for (o, _, _) in &replicas {
        let mut delivered = changes.clone();
        for _ in 0..ops / 3 {
            delivered.push(changes[rng.random_range(0..changes.len())].clone());
        }
        delivered.shuffle(&mut rng);
        deliver(o, &delivered).await;
    }
    replicas.iter().map(|(o, _, _)| view(o)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]
    #[test]
    fn replicas_converge_whatever_the_order_and_duplicates(seed in any::<u64>()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let views = rt.block_on(scramble(seed, 40));
        prop_assert_eq!(&views[0], &views[1]);
        prop_assert_eq!(&views[0], &views[2]);
    }
}

#[tokio::test]
async fn a_thousand_increments_split_across_replicas_add_up_everywhere() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut replicas = Vec::new();
    for name in NAMES {
        replicas.push(replica(name, 0).await);
    }
    let mut plan: Vec<Vec<(&str, Medal)>> = vec![Vec::new(); 3];
    let mut expect: BTreeMap<(&str, Medal), u64> = BTreeMap::new();
    for _ in 0..1_000 {
        let team = ["Gaul", "Rome"][rng.random_range(0..2)];
        let medal = Medal::ALL[rng.random_range(0..3)];
        plan[rng.random_range(0..3)].push((team, medal));
        *expect.entry((team, medal)).or_default() += 1;
    }
    let mut changes = Vec::new();
    for ((o, _, _), todo) in replicas.iter().zip(&plan) {
        let done = join_all(todo.iter().map(|(t, m)| o.increment(t, *m))).await;
        changes.extend(done.into_iter().map(|r| r.unwrap().change));
    }
    changes.shuffle(&mut rng);
    for (o, _, _) in &replicas {
        deliver(o, &changes).await;
    }
    // A newcomer catches up from the others' snapshots alone.
    let (late, _, _dir) = replica("Delta", 0).await;
    for (o, _, _) in &replicas {
        deliver(&late, &o.snapshot()).await;
    }
    for o in replicas.iter().map(|r| &r.0).chain([&late]) {
        for ((team, medal), n) in &expect {
            assert_eq!(
                o.tally(team).unwrap().get(*medal),
                *n,
                "{} {team} {medal}",
                o.server()
            );
        }
        let total: u64 = ["Gaul", "Rome"]
            .iter()
            .map(|t| o.tally(t).unwrap())
            .map(|t| t.gold + t.silver + t.bronze)
            .sum();
        assert_eq!(total, 1_000);
    }
    assert_eq!(late.version_vector(), replicas[0].0.version_vector());
}

#[tokio::test]
async fn equal_times_are_won_by_the_greater_server_name() {
    let (alpha, _, _a) = replica("Alpha", 500).await;
    let (bravo, _, _b) = replica("Bravo", 500).await;
    let from_a = alpha
        .set_score("curling", &pairs(&[("Gaul", 1), ("Rome", 0)]))
        .await
        .unwrap();
    let from_b = bravo
        .set_score("curling", &pairs(&[("Gaul", 2), ("Rome", 0)]))
        .await
        .unwrap();
    assert!(alpha.merge(from_b.change).await.unwrap().is_some());
    assert!(bravo.merge(from_a.change).await.unwrap().is_none());
    for o in [&alpha, &bravo] {
        let score = o.score("curling").unwrap();
        assert_eq!(score.scores[0], ("Gaul".to_string(), 2));
        let stamp = score.stamp.unwrap();
        assert_eq!(
            (stamp.time_ns, stamp.origin.as_str()),
            (500, bravo.origin())
        );
        assert_eq!(stamp.server(), "Bravo");
    }
}

#[tokio::test]
async fn own_stamps_strictly_increase_even_when_the_clock_goes_back() {
    let (o, clock, _dir) = replica("Alpha", 1_000).await;
    let score = pairs(&[("Gaul", 1), ("Rome", 1)]);
    let stamp = |a: &olympic::Applied| match &a.change {
        Change::Score { stamp_ns, .. } => *stamp_ns,
        other => panic!("not a score: {other:?}"),
    };
    assert_eq!(stamp(&o.set_score("skiing", &score).await.unwrap()), 1_000);
    clock.set(10);
    assert_eq!(stamp(&o.set_score("skiing", &score).await.unwrap()), 1_001);
    let remote = Change::parse(b"SCORE Zulu 1 skiing 5000 Gaul 9 Rome 9").unwrap();
    assert!(o.merge(remote).await.unwrap().is_some());
    let mine = o.set_score("skiing", &score).await.unwrap();
    assert_eq!(stamp(&mine), 5_001, "above the newest stamp seen");
    assert_eq!(o.score("skiing").unwrap().scores, score);
    // Another event has its own history: the clock's time is used.
    assert_eq!(stamp(&o.set_score("curling", &score).await.unwrap()), 10);
}

#[tokio::test]
async fn names_ignore_case_and_unknown_names_are_refused() {
    let (o, _, _dir) = replica("Alpha", 0).await;
    let applied = o.increment("gAuL", Medal::Gold).await.unwrap();
    assert_eq!(
        applied.change.encode(),
        format!("MEDAL {} 1 Gaul gold 1", o.origin())
    );
    assert_eq!(o.tally("GAUL").unwrap().team, "Gaul");
    assert_eq!(o.tally("gaul").unwrap().gold, 1);
    assert_eq!(o.team("rOmE"), Some("Rome"));
    assert_eq!(o.event("CURLING"), Some("curling"));
    assert_eq!(Olympics::medal("Bronze"), Some(Medal::Bronze));
    assert!(o.tally("Carthage").is_none());
    assert!(o.score("bobsleigh").is_none());
    assert!(matches!(
        o.increment("Carthage", Medal::Gold).await,
        Err(OlympicError::UnknownTeam(t)) if t == "Carthage"
    ));
    assert!(matches!(
        o.set_score("bobsleigh", &pairs(&[("Gaul", 1), ("Rome", 1)]))
            .await,
        Err(OlympicError::UnknownEvent(_))
    ));
    assert!(matches!(
        o.set_score("Skating", &pairs(&[("Gaul", 1)])).await,
        Err(OlympicError::MissingTeam { .. })
    ));
    let foreign = Change::parse(b"MEDAL Bravo 1 Carthage gold 1").unwrap();
    assert!(matches!(
        o.merge(foreign).await,
        Err(OlympicError::UnknownTeam(_))
    ));
    let shouting = Change::parse(b"SCORE Bravo 2 SKATING 7 rome 3 GAUL 4").unwrap();
    let merged = o.merge(shouting).await.unwrap().unwrap();
    assert_eq!(
        merged.change.encode(),
        "SCORE Bravo 2 skating 7 Gaul 4 Rome 3"
    );
    assert_eq!(
        o.journal_stats().records,
        2,
        "refused changes are not written"
    );
}

#[tokio::test]
async fn subscribers_see_local_and_merged_changes_but_not_duplicates() {
    let (o, _, _dir) = replica("Alpha", 0).await;
    let mut updates = o.subscribe();
    o.increment("Rome", Medal::Silver).await.unwrap();
    let remote = Change::parse(b"MEDAL Bravo 4 Rome silver 2").unwrap();
    o.merge(remote.clone()).await.unwrap().unwrap();
    assert!(o.merge(remote).await.unwrap().is_none());
    o.set_score("curling", &pairs(&[("Gaul", 5), ("Rome", 6)]))
        .await
        .unwrap();
    let Update::Tally(first) = updates.recv().await.unwrap() else {
        panic!()
    };
    assert_eq!((first.team.as_str(), first.silver), ("Rome", 1));
    let Update::Tally(second) = updates.recv().await.unwrap() else {
        panic!()
    };
    assert_eq!(second.silver, 3);
    let Update::Score(score) = updates.recv().await.unwrap() else {
        panic!()
    };
    assert_eq!(score.scores, pairs(&[("Gaul", 5), ("Rome", 6)]));
    assert!(
        updates.try_recv().is_err(),
        "the duplicate published nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_handle_serves_spawned_tasks_on_every_worker() {
    let (o, _, _dir) = replica("Alpha", 0).await;
    let o = Arc::new(o);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let o = Arc::clone(&o);
            tokio::spawn(async move {
                if i % 5 == 0 {
                    let s = pairs(&[("Gaul", i), ("Rome", -i)]);
                    o.set_score("skiing", &s).await.map(|_| ())
                } else {
                    o.increment("Rome", Medal::Gold).await.map(|_| ())
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(o.tally("Rome").unwrap().gold, 40);
    assert_eq!(o.version_vector()[o.origin()], 50);
}

#[tokio::test]
async fn changes_from_too_many_servers_are_refused() {
    let (o, _, _dir) = replica("Alpha", 0).await;
    o.increment("Gaul", Medal::Gold).await.unwrap();
    let from = |i: usize| Change::parse(format!("MEDAL S{i} 1 Gaul gold 1").as_bytes()).unwrap();
    deliver(&o, &(1..MAX_ORIGINS).map(from).collect::<Vec<_>>()).await;
    assert!(matches!(
        o.merge(from(MAX_ORIGINS)).await,
        Err(OlympicError::TooManyOrigins(_))
    ));
    let known = Change::parse(b"MEDAL S1 2 Gaul gold 2").unwrap();
    assert!(
        o.merge(known).await.unwrap().is_some(),
        "known servers still merge"
    );
    assert_eq!(o.tally("Gaul").unwrap().gold, MAX_ORIGINS as u64 + 1);
}
