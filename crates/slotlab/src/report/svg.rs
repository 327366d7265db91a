//! What every chart of the report shares: the colour of each layout (the
//! same in every chart, from a colour-blind-safe palette), value axes
//! (linear from zero, or logarithmic where the values span more than
//! [`LOG_SPAN`]×), number spelling, and SVG text escaped.
//!
//! Charts draw text in `currentColor` and lines in classes the page
//! styles, so one SVG reads in light and dark schemes and in print.

use std::fmt::Write;

/// `&`, `<`, `>`, `"`, `'` escaped for HTML text and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Charts are drawn this wide (SVG user units); the page scales them to
/// its width, so none overflows.
pub const WIDTH: f64 = 680.0;

/// Values spanning more than this ratio get a logarithmic axis.
pub const LOG_SPAN: f64 = 30.0;

/// A layout's colour: Okabe and Ito's palette for the lesson's layouts,
/// Paul Tol's muted one for the rest (both read apart under every common
/// colour-vision deficiency); anything else grey. Keys are layout names
/// as measurements spell them (`dict`, `dataclass(slots)`, a codec).
pub fn colour(layout: &str) -> &'static str {
    let base = layout.split(" · ").next().unwrap_or(layout);
    match base {
        "dict" => "#D55E00",
        "slots" => "#0072B2",
        "table" => "#E69F00",
        "record" => "#009E73",
        "columns" => "#56B4E9",
        "dataclass" => "#CC79A7",
        "dataclass(slots)" => "#332288",
        "namedtuple" => "#999933",
        "typing.NamedTuple" => "#44AA99",
        "tuple" => "#882255",
        "records" => "#009E73",
        s if s.starts_with("stream") => "#AA4499",
        s if s.starts_with("pco") => "#117733",
        s if s.starts_with("gorilla") => "#DDCC77",
        s if s.starts_with("zstd") => "#88CCEE",
        s if s.starts_with("parquet") => "#CC6677",
        s if s.starts_with("duckdb") => "#661100",
        _ => "#888888",
    }
}

/// How a value axis maps values to positions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// From zero to `max`.
    Linear {
        /// The axis' end.
        max: f64,
    },
    /// From `lo` to `hi`, whole decades.
    Log {
        /// The first decade.
        lo: f64,
        /// The last.
        hi: f64,
    },
}

impl Scale {
    /// The scale for `values` (positive ones only count on a log axis):
    /// logarithmic where they span more than [`LOG_SPAN`]×.
    pub fn fit(values: impl IntoIterator<Item = f64>) -> Scale {
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for v in values.into_iter().filter(|v| v.is_finite() && *v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi <= 0.0 {
            return Scale::Linear { max: 1.0 };
        }
        if hi / lo > LOG_SPAN {
            Scale::Log {
                lo: 10f64.powf(lo.log10().floor()),
                hi: 10f64.powf(hi.log10().ceil()).max(lo * 10.0),
            }
        } else {
            let step = nice_step(hi / 4.0);
            Scale::Linear {
                max: step * (hi / step).ceil(),
            }
        }
    }

    /// Whether the axis is logarithmic.
    pub fn is_log(&self) -> bool {
        matches!(self, Scale::Log { .. })
    }

    /// Where `v` falls, from 0 (the axis' start) to 1 (its end); values
    /// off the axis are clamped to it.
    pub fn at(&self, v: f64) -> f64 {
        let f = match *self {
            Scale::Linear { max } => v / max,
            Scale::Log { lo, hi } if v > 0.0 => (v / lo).log10() / (hi / lo).log10(),
            Scale::Log { .. } => 0.0,
        };
        if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// The tick values: about five steps of 1, 2 or 5 × 10^k from zero,
    /// or every decade.
    pub fn ticks(&self) -> Vec<f64> {
        match *self {
            Scale::Linear { max } => {
                let step = nice_step(max / 5.0);
                (0..)
                    .map(|i| i as f64 * step)
                    .take_while(|t| *t <= max * (1.0 + 1e-9))
                    .collect()
            }
            Scale::Log { lo, hi } => {
                let decades = (hi / lo).log10().round() as i32;
                (0..=decades).map(|d| lo * 10f64.powi(d)).collect()
            }
        }
    }
}

impl Scale {
    /// Each tick with the step its label is spelled to.
    pub fn ticks_with_steps(&self) -> Vec<(f64, f64)> {
        let ticks = self.ticks();
        let step = ticks.get(1).copied().unwrap_or(1.0);
        ticks
            .into_iter()
            .map(|t| (t, if self.is_log() { t } else { step }))
            .collect()
    }
}

/// 1, 2 or 5 × 10^k, the smallest at least `rough`.
fn nice_step(rough: f64) -> f64 {
    if !(rough.is_finite() && rough > 0.0) {
        return 1.0;
    }
    let decade = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|s| *s >= rough * (1.0 - 1e-9))
        .unwrap_or(10.0 * decade)
}

/// A figure in three significant digits at most, no exponent for what a
/// reader meets here (`0.000512`, `3.20`, `48.2`, `1,250,000`).
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_owned();
    }
    let a = v.abs();
    if a >= 1000.0 {
        return thousands(v.round() as i64);
    }
    let decimals = if a == 0.0 {
        0
    } else {
        (2 - a.log10().floor() as i32).max(0) as usize
    };
    format!("{v:.decimals$}")
}

