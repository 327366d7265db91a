//! Horizontal bar charts as inline SVG: bars in labelled groups (a layout,
//! its Rust and CPython bars side by side), the value printed at each
//! bar's end, the value axis under them with its unit, a `<title>` on the
//! chart and on every bar.

use super::svg::{self, Scale, WIDTH, escape};
use std::fmt::Write;

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Its row label, e.g. `Rust` or `CPython 3.11.7`.
    pub label: String,
    /// The layout it measures: its colour.
    pub layout: String,
    /// The value drawn.
    pub value: f64,
    /// Printed at the bar's end (default: the value).
    pub text: Option<String>,
    /// Drawn pale: CPython next to Rust, or a second figure.
    pub pale: bool,
}

impl Bar {
    /// A bar of `value` for `layout`, labelled `label`.
    pub fn new(label: impl Into<String>, layout: impl Into<String>, value: f64) -> Self {
        Self {
            label: label.into(),
            layout: layout.into(),
            value,
            text: None,
            pale: false,
        }
    }
}

/// Bars under one heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The heading, e.g. the layout.
    pub label: String,
    /// Its bars, top to bottom.
    pub bars: Vec<Bar>,
}

/// A chart: its title, what the values are (with their unit), the groups,
/// and what pale bars mean (`None`: there are none).
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// The title, above the chart and in its `<title>`.
    pub title: String,
    /// The value axis' label, unit included (`bytes per reading`).
    pub unit: String,
    /// The groups, top to bottom.
    pub groups: Vec<Group>,
    /// What solid and pale bars are, shown above the plot area.
    pub key: Option<(String, String)>,
}

const ROW: f64 = 19.0;
const GAP: f64 = 9.0;
const LABELS: f64 = 206.0;
const RIGHT: f64 = 64.0;
const TOP: f64 = 44.0;

impl BarChart {
    /// Whether there is anything to draw.
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.bars.is_empty())
    }

    /// The chart as one `<svg>` element.
    pub fn svg(&self) -> String {
        let groups: Vec<&Group> = self.groups.iter().filter(|g| !g.bars.is_empty()).collect();
        let scale = Scale::fit(groups.iter().flat_map(|g| g.bars.iter().map(|b| b.value)));
        let rows: usize = groups.iter().map(|g| g.bars.len()).sum();
        let plot_h = rows as f64 * ROW + groups.len() as f64 * GAP;
        let height = TOP + plot_h + 48.0;
        let (x0, x1) = (LABELS, WIDTH - RIGHT);
        let mut out = String::new();
        let description = format!(
            "Horizontal bars, {}; {} bars in {} groups.",
            self.unit,
            rows,
            groups.len()
        );
        svg::open(&mut out, height, &self.title, &description);
        if let Some((solid, pale)) = &self.key {
            let _ = write!(
                out,
                "<rect class=\"key\" fill=\"currentColor\" x=\"{x0:.1}\" y=\"27\" width=\"14\" height=\"10\"/>\
                 <text class=\"tick\" x=\"{:.1}\" y=\"36\">{}</text>\
                 <rect class=\"key\" fill=\"currentColor\" x=\"{:.1}\" y=\"27\" width=\"14\" height=\"10\" fill-opacity=\"0.45\"/>\
                 <text class=\"tick\" x=\"{:.1}\" y=\"36\">{}</text>",
                x0 + 18.0,
                escape(solid),
                x0 + 120.0,
                x0 + 138.0,
                escape(pale)
            );
        }
        svg::value_axis(&mut out, &scale, x0, x1, TOP + plot_h, TOP, &self.unit);
        let mut y = TOP + GAP / 2.0;
        for group in groups {
            let _ = write!(
                out,
                "<text class=\"group\" x=\"6\" y=\"{:.1}\">{}</text>",
                y + ROW * 0.7,
                escape(&group.label)
            );
            for bar in &group.bars {
                let w = scale.at(bar.value) * (x1 - x0);
                let text = bar.text.clone().unwrap_or_else(|| svg::number(bar.value));
                let opacity = if bar.pale {
                    " fill-opacity=\"0.45\""
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    "<text class=\"row\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
                     <rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"{opacity}>\
                     <title>{} · {}: {} {}</title></rect>\
                     <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                    x0 - 6.0,
                    y + ROW * 0.7,
                    escape(&bar.label),
                    y + 2.0,
                    w.max(1.0),
                    ROW - 4.0,
                    svg::colour(&bar.layout),
                    escape(&group.label),
                    escape(&bar.label),
                    escape(&text),
                    escape(&self.unit),
                    x0 + w + 4.0,
                    y + ROW * 0.7,
                    escape(&text)
                );
                y += ROW;
            }
            y += GAP;
        }
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(values: &[f64]) -> BarChart {
        BarChart {
            title: "Bytes <per> reading".into(),
            unit: "bytes per reading".into(),
            groups: vec![Group {
                label: "slots".into(),
                bars: values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| Bar {
                        pale: i % 2 == 1,
                        ..Bar::new(if i % 2 == 0 { "Rust" } else { "CPython" }, "slots", v)
                    })
                    .collect(),
            }],
            key: Some(("Rust".into(), "CPython".into())),
        }
    }

    #[test]
    fn bars_carry_their_values_titles_and_colours() {
        let svg = chart(&[32.0, 112.4]).svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>Bytes &lt;per&gt; reading</title>"));
        assert_eq!(svg.matches("<rect x=").count(), 2);
        assert!(svg.contains(">32.0</text>") && svg.contains(">112</text>"));
        assert!(svg.contains("<title>slots · CPython: 112 bytes per reading</title>"));
        assert_eq!(svg.matches(svg::colour("slots")).count(), 2);
        assert!(svg.contains("fill-opacity=\"0.45\">"));
        // Linear from zero: the longer bar is 112.4/150 of the axis.
        assert!(svg.contains(&format!(
            "width=\"{:.1}\"",
            112.4 / 150.0 * (WIDTH - RIGHT - LABELS)
        )));
        assert!(!svg.contains("log scale"));
    }

    #[test]
    fn a_wide_range_takes_a_log_axis() {
        let svg = chart(&[0.04, 15.0]).svg();
        assert!(svg.contains("bytes per reading, log scale"));
        assert!(svg.contains(">0.0400</text>"));
    }
}
