//! Pull versus push, in pictures: the tablets' latency files (one
//! directory per number of tablets) turned into the reference design's
//! three PNG charts, `latency_pull.png`, `latency_push.png` and
//! `comparison.png`, each latency's p50 and p99 against the number of
//! tablets.
//!
//! [`samples`] reads the files, [`chart`] draws one chart, and [`font`]
//! registers the committed font the charts' text is drawn with.
//! `olympic-bench plot` and `olympic-bench sweep` call [`write_charts`].

pub mod chart;
pub mod font;
pub mod samples;

use std::path::{Path, PathBuf};

use plotters::style::RGBColor;

use crate::harness::stats::Nanos;
use crate::harness::table::Table;
use chart::Line;
use samples::{Mode, Point, Sweep};

/// What can go wrong reading latency files or drawing charts.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line of a latency file is not `<unix seconds> <pull|push> <what> <ms>`.
    #[error("{}:{line}: {reason} (expected `<unix seconds> <pull|push> <what> <latency ms>`)", path.display())]
    BadLine {
        /// The file.
        path: PathBuf,
        /// Its line number, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A directory under the input is not named by a number of tablets.
    #[error("{}: a directory of latency files must be named by its number of tablets (1 to {})", path.display(), samples::MAX_TABLETS)]
    BadDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// No samples of one mode anywhere under the input.
    #[error("no {mode} samples in the latency files under {}: the charts need pull and push", input.display())]
    NoSamples {
        /// The input directory.
        input: PathBuf,
        /// The missing mode.
        mode: Mode,
    },
    /// The font could not be registered.
    #[error("the chart font is not a font plotters can read")]
    Font,
    /// Drawing or encoding a chart failed.
    #[error("drawing {}: {reason}", path.display())]
    Draw {
        /// The chart's file.
        path: PathBuf,
        /// What plotters said.
        reason: String,
    },
}

/// The pull chart's file name.
pub const PULL_CHART: &str = "latency_pull.png";

/// The push chart's file name.
pub const PUSH_CHART: &str = "latency_push.png";

/// The comparison chart's file name.
pub const COMPARISON_CHART: &str = "comparison.png";

/// Pull's colours, p50 then p99.
const PULL_COLOURS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(158, 202, 225)];

/// Push's colours, p50 then p99.
const PUSH_COLOURS: [RGBColor; 2] = [RGBColor(214, 39, 40), RGBColor(252, 146, 114)];

/// What [`write_charts`] made.
#[derive(Debug)]
pub struct Charts {
    /// The chart files written.
    pub files: Vec<PathBuf>,
    /// Pull's points, by number of tablets.
    pub pull: Vec<Point>,
    /// Push's points, by number of tablets.
    pub push: Vec<Point>,
}

impl Charts {
    /// A markdown table of the points, one row per number of tablets.
    pub fn table(&self) -> String {
        let mut table = Table::new([
            "Tablets",
            "Pull samples",
            "Pull p50 / p99",
            "Push samples",
            "Push p50 / p99",
        ]);
        let cells = |point: Option<&Point>| match point {
            Some(p) => [
                p.summary.count.to_string(),
                format!("{} / {}", Nanos(p.summary.p50), Nanos(p.summary.p99)),
            ],
            None => ["0".into(), "—".into()],
        };
        let mut counts: Vec<usize> = self
            .pull
            .iter()
            .chain(&self.push)
            .map(|p| p.tablets)
            .collect();
        counts.sort_unstable();
        counts.dedup();
        for n in counts {
            let [pull_n, pull] = cells(self.pull.iter().find(|p| p.tablets == n));
            let [push_n, push] = cells(self.push.iter().find(|p| p.tablets == n));
            table.row([n.to_string(), pull_n, pull, push_n, push]);
        }
        table.to_string()
    }
}

/// Reads the latency files under `input` (see [`samples::read_sweep`]) and
/// writes the three charts into `out`, titled with `caption` (the run's
/// machine and load, or empty).
pub fn write_charts(input: &Path, out: &Path, caption: &str) -> Result<Charts, PlotError> {
    let sweep = samples::read_sweep(input)?;
    charts_of(&sweep, input, out, caption)
}

/// Writes the three charts of `sweep` (read from `input`) into `out`.
pub fn charts_of(
    sweep: &Sweep,
    input: &Path,
    out: &Path,
    caption: &str,
) -> Result<Charts, PlotError> {
    let pull = samples::points(sweep, Mode::Pull);
    let push = samples::points(sweep, Mode::Push);
    for (points, mode) in [(&pull, Mode::Pull), (&push, Mode::Push)] {
        if points.is_empty() {
            return Err(PlotError::NoSamples {
                input: input.to_owned(),
                mode,
            });
        }
    }
    std::fs::create_dir_all(out).map_err(|source| PlotError::Io {
        path: out.to_owned(),
        source,
    })?;
    let pull_lines = lines(Mode::Pull, &pull, PULL_COLOURS);
    let push_lines = lines(Mode::Push, &push, PUSH_COLOURS);
    let both: Vec<Line> = pull_lines.iter().chain(&push_lines).cloned().collect();
    let charts = [
        (PULL_CHART, "Pull: one GET, request to reply", pull_lines),
        (
            PUSH_CHART,
            "Push: setScore sent to push received",
            push_lines,
        ),
        (COMPARISON_CHART, "Pull versus push", both),
    ];
    let mut files = Vec::new();
    for (name, title, lines) in charts {
        let path = out.join(name);
        chart::draw(&path, title, caption, &lines)?;
        files.push(path);
    }
    Ok(Charts { files, pull, push })
}

/// The p50 and p99 lines of one mode.
fn lines(mode: Mode, points: &[Point], colours: [RGBColor; 2]) -> Vec<Line> {
    let line = |name: &str, colour, pick: fn(&Point) -> u64| Line {
        label: format!("{mode} {name}"),
        colour,
        points: points
            .iter()
            .map(|p| (p.tablets as f64, pick(p) as f64 / 1e6))
            .collect(),
    };
    vec![
        line("p50", colours[0], |p| p.summary.p50),
        line("p99", colours[1], |p| p.summary.p99),
    ]
}

#[cfg(test)]
mod tests;
