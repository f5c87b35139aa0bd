//! One `olympic-bench` run: the baseline measured first and stopped, then
//! the herd and the facade, each measurement in turn, into one [`Report`].
//! Every process lives in the run's directory and dies with the run.

use std::time::Duration;

use anyhow::Context;
use tokio::time::sleep;

use super::http_load::{self, Expect, HttpLoadConfig};
use super::report::{Report, Settings};
use super::stack::{Binaries, Stack};
use super::tablets::Farm;
use super::tally::{self, TallyCheck};
use super::{MEDAL, TEAM};
use crate::harness::baseline::Baseline;
use crate::harness::machine::Machine;
use crate::harness::run_dir::RunDir;
use crate::olympic::facade::Facade;

/// Pause after a load run so the servers drain before the next measurement.
const SETTLE: Duration = Duration::from_millis(300);

/// Measures (1) reads, (2) durable increments and (3) push fan-out. With
/// `keep_dir`, the run's directory (topology, journals, logs, output) is kept.
pub async fn run(settings: Settings, bins: &Binaries, keep_dir: bool) -> anyhow::Result<Report> {
    let dir = RunDir::create("olympic-bench-", keep_dir)?;
    let mut report = Report::new(settings, Machine::now());
    let get = load(
        &report.settings,
        format!("/getMedalTally/{TEAM}"),
        Expect::Tally,
    );

    let exe = std::env::current_exe().context("cannot find this executable")?;
    let mut baseline = Baseline::start(&exe, &[], dir.path()).await?;
    eprintln!(
        "(1) getMedalTally against the baseline at {}",
        baseline.addr
    );
    report.baseline_get = Some(http_load::run(baseline.addr, &get).await?);
    baseline.check_alive()?;
    drop(baseline);

    let mut stack = Stack::start(bins, dir.path()).await?;
    eprintln!(
        "herd listening: {:?}; facade on {}",
        stack.herd_addrs(),
        stack.facade
    );
    let facade = Facade::new(&format!("http://{}", stack.facade));
    eprintln!("(1) getMedalTally against the facade");
    report.facade_get = Some(http_load::run(stack.facade, &get).await?);
    sleep(SETTLE).await;
    measure_increments(&stack, &facade, &mut report).await?;
    sleep(SETTLE).await;
    measure_pushes(&stack, &facade, &mut report).await?;

    stack.check_alive()?;
    if dir.kept() {
        eprintln!(
            "topology, journals, logs and output kept in {}",
            dir.path().display()
        );
    }
    drop(stack);
    report.machine.finish();
    Ok(report)
}

/// The load shape of the settings, requesting `path`.
fn load(settings: &Settings, path: String, expect: Expect) -> HttpLoadConfig {
    HttpLoadConfig {
        connections: settings.connections,
        warmup: settings.warmup,
        duration: settings.duration,
        path,
        expect,
    }
}

/// (2): increments under load, then the tally through the facade and at
/// every herd server.
async fn measure_increments(
    stack: &Stack,
    facade: &Facade,
    report: &mut Report,
) -> anyhow::Result<()> {
    eprintln!("(2) incrementMedalTally against the facade");
    let before = tally::via_facade(facade).await?;
    let path = format!("/incrementMedalTally/{TEAM}/{MEDAL}/{}", stack.cacofonix);
    let config = load(&report.settings, path, Expect::AckedIncrement);
    let increments = http_load::run(stack.facade, &config).await?;
    let check = TallyCheck {
        before,
        acked: increments.accepted_total,
        unknown: increments.refused + increments.lost,
        ..TallyCheck::default()
    };
    report.increments = Some(increments);
    let check = tally::after(check, facade, stack.herd_addrs()).await?;
    eprintln!("    {}", check.describe());
    if !check.holds() {
        report
            .problems
            .push(format!("(2) the tally check failed: {}", check.describe()));
    }
    report.tally = Some(check);
    Ok(())
}

/// (3): the tablets register, then one cold round and the measured ones.
async fn measure_pushes(stack: &Stack, facade: &Facade, report: &mut Report) -> anyhow::Result<()> {
    let (tablets, rounds) = (report.settings.tablets, report.settings.rounds);
    eprintln!("(3) starting {tablets} tablets");
    let farm = Farm::start(tablets).await?;
    let registration = farm.register(facade).await?;
    eprintln!(
        "    registered {}, refused {}",
        registration.registered, registration.refused
    );
    report.registration = Some(registration);
    eprintln!("(3) {rounds} setScore rounds after a cold one");
    let measured = farm.rounds(facade, &stack.cacofonix, rounds).await?;
    report.cold_round = Some(measured.cold);
    report.rounds = measured.warm;
    let (stale, malformed) = farm.stale_and_malformed();
    report.stale_pushes = stale;
    if malformed > 0 {
        report.problems.push(format!(
            "(3) tablets got {malformed} requests that were not pushes of the event"
        ));
    }
    if report.push_samples().is_empty() {
        report
            .problems
            .push("(3) no tablet was pushed any measured round".into());
    }
    Ok(())
}
