//! What a process has used so far, from `/proc`: CPU time (user and
//! system, every thread) and resident memory. Read while it runs, so a
//! benchmark can take the difference over a measured interval.

use std::time::Duration;

use nix::unistd::{SysconfVar, sysconf};

use super::ProcessError;

/// Clock ticks per second assumed when the system does not say (Linux
/// has used 100 on every common architecture).
const DEFAULT_TICKS: u64 = 100;

/// A process's use of the machine at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// User plus system CPU time of all its threads since it started.
    pub cpu: Duration,
    /// Resident set size (`VmRSS`), bytes.
    pub rss: u64,
}

/// The [`Usage`] of process `pid`, from `/proc/PID/stat` and `/proc/PID/status`.
pub fn usage(pid: u32) -> Result<Usage, ProcessError> {
    let read = |file: &'static str| {
        std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .map_err(|source| ProcessError::Proc { pid, file, source })
    };
    let missing = |file, field| ProcessError::ProcFormat { pid, file, field };
    let cpu = cpu_time(&read("stat")?, ticks_per_second())
        .ok_or_else(|| missing("stat", "utime and stime"))?;
    let rss = resident(&read("status")?).ok_or_else(|| missing("status", "VmRSS"))?;
    Ok(Usage { cpu, rss })
}

/// The kernel's clock ticks per second, in which `/proc/PID/stat` counts CPU time.
fn ticks_per_second() -> u64 {
    sysconf(SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|ticks| u64::try_from(ticks).ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(DEFAULT_TICKS)
}

/// `utime + stime` of a `/proc/PID/stat` line. The fields are counted from
/// the last `)`, since the command name in parentheses may hold spaces
/// and parentheses of its own.
fn cpu_time(stat: &str, ticks: u64) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Field 3 (state) comes first; utime and stime are fields 14 and 15.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let total = utime.checked_add(stime)?;
    let nanos = u128::from(total) * 1_000_000_000 / u128::from(ticks);
    Some(Duration::from_nanos(u64::try_from(nanos).ok()?))
}

/// `VmRSS` of a `/proc/PID/status` text, in bytes.
fn resident(status: &str) -> Option<u64> {
    let kb: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    kb.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_counted_after_a_name_with_parentheses_and_spaces() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    250 130 0 0 20 0 3 0 12345 1000000 400 18446744073709551615";
        assert_eq!(cpu_time(stat, 100), Some(Duration::from_millis(3_800)));
        assert_eq!(cpu_time(stat, 1000), Some(Duration::from_millis(380)));
        assert_eq!(cpu_time("4242 (cut) S 1 2", 100), None);
    }

    #[test]
    fn resident_memory_is_read_in_bytes() {
        let status = "Name:\therd\nVmPeak:\t  9000 kB\nVmRSS:\t    1536 kB\nThreads:\t4\n";
        assert_eq!(resident(status), Some(1536 * 1024));
        assert_eq!(resident("Name:\tkthreadd\n"), None);
    }

    #[test]
    fn this_process_has_memory_and_its_cpu_time_grows_with_work() {
        let pid = std::process::id();
        let before = usage(pid).unwrap();
        assert!(before.rss > 0);
        // Spin until a clock tick is charged, bounded in case it never is.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let mut spins = 0u64;
        while usage(pid).unwrap().cpu == before.cpu {
            assert!(std::time::Instant::now() < deadline, "no CPU time charged");
            for i in 0..100_000u64 {
                spins = std::hint::black_box(spins.wrapping_add(i));
            }
        }
        assert!(usage(pid).unwrap().cpu > before.cpu);
    }

    #[test]
    fn a_process_that_does_not_exist_is_an_error() {
        // Pids are at most 2^22 on Linux.
        let err = usage(u32::MAX).unwrap_err().to_string();
        assert!(err.contains("/proc/4294967295/stat"), "{err}");
    }
}
