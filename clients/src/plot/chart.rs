//! One chart: latency lines against the number of tablets, both axes
//! logarithmic (the counts run from 1 to 1,000 and the latencies over
//! decades), a legend, and a footer naming the run, drawn into a PNG of
//! [`WIDTH`] × [`HEIGHT`] pixels.

use std::fmt::Display;
use std::ops::Range;
use std::path::Path;

use plotters::prelude::*;

use super::{PlotError, font};

/// A chart's width in pixels.
pub const WIDTH: u32 = 1200;

/// A chart's height in pixels.
pub const HEIGHT: u32 = 750;

/// The footer's height in pixels.
const FOOTER: u32 = 34;

/// The smallest latency drawn, in ms (1 µs): a log axis cannot show 0.
const FLOOR_MS: f64 = 0.001;

/// How far above the highest point the y axis reaches, as a factor: room
/// for the legend in the upper left.
const LEGEND_ROOM: f64 = 8.0;

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// Its legend entry.
    pub label: String,
    /// Its colour.
    pub colour: RGBColor,
    /// `(tablets, latency in ms)`, by number of tablets.
    pub points: Vec<(f64, f64)>,
}

/// Draws `lines` under `title`, with `caption` in the footer, into `path`.
pub fn draw(path: &Path, title: &str, caption: &str, lines: &[Line]) -> Result<(), PlotError> {
    font::register()?;
    let err = failed(path);
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(&err)?;
    let (area, footer) = root.split_vertically(HEIGHT - FOOTER);
    let (x, y) = ranges(lines);
    let x_ticks = counts(lines);
    let y_ticks = one_two_five(&y);
    let mut chart = ChartBuilder::on(&area)
        .caption(title, ("sans-serif", 30))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(
            x.log_scale().with_key_points(x_ticks),
            y.log_scale().with_key_points(y_ticks),
        )
        .map_err(&err)?;
    chart
        .configure_mesh()
        .x_desc("tablets")
        .y_desc("latency (ms)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| milliseconds(*v))
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 20))
        .draw()
        .map_err(&err)?;
    for line in lines {
        let style = line.colour.stroke_width(3);
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), style))
            .map_err(&err)?
            .label(line.label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
        let dots = line
            .points
            .iter()
            .map(|&p| Circle::new(p, 5, line.colour.filled()));
        chart.draw_series(dots).map_err(&err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 18))
        .draw()
        .map_err(&err)?;
    let footer_style = ("sans-serif", 16).into_font().color(&BLACK.mix(0.75));
    footer
        .draw_text(caption, &footer_style, (20, 6))
        .map_err(&err)?;
    root.present().map_err(&err)?;
    Ok(())
}

/// Turns a plotters error into [`PlotError::Draw`] for `path`.
fn failed<E: Display>(path: &Path) -> impl Fn(E) -> PlotError + '_ {
    move |e| PlotError::Draw {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// The axes' ranges: every point with room around it.
fn ranges(lines: &[Line]) -> (Range<f64>, Range<f64>) {
    let points = || lines.iter().flat_map(|l| l.points.iter());
    let span = |values: Vec<f64>, below: f64, above: f64| {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        match lo.is_finite() && hi.is_finite() {
            true => lo / below..hi * above,
            false => 1.0..10.0,
        }
    };
    let x = span(points().map(|p| p.0.max(1.0)).collect(), 1.5, 1.5);
    // Most of a decade above the highest point, for the legend.
    let y = span(
        points().map(|p| p.1.max(FLOOR_MS)).collect(),
        2.0,
        LEGEND_ROOM,
    );
    (x, y)
}

/// The numbers of tablets the lines have points at: the x axis's ticks.
fn counts(lines: &[Line]) -> Vec<f64> {
    let mut counts: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .collect();
    counts.sort_by(f64::total_cmp);
    counts.dedup();
    counts
}

/// The y axis's ticks: 1, 2 and 5 times each power of ten within `range`.
fn one_two_five(range: &Range<f64>) -> Vec<f64> {
    let lowest = range.start.log10().floor() as i32;
    let highest = range.end.log10().ceil() as i32;
    (lowest..=highest)
        .flat_map(|power| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(power)))
        .filter(|v| range.contains(v))
        .collect()
}

/// An axis label in ms: as many decimals as a 1-2-5 tick needs.
fn milliseconds(ms: f64) -> String {
    let decimals = (-ms.log10().floor()).clamp(0.0, 6.0) as usize;
    format!("{ms:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn y_ticks_are_one_two_five_in_range() {
        assert_eq!(one_two_five(&(0.15..12.0)), [0.2, 0.5, 1.0, 2.0, 5.0, 10.0]);
    }

    #[test]
    fn tick_labels_have_the_decimals_they_need() {
        let labels: Vec<String> = one_two_five(&(0.004..2500.0))
            .into_iter()
            .map(milliseconds)
            .collect();
        assert_eq!(
            labels,
            [
                "0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5", "10", "20",
                "50", "100", "200", "500", "1000", "2000"
            ]
        );
    }
}
