//! The scoreboard in a real browser: headless Chromium opens `/` on a facade
//! in front of two real herd servers (in this process, loopback, free ports).
//! The page shows the current values; a `setScore` made while it is open
//! appears without a reload (a mark set on the page's `window` survives, and
//! the page counts its own loads); `/herd` shows both servers and their link;
//! when the facade goes away the page says it is reconnecting. Screenshots go
//! to `target/browser/`.
//!
//! Skipped with a message where Chromium is not installed, except under
//! `CI=true`, where that fails.

#[path = "common/cdp.rs"]
mod cdp;
mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cdp::Browser;
use common::in_process::{InProcessHerd, cacofonix_id};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The page's state as the test reads it: the stream mark, its own load
/// count, how many events it received, each score and tally shown; `null`
/// while the page is still loading.
const READ_BOARD: &str = r##"(() => { try { return {
  stream: document.body?.dataset.stream || "",
  status: document.getElementById("stream")?.textContent || "",
  loads: document.body.dataset.loads || "",
  received: Number(document.body.dataset.received || 0),
  mark: window.testMark || null,
  scores: Object.fromEntries([...document.querySelectorAll("[data-event]")].map(card =>
    [card.dataset.event, Object.fromEntries([...card.querySelectorAll("li")].map(li =>
      [li.dataset.team, Number(li.children[1].textContent)]))])),
  medals: Object.fromEntries([...document.querySelectorAll("#medals tr[data-team]")].map(tr =>
    [tr.dataset.team, [...tr.querySelectorAll("[data-medal]")].map(td => Number(td.textContent))])),
  log: [...document.querySelectorAll("#received li")].map(li => li.textContent),
}; } catch (e) { return null; } })()"##;

/// Where screenshots go: `target/browser/`.
fn artefacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Evaluates `expression` until `check` accepts its value, within twice
/// [`WAIT`]; a page still loading is asked again.
async fn until(
    browser: &mut Browser,
    session: &str,
    expression: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + WAIT * 2;
    loop {
        let value = browser.try_eval(session, expression).await;
        if let Ok(value) = &value
            && check(value)
        {
            return value.clone();
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the page shows {value:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The Chromium binary; `None`, after saying the test is skipped, where it
/// is not installed. Under `CI=true` a missing Chromium fails the test.
fn chromium_or_skip() -> Option<PathBuf> {
    let chromium = cdp::find_chromium();
    if chromium.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but chromium is not installed (apt-get install chromium)"
        );
        eprintln!("SKIPPED: chromium is not installed (apt-get install chromium)");
    }
    chromium
}

/// Opens `/herd` on the facade at `addr` and waits until it shows both
/// servers with their link up, Goloman first; saves a screenshot.
async fn herd_page_shows_both_servers(browser: &mut Browser, addr: std::net::SocketAddr) {
    let herd_page = browser.open(&format!("http://{addr}/herd")).await;
    let servers = until(
        browser,
        &herd_page,
        "[...document.querySelectorAll('[data-addr]')].map(c => c.textContent)",
        "both servers with their link up",
        |v| {
            v.as_array().is_some_and(|cards| {
                cards.len() == 2 && cards.iter().all(|c| c.as_str().unwrap().contains("up"))
            })
        },
    )
    .await;
    assert!(
        servers[0].as_str().unwrap().contains("Goloman"),
        "{servers}"
    );
    let shot = browser.screenshot(&herd_page).await;
    std::fs::write(artefacts().join("herd.png"), &shot).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scoreboard_shows_current_values_and_a_set_score_appears_without_reload() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let herd = InProcessHerd::start(&["Goloman", "Hands"], &[("Goloman", "Hands")]).await;
    let auth = cacofonix_id();
    let herd_addrs = vec![
        herd.client("Goloman").to_string(),
        herd.client("Hands").to_string(),
    ];
    // The default deadlines: a browser shares this machine's cores.
    let facade = facade_with(facade::server::Config::new(herd_addrs)).await;
    let addr = facade.addr();
    for path in [
        format!("/setScore/curling/4/2/{auth}"),
        format!("/setScore/skating/10/12/{auth}"),
        format!("/incrementMedalTally/Gaul/gold/{auth}"),
        format!("/incrementMedalTally/Gaul/gold/{auth}"),
        format!("/incrementMedalTally/Rome/silver/{auth}"),
    ] {
        let (status, body) = get(addr, &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    let mut browser = Browser::start(&chromium, 420, 900).await;
    let page = browser.open(&format!("http://{addr}/")).await;
    let before = until(&mut browser, &page, READ_BOARD, "the current values", |v| {
        v["stream"] == json!("live")
            && v["scores"]["curling"] == json!({"Gaul": 2, "Rome": 4})
            && v["medals"]["Gaul"] == json!([2, 0, 0])
            && v["medals"]["Rome"] == json!([0, 1, 0])
    })
    .await;
    assert_eq!(before["loads"], json!("1"));
    assert_eq!(
        before["scores"]["skiing"],
        json!({"Gaul": 0, "Rome": 0}),
        "never set"
    );
    browser.eval(&page, "window.testMark = 'same page'").await;

    // The page learns of it only through its open event stream.
    let (status, body) = get(addr, &format!("/setScore/curling/7/9/{auth}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = until(&mut browser, &page, READ_BOARD, "the new score", |v| {
        v["scores"]["curling"] == json!({"Gaul": 9, "Rome": 7})
    })
    .await;
    assert_eq!(
        after["mark"],
        json!("same page"),
        "the page was not reloaded"
    );
    assert_eq!(after["loads"], json!("1"), "the page was loaded once");
    assert!(
        after["received"].as_u64() > before["received"].as_u64(),
        "the change came as an event: {after:#}"
    );
    assert!(
        after["log"][0].as_str().unwrap().starts_with("curling: "),
        "{after:#}"
    );
    let shot = browser.screenshot(&page).await;
    std::fs::write(artefacts().join("scoreboard.png"), &shot).unwrap();

    herd_page_shows_both_servers(&mut browser, addr).await;

    facade.stop().await;
    page_marks_reconnecting_and_keeps_values(&mut browser, &page).await;
    herd.stop().await;
}

/// The page on `session`, whose facade has stopped, says it is
/// reconnecting and still shows the last curling score.
async fn page_marks_reconnecting_and_keeps_values(browser: &mut Browser, session: &str) {
    let down = until(browser, session, READ_BOARD, "the reconnecting mark", |v| {
        v["stream"] == json!("reconnecting")
    })
    .await;
    assert!(
        down["status"].as_str().unwrap().contains("reconnecting"),
        "{down:#}"
    );
    assert_eq!(
        down["scores"]["curling"],
        json!({"Gaul": 9, "Rome": 7}),
        "values stay shown"
    );
}
