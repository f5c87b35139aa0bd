//! The `facade` binary: command line, log file, and the Cacofonix id never
//! reaching the log.

mod common;

use std::path::Path;

use common::process::Process;
use common::*;
use reqwest::StatusCode;
use tokio::process::Command;

fn read_log(dir: &Path, port: u16) -> String {
    std::fs::read_to_string(dir.join(format!("facade-{port}.log"))).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auth_id_never_appears_in_the_log_but_requests_do() {
    let herd = FakeHerd::start("Goloman").await;
    let logs = tempfile::tempdir().unwrap();
    let facade = Process::start(&[
        "--listen",
        "127.0.0.1:0",
        "--herd",
        &herd.address(),
        "--log-dir",
        logs.path().to_str().unwrap(),
    ])
    .await;
    let addr = facade.addr;
    let wrong = "Wrong-s3cret-guess";
    assert_eq!(
        get(addr, &format!("/setScore/curling/1/2/{AUTH}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(
            "POST",
            addr,
            &format!("/incrementMedalTally/Gaul/gold/{AUTH}")
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        get(addr, &format!("/incrementMedalTally/Gaul/gold/{wrong}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Mistyped routes and bad segments still carry the id.
    get(addr, &format!("/setscore/curling/1/2/{AUTH}")).await;
    get(addr, &format!("/setScore/curling/x/2/{AUTH}")).await;
    get(addr, &format!("/incrementMedalTally/Gaul/tin/{AUTH}")).await;
    get(addr, &format!("/setScore/curling/1/2/{AUTH}?auth={AUTH}")).await;
    get(addr, "/getScore/curling").await;
    let port = addr.port();
    facade.stop().await;
    let log = read_log(logs.path(), port);
    if std::env::var_os("SHOW_LOG").is_some() {
        eprintln!("{log}");
    }
    assert!(log.contains("path=/getScore/curling"), "{log}");
    assert!(
        log.contains("path=/setScore/curling/1/2/<redacted>"),
        "{log}"
    );
    assert!(log.contains("path=/setscore/<redacted>"), "{log}");
    assert!(log.contains("status=403"), "{log}");
    assert!(
        !log.contains(AUTH),
        "the Cacofonix id is in the log:\n{log}"
    );
    assert!(!log.contains(wrong), "a guessed id is in the log:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herd_servers_can_be_named_through_the_topology() {
    let herd = FakeHerd::start("Goloman").await;
    let dir = tempfile::tempdir().unwrap();
    let topology = dir.path().join("topology.toml");
    std::fs::write(
        &topology,
        format!(
            "[servers.Goloman]\naddr = \"{}\"\npeer_addr = \"{}\"\n[olympics]\nteams = [\"Gaul\", \"Rome\"]\n",
            herd.addr,
            dead_addr()
        ),
    )
    .unwrap();
    let logs = dir.path().join("logs");
    let facade = Process::start(&[
        "--listen",
        "127.0.0.1:0",
        "--herd",
        "Goloman",
        "--topology",
        topology.to_str().unwrap(),
        "--log-dir",
        logs.to_str().unwrap(),
    ])
    .await;
    let (status, body) = get(facade.addr, "/getMedalTally/rome").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["team"], "Rome");
    facade.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_server_name_exits_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let topology = dir.path().join("topology.toml");
    std::fs::write(
        &topology,
        "[servers.Goloman]\naddr = \"127.0.0.1:1\"\npeer_addr = \"127.0.0.1:2\"\n",
    )
    .unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_facade"));
    command
        .args(["--herd", "Welsh", "--topology", topology.to_str().unwrap()])
        .current_dir(dir.path());
    // A blocking `waitpid` on a thread of its own, not tokio's SIGCHLD wait.
    let output = tokio::task::spawn_blocking(move || {
        base::process::output_within("facade", &mut command, WAIT)
    })
    .await
    .unwrap()
    .expect("facade did not exit in time");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Welsh"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_repository_server_names_come_from_the_herds_built_in_topology() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_facade"))
        .args(["--listen", "127.0.0.1:0", "--herd", "Goloman,Welsh"])
        .current_dir(dir.path())
        .env_remove("HERD_TOPOLOGY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("facade did not start in time")
        .unwrap();
    let first = first.unwrap_or_else(|| panic!("facade exited: {:?}", child.try_wait()));
    assert!(
        first.contains("(herd 127.0.0.1:12000,127.0.0.1:12003)"),
        "{first}"
    );
}
