//! The tablets' latency files, read back. The input holds one directory
//! per number of tablets, named by that number (`<input>/10/`, …), with the
//! `*.latency` files of that many tablets in it: what `tablets -n 10 --
//! --log-dir <input>/10 pull` leaves, or what `olympic-bench sweep` writes.
//! Each line is `<unix seconds> <pull|push> <what> <latency ms>`, as
//! [`crate::olympic::latency::LatencyLog`] writes it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::PlotError;
use crate::harness::stats::Summary;

/// The most tablets a directory may be named by.
pub const MAX_TABLETS: usize = 1_000_000;

/// The extension of a latency file.
pub const EXTENSION: &str = "latency";

/// The two ways a tablet learns of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The tablet asks.
    Pull,
    /// The facade tells it.
    Push,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Pull => "pull",
            Mode::Push => "push",
        })
    }
}

/// The latencies at one number of tablets, in nanoseconds.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    /// Pull samples.
    pub pull: Vec<u64>,
    /// Push samples.
    pub push: Vec<u64>,
}

/// Every number of tablets read, with its samples.
pub type Sweep = BTreeMap<usize, Samples>;

/// One mode's latencies at one number of tablets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// How many tablets.
    pub tablets: usize,
    /// Their latencies.
    pub summary: Summary,
}

/// Reads every `*.latency` file in every directory under `input`; other
/// files are left alone. A directory not named by a number, or a line that
/// does not parse, is an error naming it.
pub fn read_sweep(input: &Path) -> Result<Sweep, PlotError> {
    let mut sweep = Sweep::new();
    for dir in entries(input)? {
        if !dir.is_dir() {
            continue;
        }
        let tablets = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=MAX_TABLETS).contains(n))
            .ok_or_else(|| PlotError::BadDirectory { path: dir.clone() })?;
        let samples = sweep.entry(tablets).or_default();
        for file in entries(&dir)? {
            if file.extension().is_some_and(|e| e == EXTENSION) {
                read_file(&file, samples)?;
            }
        }
    }
    Ok(sweep)
}

/// The entries of `dir`, sorted.
fn entries(dir: &Path) -> Result<Vec<std::path::PathBuf>, PlotError> {
    let io = |source| PlotError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut paths = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    paths.sort();
    Ok(paths)
}

/// Adds the samples of one file to `samples`.
fn read_file(path: &Path, samples: &mut Samples) -> Result<(), PlotError> {
    let text = std::fs::read_to_string(path).map_err(|source| PlotError::Io {
        path: path.to_owned(),
        source,
    })?;
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (mode, nanos) = parse_line(line).map_err(|reason| PlotError::BadLine {
            path: path.to_owned(),
            line: index + 1,
            reason,
        })?;
        match mode {
            Mode::Pull => samples.pull.push(nanos),
            Mode::Push => samples.push.push(nanos),
        }
    }
    Ok(())
}

/// One line: its mode and its latency in nanoseconds, or what is wrong.
pub fn parse_line(line: &str) -> Result<(Mode, u64), String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [stamp, mode, _what, ms] = fields.as_slice() else {
        return Err(format!("{} fields, not 4", fields.len()));
    };
    stamp
        .parse::<f64>()
        .map_err(|_| format!("time {stamp:?} is not a number"))?;
    let mode = match *mode {
        "pull" => Mode::Pull,
        "push" => Mode::Push,
        other => return Err(format!("mode {other:?} is neither pull nor push")),
    };
    let ms: f64 = ms
        .parse()
        .ok()
        .filter(|ms: &f64| ms.is_finite() && *ms >= 0.0)
        .ok_or_else(|| format!("latency {ms:?} is not a number of milliseconds"))?;
    Ok((mode, (ms * 1e6).round() as u64))
}

/// One mode's points, by number of tablets; counts without samples of the
/// mode are left out.
pub fn points(sweep: &Sweep, mode: Mode) -> Vec<Point> {
    sweep
        .iter()
        .filter_map(|(&tablets, samples)| {
            let samples = match mode {
                Mode::Pull => &samples.pull,
                Mode::Push => &samples.push,
            };
            Summary::of(samples.clone()).map(|summary| Point { tablets, summary })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tablet_line_gives_its_mode_and_latency() {
        assert_eq!(
            parse_line("1732250000.123456 pull tally/Gaul 1.500"),
            Ok((Mode::Pull, 1_500_000))
        );
        assert_eq!(
            parse_line("1732250000.1 push medals/Gaul 0.004"),
            Ok((Mode::Push, 4_000))
        );
    }

    #[test]
    fn a_bad_line_says_what_is_wrong() {
        let err = |line| parse_line(line).unwrap_err();
        assert!(err("1.0 pull curling").contains("3 fields"));
        assert!(err("x pull curling 1.0").contains("time"));
        assert!(err("1.0 poll curling 1.0").contains("neither pull nor push"));
        assert!(err("1.0 push curling -1").contains("milliseconds"));
        assert!(err("1.0 push curling NaN").contains("milliseconds"));
    }
}
