//! The charts of a `--peers` run (`--chart DIR`): one PNG bar chart per
//! measurement, one bar per stack not skipped (of zero height for what a
//! failed stack did not measure), drawn with `plotters` in the
//! font bundled under `clients/assets/fonts/` (DejaVu Sans, from Debian's
//! `fonts-dejavu-core`; `scripts/fetch-font.sh` puts it there), so the
//! charts look the same on every machine. Latency charts draw each p99
//! bar with the p50 bar over it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::report::{Outcome, PeersReport, StackResult};
use crate::harness::stats::Summary;

/// The family name the bundled font is registered under
/// ([`crate::plot::font`]).
const FAMILY: &str = crate::plot::font::FAMILIES[0];

/// Width and height of every chart, pixels.
const SIZE: (u32, u32) = (800, 450);

/// Colour of the p99 (or only) bars, and of the p50 bars over them.
const BAR: RGBColor = RGBColor(70, 110, 180);
const BAR_P50: RGBColor = RGBColor(20, 45, 95);

/// One series of bars: a value per stack.
struct Series {
    /// Its name in the legend.
    name: &'static str,
    /// Its colour.
    color: RGBColor,
    /// One value per stack drawn.
    values: Vec<f64>,
}

/// Draws every chart of `report` into `dir`; returns the files written.
pub fn draw(dir: &Path, report: &PeersReport) -> anyhow::Result<Vec<PathBuf>> {
    crate::plot::font::register()?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // A stack that failed part-way still has a bar for what it measured.
    let measured: Vec<&StackResult> = (report.stacks.iter())
        .filter(|r| !matches!(r.outcome, Outcome::Skipped(_)))
        .collect();
    let names: Vec<&str> = measured.iter().map(|r| r.stack).collect();
    let one = |f: fn(&StackResult) -> Option<f64>| {
        vec![Series {
            name: "",
            color: BAR,
            values: measured.iter().map(|r| f(r).unwrap_or(0.0)).collect(),
        }]
    };
    let two = |f: fn(&StackResult) -> Option<Summary>| {
        let ms = |p: fn(&Summary) -> u64| -> Vec<f64> {
            (measured.iter())
                .map(|r| f(r).map_or(0.0, |s| p(&s) as f64 / 1e6))
                .collect()
        };
        vec![
            Series {
                name: "p99",
                color: BAR,
                values: ms(|s| s.p99),
            },
            Series {
                name: "p50",
                color: BAR_P50,
                values: ms(|s| s.p50),
            },
        ]
    };
    let charts = [
        (
            "throughput",
            "Pipelined IAMAT at the entry server",
            "reports/s",
            one(|r| r.throughput),
        ),
        (
            "cpu",
            "CPU time per report, five servers",
            "µs",
            one(|r| r.cpu_us_per_report),
        ),
        (
            "memory",
            "Resident memory per stored client",
            "bytes",
            one(|r| r.resident_per_client),
        ),
        (
            "load-latency",
            "Pipelined IAMAT latency",
            "ms",
            two(|r| r.load),
        ),
        (
            "round-trip",
            "IAMAT, then WHATSAT at the farthest server",
            "ms",
            two(|r| r.round_trip),
        ),
        ("flood", "Flood over three hops", "ms", two(|r| r.flood)),
    ];
    let mut written = Vec::new();
    for (file, title, unit, series) in charts {
        let path = dir.join(format!("peers-{file}.png"));
        bars(&path, title, unit, &names, &series)
            .with_context(|| format!("drawing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// A bar chart of `series` over `stacks`, each later series drawn over
/// the earlier ones, with a legend if there is more than one.
fn bars(
    path: &Path,
    title: &str,
    unit: &str,
    stacks: &[&str],
    series: &[Series],
) -> anyhow::Result<()> {
    let largest = (series.iter().flat_map(|s| &s.values)).fold(0.0f64, |a, &b| a.max(b));
    let top = if largest > 0.0 { largest * 1.25 } else { 1.0 };
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    // A segmented range of 0..=last has one slot per stack.
    let last = stacks.len().saturating_sub(1) as u32;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FAMILY, 22))
        .margin(15)
        .x_label_area_size(35)
        .y_label_area_size(80)
        .build_cartesian_2d((0..last).into_segmented(), 0f64..top)?;
    let value = |v: &f64| {
        if top >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    };
    let label = |v: &SegmentValue<u32>| match v {
        SegmentValue::CenterOf(i) => stacks.get(*i as usize).unwrap_or(&"").to_string(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .y_desc(unit)
        .x_label_formatter(&label)
        .y_label_formatter(&value)
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 15))
        .draw()?;
    for s in series {
        let color = s.color;
        let drawn = chart.draw_series(s.values.iter().enumerate().map(|(i, &v)| {
            let i = i as u32;
            let corners = [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), v),
            ];
            let mut bar = Rectangle::new(corners, color.filled());
            bar.set_margin(0, 0, 30, 30);
            bar
        }))?;
        if !s.name.is_empty() {
            drawn.label(s.name).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
            });
        }
    }
    if series.len() > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FAMILY, 15))
            .background_style(WHITE)
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
