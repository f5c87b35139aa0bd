//! One test suite, run against both stores: the embedded log and Redis.
//! Each check gets a fresh, empty store.

mod common;

use std::future::Future;
use std::sync::Arc;

use leaderboard::result::points;
use leaderboard::store::embedded::EmbeddedStore;
use leaderboard::store::redis::RedisStore;
use leaderboard::{Applied, Recorded, Standing, Store, TOP};

fn result(id: &str, athlete: &str, team: &str, place: Option<u8>) -> Recorded {
    Recorded {
        id: id.into(),
        athlete: athlete.into(),
        team: team.into(),
        event: "curling".into(),
        place,
        points: points(place),
    }
}

async fn post<S: Store>(store: &S, id: &str, athlete: &str, place: Option<u8>) -> Applied {
    store
        .apply(result(id, athlete, "Gaul", place))
        .await
        .unwrap()
}

fn names(board: &[Standing]) -> Vec<&str> {
    board.iter().map(|s| s.athlete.as_str()).collect()
}

/// Runs every check, each on a store from `fresh`.
async fn suite<S, F, Fut>(mut fresh: F)
where
    S: Store,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    averages_follow_the_seed_points(&fresh().await).await;
    a_repeated_id_counts_once_and_answers_the_first_result(&fresh().await).await;
    the_board_orders_by_average_then_results_then_name(&fresh().await).await;
    ties_at_the_tenth_place_are_broken_by_results_then_name(&fresh().await).await;
    an_athlete_without_results_is_unknown(&fresh().await).await;
    concurrent_posts_never_leave_a_stale_average(Arc::new(fresh().await)).await;
}

async fn averages_follow_the_seed_points<S: Store>(store: &S) {
    assert_eq!(
        post(store, "1", "Asterix", Some(1)).await,
        Applied::New(result("1", "Asterix", "Gaul", Some(1)))
    );
    post(store, "2", "Asterix", Some(2)).await;
    post(store, "3", "Asterix", None).await;
    post(store, "4", "Asterix", Some(7)).await;
    let line = store.athlete("Asterix").await.unwrap().unwrap();
    assert_eq!(
        (line.team.as_str(), line.average, line.results),
        ("Gaul", 11.0 / 4.0, 4)
    );
}

async fn a_repeated_id_counts_once_and_answers_the_first_result<S: Store>(store: &S) {
    let first = post(store, "r1", "Obelix", Some(3)).await;
    assert!(matches!(first, Applied::New(_)));
    let again = post(store, "r1", "Obelix", Some(1)).await;
    assert_eq!(
        again,
        Applied::Seen(result("r1", "Obelix", "Gaul", Some(3)))
    );
    let line = store.athlete("Obelix").await.unwrap().unwrap();
    assert_eq!((line.average, line.results), (4.0, 1));
}

async fn the_board_orders_by_average_then_results_then_name<S: Store>(store: &S) {
    // Getafix 6/1; Asterix 12/2 (same average, more results);
    // Dogmatix and Obelix 5/1 (tie on both: by name); Brutus 0.
    post(store, "g1", "Getafix", Some(1)).await;
    post(store, "a1", "Asterix", Some(1)).await;
    post(store, "a2", "Asterix", Some(1)).await;
    post(store, "o1", "Obelix", Some(2)).await;
    post(store, "d1", "Dogmatix", Some(2)).await;
    post(store, "b1", "Brutus", None).await;
    let board = store.top().await.unwrap();
    assert_eq!(
        names(&board),
        ["Asterix", "Getafix", "Dogmatix", "Obelix", "Brutus"]
    );
    assert_eq!(board[0].average, 6.0);
    assert_eq!(board[4].average, 0.0);
}

async fn ties_at_the_tenth_place_are_broken_by_results_then_name<S: Store>(store: &S) {
    // Eight athletes at 6, then twelve at 5: z00..z09 with one result,
    // y00 and y01 with two. The last two places go to y00 and y01 (more
    // results), though a read of the ten highest scores alone would
    // stop at names in reverse order (z09, z08).
    for i in 0..8 {
        post(store, &format!("top{i}"), &format!("t{i}"), Some(1)).await;
    }
    for i in 0..10 {
        post(store, &format!("z{i}"), &format!("z{i:02}"), Some(2)).await;
    }
    for i in 0..2 {
        for k in 0..2 {
            post(store, &format!("y{i}-{k}"), &format!("y{i:02}"), Some(2)).await;
        }
    }
    let board = store.top().await.unwrap();
    assert_eq!(board.len(), TOP);
    assert_eq!(&names(&board)[8..], ["y00", "y01"]);
    // Without the two-result athletes, the tie goes by name.
    post(store, "t-extra", "t0", Some(1)).await;
    let board = store.top().await.unwrap();
    assert_eq!(names(&board)[0], "t0");
}

