//! One latency file per tablet: a line per pull or push, so pull and push
//! can be compared afterwards (`sort -n`, a spreadsheet, a plot).
//!
//! Format: `<unix seconds> <mode> <what> <latency in ms, 3 decimals>`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An open latency file.
#[derive(Debug)]
pub struct LatencyLog {
    out: BufWriter<File>,
}

impl LatencyLog {
    /// Creates (or appends to) the file, making its directory if needed.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self {
            out: BufWriter::new(file),
        })
    }

    /// Records one sample and flushes it, so a killed tablet loses nothing.
    pub fn record(&mut self, mode: &str, what: &str, latency: Duration) -> std::io::Result<()> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        writeln!(
            self.out,
            "{}.{:06} {mode} {what} {:.3}",
            now.as_secs(),
            now.subsec_micros(),
            latency.as_secs_f64() * 1000.0
        )?;
        self.out.flush()
    }
}

/// Time since a POSIX timestamp with a fraction (`1732250000.123456789`),
/// or `None` if it does not parse or lies in the future.
pub fn since_stamp(stamp: &str) -> Option<Duration> {
    let (secs, frac) = stamp.split_once('.').unwrap_or((stamp, "0"));
    let secs: u64 = secs.parse().ok()?;
    let mut nanos: u64 = format!("{frac:0<9}").get(..9)?.parse().ok()?;
    if nanos >= 1_000_000_000 {
        nanos = 999_999_999;
    }
    let then = UNIX_EPOCH + Duration::new(secs, nanos as u32);
    SystemTime::now().duration_since(then).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_appended_one_per_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t/latency.log");
        let mut log = LatencyLog::open(&path).unwrap();
        log.record("pull", "tally/Gaul", Duration::from_micros(1500))
            .unwrap();
        log.record("push", "curling", Duration::from_millis(2))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].ends_with(" pull tally/Gaul 1.500"), "{text}");
        assert!(lines[1].ends_with(" push curling 2.000"), "{text}");
    }

    #[test]
    fn stamps_in_the_past_give_a_duration() {
        assert!(since_stamp("1.5").unwrap() > Duration::from_secs(1_000_000));
        assert!(since_stamp("nonsense").is_none());
        assert!(since_stamp("99999999999.0").is_none());
    }
}
