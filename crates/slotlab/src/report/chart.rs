//! The sweep's line charts, and the chart type every report chart is.

use super::front::{ns_per_object, runtime_name, rust_or};
use super::lines::{Line, LineChart};
use crate::measure::{Measurement, PyMode, Results};

/// One chart, ready to write to `<stem>.svg` or inline into HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// A file name stem, e.g. `sweep-bytes`.
    pub stem: &'static str,
    /// The chart's title.
    pub title: String,
    /// The SVG document.
    pub svg: String,
}

/// A chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// No line had a positive value (log axes take none else).
    #[error("cannot draw the {chart} chart: no positive values to plot")]
    NothingToPlot {
        /// The chart's file stem.
        chart: &'static str,
    },
}

/// Lines keyed by implementation and layout, points `(N, y)` sorted by N;
/// only rows `keep` accepts, only positive values (the axes may be log).
fn lines(
    measurements: &[Measurement],
    keep: impl Fn(&Measurement) -> bool,
    y: impl Fn(&Measurement) -> f64,
) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    for m in measurements.iter().filter(|m| keep(m)) {
        let label = format!("{} {}", runtime_name(m), m.layout);
        let at = match lines.iter().position(|l| l.label == label) {
            Some(at) => at,
            None => {
                lines.push(Line {
                    label,
                    layout: m.layout.clone(),
                    dashed: !m.runtime.is_rust(),
                    points: Vec::new(),
                });
                lines.len() - 1
            }
        };
        let value = y(m);
        if value > 0.0 {
            lines[at].points.push((m.n as f64, value));
        }
    }
    lines.retain(|l| !l.points.is_empty());
    for line in &mut lines {
        line.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    lines
}

fn line_chart(stem: &'static str, chart: LineChart) -> Result<Chart, ChartError> {
    if chart.lines.is_empty() {
        return Err(ChartError::NothingToPlot { chart: stem });
    }
    Ok(Chart {
        stem,
        title: chart.title.clone(),
        svg: chart.svg(),
    })
}

/// The sweep's two charts: bytes per object vs N (Rust requested bytes,
/// CPython tracemalloc: both exact) and time per object vs N (Rust and
/// untraced CPython: both real speed).
pub fn sweep_charts(results: &Results) -> Result<Vec<Chart>, ChartError> {
    let ms = &results.measurements;
    let x_label = "N (objects)".to_owned();
    Ok(vec![
        line_chart(
            "sweep-bytes",
            LineChart {
                title: "Bytes per object vs N (Rust: requested; CPython: tracemalloc)".to_owned(),
                x_label: x_label.clone(),
                y_label: "bytes per object".to_owned(),
                lines: lines(ms, rust_or(PyMode::Tracemalloc), |m| m.bytes_per_object),
            },
        )?,
        line_chart(
            "sweep-time",
            LineChart {
                title: "Time per object vs N, build + sum (Rust; CPython untraced)".to_owned(),
                x_label,
                y_label: "ns per object".to_owned(),
                lines: lines(ms, rust_or(PyMode::Untraced), ns_per_object),
            },
        )?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::fixtures::measurement;

    fn sweep_like() -> Results {
        let mut measurements = Vec::new();
        for n in [1_000u64, 100_000] {
            for (implementation, layout, bytes, seconds) in [
                ("rust", "slots", 48, 25e-9),
                ("rust", "dict", 220, 110e-9),
                ("cpython-3.11.7 (tracemalloc)", "slots", 112, 1.3e-6),
                ("cpython-3.11.7 (untraced)", "slots", 119, 0.44e-6),
            ] {
                let mut m = measurement(layout, bytes * n, &[seconds * n as f64]);
                m.runtime = implementation.parse().unwrap();
                m.n = n;
                m.bytes_per_object = bytes as f64;
                measurements.push(m);
            }
        }
        Results {
            measurements,
            ..Results::default()
        }
    }

    #[test]
    fn two_charts_with_axes_legend_and_a_line_per_series() {
        let charts = sweep_charts(&sweep_like()).unwrap();
        assert_eq!(charts.len(), 2);
        let (bytes, time) = (&charts[0].svg, &charts[1].svg);
        for svg in [bytes, time] {
            assert!(svg.starts_with("<svg"));
            assert!(svg.contains("N (objects), log scale"));
            // A line each for Rust's slots and dict and CPython's slots:
            // bytes from tracemalloc rows, time from untraced ones (the
            // fixture's CPython rows differ by 1.3 µs vs 0.44 µs).
            assert_eq!(svg.matches("<polyline").count(), 3);
            for label in ["Rust slots", "Rust dict", "CPython slots"] {
                assert!(svg.contains(&format!(">{label}</text>")), "{label}");
            }
            assert!(svg.contains(super::super::svg::colour("dict")));
        }
        assert!(bytes.contains(">112</text>") || bytes.contains("112 at N"));
        assert!(time.contains("<title>CPython slots: 440 at N = 1,000</title>"));
        assert!(!time.contains("1,300 at N"));
    }

    #[test]
    fn nothing_to_plot_is_an_error() {
        let err = sweep_charts(&Results::default()).unwrap_err();
        assert!(err.to_string().contains("no positive values"), "{err}");
    }
}