async fn an_athlete_without_results_is_unknown<S: Store>(store: &S) {
    post(store, "x", "Asterix", Some(1)).await;
    assert_eq!(store.athlete("Nobody").await.unwrap(), None);
    assert_eq!(store.athlete("asterix").await.unwrap(), None);
}

/// Fifteen athletes, forty results each, posted in forty waves: in each
/// wave every athlete's next result is posted twice, all at once, while
/// readers read the board. Every read must succeed (the Redis store
/// refuses to show an average that is not its sums' average) and come out
/// in order; at the end the board shows exact sums, in an order (which
/// Redis reads from the averages it stored) that matches them.
async fn concurrent_posts_never_leave_a_stale_average<S: Store>(store: Arc<S>) {
    const ATHLETES: u8 = 15;
    const EACH: u8 = 40;
    const READERS: usize = 4;
    let place = |a: u8, k: u8| if k < a { 8 } else { (k + a / 2) % 8 + 1 };
    let mut new = 0;
    for k in 0..EACH {
        let mut writers = Vec::new();
        for a in 0..ATHLETES {
            for _copy in 0..2 {
                let store = store.clone();
                let r = result(
                    &format!("{a}-{k}"),
                    &format!("c{a:02}"),
                    "Rome",
                    Some(place(a, k)),
                );
                writers.push(tokio::spawn(async move { store.apply(r).await.unwrap() }));
            }
        }
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    let board = store.top().await.unwrap();
                    assert!(board.windows(2).all(|w| w[0].rank(&w[1]).is_lt()));
                })
            })
            .collect();
        for writer in writers {
            new += usize::from(matches!(writer.await.unwrap(), Applied::New(_)));
        }
        for reader in readers {
            reader.await.unwrap();
        }
    }
    assert_eq!(new, usize::from(ATHLETES) * usize::from(EACH));
    let mut expected = Vec::new();
    for a in 0..ATHLETES {
        let sum: u64 = (0..EACH)
            .map(|k| u64::from(points(Some(place(a, k)))))
            .sum();
        let line = Standing::new(format!("c{a:02}"), "Rome".into(), sum, u64::from(EACH));
        assert_eq!(
            store.athlete(&line.athlete).await.unwrap(),
            Some(line.clone())
        );
        expected.push(line);
    }
    expected.sort_by(Standing::rank);
    expected.truncate(TOP);
    assert_eq!(store.top().await.unwrap(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_store_passes_the_shared_suite() {
    let parent = tempfile::tempdir().unwrap();
    let mut n = 0;
    suite(|| {
        n += 1;
        let dir = parent.path().join(n.to_string());
        async move { EmbeddedStore::open(&dir).unwrap() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_store_passes_the_shared_suite() {
    let Some(redis) = common::redis_or_skip("redis_store_passes_the_shared_suite") else {
        return;
    };
    let url = redis.url();
    let mut n = 0;
    suite(|| {
        n += 1;
        let (url, prefix) = (url.clone(), format!("suite{n}"));
        async move { RedisStore::connect(&url, &prefix).await.unwrap() }
    })
    .await;
}

#[tokio::test]
async fn the_embedded_store_reopens_with_every_counted_result() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EmbeddedStore::open(dir.path()).unwrap();
        post(&store, "1", "Asterix", Some(1)).await;
        post(&store, "2", "Asterix", Some(4)).await;
        post(&store, "3", "Obelix", None).await;
    }
    let store = EmbeddedStore::open(dir.path()).unwrap();
    assert_eq!(names(&store.top().await.unwrap()), ["Asterix", "Obelix"]);
    assert!(matches!(
        post(&store, "2", "Asterix", Some(1)).await,
        Applied::Seen(_)
    ));
    let line = store.athlete("Asterix").await.unwrap().unwrap();
    assert_eq!((line.average, line.results), (4.5, 2));
}
