//! What a load run cost the servers: CPU time summed over every process
//! of the side measured, location messages sent on links, and bytes logged,
//! each taken as the difference of two [`Snapshot`]s around the run and
//! divided by the reports the run made.

use std::time::Duration;

use anyhow::Context;
use base::process::{Supervised, usage};
use tokio::time::{Instant, sleep};

use crate::harness::herd::Herd;

/// How often the herd's counters are read while waiting for its floods to
/// finish after a load run.
const QUIET_POLL: Duration = Duration::from_millis(200);

/// The longest wait for the herd's floods to finish.
const QUIET_WAIT: Duration = Duration::from_secs(10);

/// The counters of one side at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// CPU time (user and system) of every process, summed.
    pub cpu: Duration,
    /// Locations sent whole on every link (herd only).
    pub payloads: Option<u64>,
    /// Bytes in the log files (herd only).
    pub log_bytes: Option<u64>,
}

impl Snapshot {
    /// The baseline's: its CPU time only.
    pub fn of_process(process: &Supervised) -> anyhow::Result<Self> {
        Ok(Self {
            cpu: usage(process.pid())?.cpu,
            ..Self::default()
        })
    }

    /// Every herd server's, summed.
    pub async fn of_herd(herd: &Herd) -> anyhow::Result<Self> {
        let mut cpu = Duration::ZERO;
        for process in herd.processes().iter() {
            cpu += usage(process.pid())
                .with_context(|| format!("reading {}'s CPU time", process.name()))?
                .cpu;
        }
        Ok(Self {
            cpu,
            payloads: herd.locations_sent().await?,
            log_bytes: Some(herd.log_bytes()?),
        })
    }

    /// The herd's, once its floods have finished: once two readings
    /// [`QUIET_POLL`] apart count the same locations sent (or after
    /// [`QUIET_WAIT`]).
    pub async fn of_herd_when_quiet(herd: &Herd) -> anyhow::Result<Self> {
        let deadline = Instant::now() + QUIET_WAIT;
        let mut last = Self::of_herd(herd).await?;
        loop {
            sleep(QUIET_POLL).await;
            let now = Self::of_herd(herd).await?;
            if now.payloads == last.payloads || Instant::now() > deadline {
                return Ok(now);
            }
            last = now;
        }
    }
}

/// What `reports` cost between two snapshots.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    /// Reports answered (every reply of the run, warm-up included).
    pub reports: u64,
    /// The difference of the snapshots.
    pub used: Snapshot,
}

impl Cost {
    /// From `before` to `after`, for `reports` reports.
    pub fn between(before: Snapshot, after: Snapshot, reports: u64) -> Self {
        let minus = |a: Option<u64>, b: Option<u64>| Some(a?.saturating_sub(b?));
        Self {
            reports,
            used: Snapshot {
                cpu: after.cpu.saturating_sub(before.cpu),
                payloads: minus(after.payloads, before.payloads),
                log_bytes: minus(after.log_bytes, before.log_bytes),
            },
        }
    }

    /// CPU time per report, ns.
    pub fn cpu_per_report(&self) -> Option<f64> {
        self.per_report(Some(self.used.cpu.as_nanos() as u64))
    }

    /// Locations sent on links per report.
    pub fn payloads_per_report(&self) -> Option<f64> {
        self.per_report(self.used.payloads)
    }

    /// Log bytes per report.
    pub fn log_bytes_per_report(&self) -> Option<f64> {
        self.per_report(self.used.log_bytes)
    }

    fn per_report(&self, total: Option<u64>) -> Option<f64> {
        (self.reports > 0).then_some(total? as f64 / self.reports as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_differences_per_report() {
        let before = Snapshot {
            cpu: Duration::from_millis(100),
            payloads: Some(40),
            log_bytes: Some(1_000),
        };
        let after = Snapshot {
            cpu: Duration::from_millis(300),
            payloads: Some(440),
            log_bytes: Some(51_000),
        };
        let cost = Cost::between(before, after, 100);
        assert_eq!(cost.cpu_per_report(), Some(2_000_000.0));
        assert_eq!(cost.payloads_per_report(), Some(4.0));
        assert_eq!(cost.log_bytes_per_report(), Some(500.0));
        let baseline = Cost::between(Snapshot::default(), Snapshot::default(), 0);
        assert_eq!(baseline.cpu_per_report(), None);
        let no_counters = Cost::between(Snapshot::default(), after, 10);
        assert_eq!(no_counters.payloads_per_report(), None);
    }
}
