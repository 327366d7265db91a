//! Renders [`Measurement`]s. One renderer per format; every format works
//! for every experiment.

mod json;
mod text;

use crate::measure::Measurement;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Format {
    /// The lesson's own output: a block per layout, then how it was measured.
    Text,
    /// The full records, as a JSON array.
    Json,
}

impl Format {
    /// The format's name as flags and file extensions spell it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
        }
    }

    /// The format a file name's extension asks for (`.json`, `.txt`).
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "txt" | "text" => Some(Format::Text),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Renders `measurements` in `format`, ending with a newline.
pub fn render(format: Format, measurements: &[Measurement]) -> String {
    match format {
        Format::Text => text::render(measurements),
        Format::Json => json::render(measurements),
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use crate::measure::{Measurement, TimeStats};
    use std::collections::BTreeMap;
    use std::time::Duration;

    /// A fixed measurement for golden tests.
    pub(crate) fn measurement(layout: &str, peak_bytes: u64, seconds: &[f64]) -> Measurement {
        let samples: Vec<Duration> = seconds
            .iter()
            .map(|s| Duration::from_secs_f64(*s))
            .collect();
        Measurement {
            experiment: "seed".into(),
            implementation: "rust".into(),
            layout: layout.into(),
            n: 1000,
            repetitions: seconds.len() as u32,
            warmup: 1,
            time: TimeStats::from_samples(&samples),
            peak_bytes,
            usable_peak_bytes: Some(peak_bytes + 8),
            bytes_per_object: peak_bytes as f64 / 1000.0,
            allocations: 1001,
            method: "fixture".into(),
            extra: BTreeMap::from([("sum".to_owned(), 49950.0)]),
        }
    }
}