/// An integer with thousands separated by commas.
fn thousands(v: i64) -> String {
    let digits = super::group_thousands(v.unsigned_abs());
    if v < 0 { format!("-{digits}") } else { digits }
}

/// A tick's label: as few decimals as the ticks' step needs (`0.0001`,
/// `1000`, `0.5`, `150`).
pub fn tick_label(v: f64, step: f64) -> String {
    if v >= 10_000.0 {
        return thousands(v.round() as i64);
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// Opens an SVG of `height` with its accessible `title` and description,
/// and the title shown at its top.
pub fn open(out: &mut String, height: f64, title: &str, description: &str) {
    let title = escape(title);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} {height:.0}\" \
         role=\"img\" font-family=\"system-ui, sans-serif\" font-size=\"12\"><title>{title}</title><desc>{}</desc>\
         <text class=\"chart-title\" x=\"{:.1}\" y=\"18\" text-anchor=\"middle\">{title}</text>",
        escape(description),
        WIDTH / 2.0
    );
}

/// The value axis along `y` from `x0` to `x1`: its line, ticks with
/// labels, grid lines up to `top`, and its label centred under it.
pub fn value_axis(
    out: &mut String,
    scale: &Scale,
    x0: f64,
    x1: f64,
    y: f64,
    top: f64,
    label: &str,
) {
    let _ = write!(
        out,
        "<line class=\"axis\" stroke=\"currentColor\" x1=\"{x0:.1}\" y1=\"{y:.1}\" x2=\"{x1:.1}\" y2=\"{y:.1}\"/>"
    );
    for (t, step) in scale.ticks_with_steps() {
        let x = x0 + scale.at(t) * (x1 - x0);
        let _ = write!(
            out,
            "<line class=\"grid\" stroke=\"#999\" stroke-opacity=\"0.35\" x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            y + 15.0,
            escape(&tick_label(t, step))
        );
    }
    let scale_note = if scale.is_log() { ", log scale" } else { "" };
    let _ = write!(
        out,
        "<text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}{scale_note}</text>",
        (x0 + x1) / 2.0,
        y + 34.0,
        escape(label)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_fit_their_values() {
        assert_eq!(
            Scale::fit([10.0, 48.0, 196.0]),
            Scale::Linear { max: 200.0 }
        );
        let log = Scale::fit([0.0005, 3.7, 112.0]);
        assert_eq!(
            log,
            Scale::Log {
                lo: 0.0001,
                hi: 1000.0
            }
        );
        assert_eq!(log.ticks().len(), 8);
        assert!((log.at(0.01) - 2.0 / 7.0).abs() < 1e-12);
        assert_eq!(
            Scale::Linear { max: 200.0 }.ticks(),
            [0.0, 50.0, 100.0, 150.0, 200.0]
        );
        assert_eq!(Scale::fit([]), Scale::Linear { max: 1.0 });
        assert_eq!(Scale::Linear { max: 10.0 }.at(20.0), 1.0);
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(number(48.2), "48.2");
        assert_eq!(number(0.000512), "0.000512");
        assert_eq!(number(3.2), "3.20");
        assert_eq!(number(1_250_000.4), "1,250,000");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::NAN), "–");
    }

    #[test]
    fn every_layout_keeps_one_colour() {
        assert_eq!(colour("slots · by name · read"), colour("slots"));
        assert_ne!(colour("slots"), colour("dict"));
        assert_ne!(colour("dataclass(slots)"), colour("slots"));
        assert_eq!(colour("something new"), "#888888");
    }
}
