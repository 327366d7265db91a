//! Line charts as inline SVG: N on a logarithmic x axis, a line with
//! markers per series (the layout's colour; CPython's lines dashed), the
//! legend beside the plot area rather than on it, axis labels with units,
//! a `<title>` on the chart and on every point.

use super::svg::{self, Scale, escape};
use std::fmt::Write;

/// One line: its legend label, its layout (colour), its points `(x, y)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The legend's words.
    pub label: String,
    /// The layout: the line's colour.
    pub layout: String,
    /// Dashed: CPython's lines next to Rust's.
    pub dashed: bool,
    /// Points, sorted by x; only positive values are drawn.
    pub points: Vec<(f64, f64)>,
}

/// A line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// The title.
    pub title: String,
    /// The x axis' label, unit included.
    pub x_label: String,
    /// The y axis' label, unit included.
    pub y_label: String,
    /// The lines.
    pub lines: Vec<Line>,
}

const HEIGHT: f64 = 430.0;
const LEFT: f64 = 72.0;
const PLOT_RIGHT: f64 = 440.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 370.0;

impl LineChart {
    /// The chart as one `<svg>` element.
    pub fn svg(&self) -> String {
        let points = || self.lines.iter().flat_map(|l| l.points.iter());
        let x = match Scale::fit(points().map(|p| p.0)) {
            Scale::Linear { max } => Scale::Log {
                lo: 10f64.powf(max.log10().floor() - 1.0),
                hi: 10f64.powf(max.log10().ceil()),
            },
            log => log,
        };
        let y = Scale::fit(points().map(|p| p.1));
        let mut out = String::new();
        let description = format!(
            "Lines of {} against {}; {} lines.",
            self.y_label,
            self.x_label,
            self.lines.len()
        );
        svg::open(&mut out, HEIGHT, &self.title, &description);
        svg::value_axis(&mut out, &x, LEFT, PLOT_RIGHT, BOTTOM, TOP, &self.x_label);
        self.y_axis(&mut out, &y);
        let px = |v: f64| LEFT + x.at(v) * (PLOT_RIGHT - LEFT);
        let py = |v: f64| BOTTOM - y.at(v) * (BOTTOM - TOP);
        for (i, line) in self.lines.iter().enumerate() {
            let colour = svg::colour(&line.layout);
            let dash = if line.dashed {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            };
            let drawn: Vec<(f64, f64)> =
                line.points.iter().copied().filter(|p| p.1 > 0.0).collect();
            let path: Vec<String> = drawn
                .iter()
                .map(|&(a, b)| format!("{:.1},{:.1}", px(a), py(b)))
                .collect();
            let _ = write!(
                out,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
                path.join(" ")
            );
            for &(a, b) in &drawn {
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"><title>{}: {} at N = {}</title></circle>",
                    px(a),
                    py(b),
                    escape(&line.label),
                    svg::number(b),
                    svg::number(a)
                );
            }
            // The legend, right of the plot area.
            let ly = TOP + 6.0 + i as f64 * 20.0;
            let _ = write!(
                out,
                "<line x1=\"{:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>\
                 <text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                PLOT_RIGHT + 16.0,
                PLOT_RIGHT + 40.0,
                PLOT_RIGHT + 46.0,
                ly + 4.0,
                escape(&line.label)
            );
        }
        out.push_str("</svg>");
        out
    }

    /// The y axis: its line, ticks, grid and label (turned upright).
    fn y_axis(&self, out: &mut String, y: &Scale) {
        let _ = write!(
            out,
            "<line class=\"axis\" stroke=\"currentColor\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{BOTTOM}\"/>"
        );
        for (t, step) in y.ticks_with_steps() {
            let v = BOTTOM - y.at(t) * (BOTTOM - TOP);
            let _ = write!(
                out,
                "<line class=\"grid\" stroke=\"#999\" stroke-opacity=\"0.35\" x1=\"{LEFT}\" y1=\"{v:.1}\" x2=\"{PLOT_RIGHT}\" y2=\"{v:.1}\"/>\
                 <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                LEFT - 6.0,
                v + 4.0,
                escape(&svg::tick_label(t, step))
            );
        }
        let scale_note = if y.is_log() { ", log scale" } else { "" };
        let _ = write!(
            out,
            "<text class=\"axis-label\" transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}{scale_note}</text>",
            (TOP + BOTTOM) / 2.0,
            escape(&self.y_label)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_markers_and_a_legend_beside_the_plot() {
        let chart = LineChart {
            title: "Bytes per object vs N".into(),
            x_label: "N (objects)".into(),
            y_label: "bytes per object".into(),
            lines: vec![
                Line {
                    label: "Rust slots".into(),
                    layout: "slots".into(),
                    dashed: false,
                    points: vec![(1e3, 32.0), (1e6, 32.0)],
                },
                Line {
                    label: "CPython 3.11.7 slots".into(),
                    layout: "slots".into(),
                    dashed: true,
                    points: vec![(1e3, 90.0), (1e6, 112.0)],
                },
            ],
        };
        let svg = chart.svg();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert_eq!(
            svg.matches("stroke-dasharray").count(),
            2,
            "a line and its legend"
        );
        assert!(svg.contains("N (objects), log scale"));
        assert!(svg.contains("<title>CPython 3.11.7 slots: 112 at N = 1,000,000</title>"));
        // Every legend entry starts right of the plot area.
        for entry in svg.split("class=\"legend\" x=\"").skip(1) {
            let x: f64 = entry.split('"').next().unwrap().parse().unwrap();
            assert!(x > PLOT_RIGHT);
        }
    }
}
