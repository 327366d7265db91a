//! SVG line charts (plotters, SVG backend only: no fonts, no bitmaps).

use crate::measure::{Measurement, PyMode, Results};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use std::collections::BTreeMap;

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
    /// The drawing library failed.
    #[error("cannot draw the {chart} chart")]
    Draw {
        /// The chart's file stem.
        chart: &'static str,
        /// What plotters said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

type Series = (String, Vec<(f64, f64)>);

/// Tableau's ten colors: distinct, and all readable on white.
const PALETTE: [(u8, u8, u8); 10] = [
    (0x1f, 0x77, 0xb4),
    (0xd6, 0x27, 0x28),
    (0x2c, 0xa0, 0x2c),
    (0xff, 0x7f, 0x0e),
    (0x94, 0x67, 0xbd),
    (0x8c, 0x56, 0x4b),
    (0xe3, 0x77, 0xc2),
    (0x7f, 0x7f, 0x7f),
    (0xbc, 0xbd, 0x22),
    (0x17, 0xbe, 0xcf),
];

/// Lines keyed by `implementation layout`, points `(N, y)` sorted by N;
/// only rows `keep` accepts, only positive values (the axes are log).
fn series(
    measurements: &[Measurement],
    keep: impl Fn(&Measurement) -> bool,
    y: impl Fn(&Measurement) -> f64,
) -> Vec<Series> {
    let mut lines: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    let mut order = Vec::new();
    for m in measurements.iter().filter(|m| keep(m)) {
        let key = (m.runtime.to_string(), m.layout.clone());
        if !lines.contains_key(&key) {
            order.push(key.clone());
        }
        let value = y(m);
        let points = lines.entry(key).or_default();
        if value > 0.0 {
            points.push((m.n as f64, value));
        }
    }
    order
        .into_iter()
        .filter_map(|key| {
            let mut points = lines.remove(&key)?;
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (!points.is_empty()).then(|| (format!("{} {}", key.0, key.1), points))
        })
        .collect()
}

/// How the y axis is scaled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum YScale {
    /// From zero, linear: for values within one order of magnitude.
    Linear,
    /// Logarithmic: for values spanning several.
    Log,
}

/// A line chart over log-scaled N with labelled axes and a legend; the y
/// range leaves room above the data for the legend.
fn line_chart(
    stem: &'static str,
    title: &str,
    y_label: &str,
    lines: &[Series],
    scale: YScale,
) -> Result<Chart, ChartError> {
    let fail = |e: Box<dyn std::error::Error + Send + Sync>| ChartError::Draw {
        chart: stem,
        source: e,
    };
    if lines.is_empty() {
        return Err(ChartError::NothingToPlot { chart: stem });
    }
    let points = || lines.iter().flat_map(|(_, p)| p.iter());
    let (x_lo, x_hi) = points().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let (y_lo, y_hi) = points().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let x = (x_lo * 0.8..x_hi * 1.25).log_scale();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string().into()))?;
        let builder = || {
            let mut builder = ChartBuilder::on(&root);
            builder
                .caption(title, ("sans-serif", 20))
                .margin(16)
                .x_label_area_size(44)
                .y_label_area_size(70);
            builder
        };
        match scale {
            YScale::Linear => {
                let chart = builder()
                    .build_cartesian_2d(x, 0.0..y_hi * 1.6)
                    .map_err(|e| fail(e.to_string().into()))?;
                draw(chart, y_label, lines).map_err(|e| fail(e.into()))?;
            }
            YScale::Log => {
                let chart = builder()
                    .build_cartesian_2d(x, (y_lo * 0.7..y_hi * 30.0).log_scale())
                    .map_err(|e| fail(e.to_string().into()))?;
                draw(chart, y_label, lines).map_err(|e| fail(e.into()))?;
            }
        }
        root.present().map_err(|e| fail(e.to_string().into()))?;
    }
    Ok(Chart {
        stem,
        title: title.to_owned(),
        svg,
    })
}

/// Axes, one line with markers per series, and the legend.
fn draw<'a, Y>(
    mut chart: ChartContext<'a, SVGBackend<'a>, Cartesian2d<LogCoord<f64>, Y>>,
    y_label: &str,
    lines: &[Series],
) -> Result<(), String>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc("N (objects, log scale)")
        .y_desc(y_label)
        .x_label_formatter(&|x| format!("{x:.0e}"))
        .draw()
        .map_err(|e| e.to_string())?;
    for (index, (label, points)) in lines.iter().enumerate() {
        let (r, g, b) = PALETTE[index % PALETTE.len()];
        let color = RGBColor(r, g, b).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))
            .map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

/// Rust rows, and CPython's rows measured in `mode`.
fn rust_or(mode: PyMode) -> impl Fn(&Measurement) -> bool {
    move |m| m.runtime.is_rust() || m.runtime.py_mode() == Some(mode)
}

/// The sweep's two charts: bytes per object vs N (Rust requested bytes,
/// CPython tracemalloc: both exact) and time per object vs N (Rust and
/// untraced CPython: both real speed).
pub fn sweep_charts(results: &Results) -> Result<Vec<Chart>, ChartError> {
    let ms = &results.measurements;
    let bytes = series(ms, rust_or(PyMode::Tracemalloc), |m| m.bytes_per_object);
    let time = series(ms, rust_or(PyMode::Untraced), |m| {
        m.time.median_s / m.n as f64 * 1e9
    });
    Ok(vec![
        line_chart(
            "sweep-bytes",
            "Bytes per object vs N (Rust: requested; CPython: tracemalloc)",
            "bytes per object",
            &bytes,
            YScale::Linear,
        )?,
        line_chart(
            "sweep-time",
            "Time per object vs N, build + sum (Rust; CPython untraced)",
            "ns per object (log scale)",
            &time,
            YScale::Log,
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
            assert!(svg.contains("N (objects, log scale)"));
        }
        // Bytes: Rust and traced CPython, not the RSS-based untraced rows.
        for label in [
            "rust slots",
            "rust dict",
            "cpython-3.11.7 (tracemalloc) slots",
        ] {
            assert!(bytes.contains(label), "{label}");
        }
        assert!(!bytes.contains("(untraced)"));
        assert!(
            time.contains("cpython-3.11.7 (untraced) slots") && !time.contains("(tracemalloc)")
        );
        // Each series: its line and its legend swatch, 2 px wide.
        assert_eq!(bytes.matches(r#"stroke-width="2""#).count(), 3 * 2);
        for (r, g, b) in &PALETTE[..3] {
            assert!(bytes.contains(&format!("#{r:02X}{g:02X}{b:02X}")));
        }
    }

    #[test]
    fn nothing_to_plot_is_an_error() {
        let err = sweep_charts(&Results::default()).unwrap_err();
        assert!(err.to_string().contains("no positive values"), "{err}");
    }
}
