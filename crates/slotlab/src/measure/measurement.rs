//! The one record every experiment produces and every report renders.

use super::anatomy::Anatomy;
use super::runtime::Runtime;
use super::timing::TimeStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One measured case: an experiment, run by one implementation with one
/// layout at one size, repeated.
///
/// Every figure slotlab prints comes from one of these, and each carries
/// [`Measurement::method`]: how it was measured, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// What was run, e.g. `seed`.
    pub experiment: String,
    /// Who ran it; spelled `rust` or `cpython-3.11.7 (untraced)` under the
    /// key `implementation`.
    #[serde(rename = "implementation")]
    pub runtime: Runtime,
    /// The object layout, e.g. `dict` or `slots`.
    pub layout: String,
    /// Objects built.
    pub n: u64,
    /// Measured repetitions (after `warmup` unmeasured ones).
    pub repetitions: u32,
    /// Unmeasured warm-up runs.
    pub warmup: u32,
    /// Time of the measured window over the repetitions.
    pub time: TimeStats,
    /// Peak requested heap bytes inside the measured window.
    pub peak_bytes: u64,
    /// The allocator's real footprint at the peak (`malloc_usable_size`),
    /// where the platform reports it.
    pub usable_peak_bytes: Option<u64>,
    /// `peak_bytes / n`.
    pub bytes_per_object: f64,
    /// New heap blocks allocated inside the window, where the
    /// implementation can count them (slotlab's allocator can; tracemalloc
    /// reports bytes, not calls).
    pub allocations: Option<u64>,
    /// How the figures were obtained: what the window holds, what was
    /// counted, by what.
    pub method: String,
    /// Further metrics by name (e.g. `sum`, the checked result of the work).
    #[serde(default)]
    pub extra: BTreeMap<String, f64>,
}

impl Measurement {
    /// A record of `time` over `n` objects. Repetitions are the samples in
    /// `time`; memory figures start empty ([`Measurement::with_peak`] sets
    /// them), and so do `allocations` and `extra`.
    pub fn new(
        experiment: &str,
        runtime: Runtime,
        layout: impl Into<String>,
        n: u64,
        warmup: u32,
        time: TimeStats,
        method: String,
    ) -> Self {
        Self {
            experiment: experiment.to_owned(),
            runtime,
            layout: layout.into(),
            n,
            repetitions: time.samples_s.len() as u32,
            warmup,
            time,
            peak_bytes: 0,
            usable_peak_bytes: None,
            bytes_per_object: 0.0,
            allocations: None,
            method,
            extra: BTreeMap::new(),
        }
    }

    /// Sets the peak bytes, and bytes per object from them.
    pub fn with_peak(mut self, peak_bytes: u64) -> Self {
        self.peak_bytes = peak_bytes;
        self.bytes_per_object = peak_bytes as f64 / self.n.max(1) as f64;
        self
    }

    /// Peak requested bytes in MiB (2^20 bytes), the lesson's "MB".
    pub fn peak_mib(&self) -> f64 {
        self.peak_bytes as f64 / (1024.0 * 1024.0)
    }
}

/// What the lesson claims, checked against figures just measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The lesson's words, e.g. "Significant memory reduction".
    pub claim: String,
    /// Whether the measurements bear it out.
    pub verdict: Verdict,
    /// The figures behind the verdict, in plain words.
    pub evidence: String,
}

/// A claim's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The measurements agree with the claim.
    Held,
    /// The measurements contradict it.
    NotHeld,
    /// This run measured nothing that decides it.
    NotMeasured,
}

impl Verdict {
    /// `held`, `not held`, `not measured here`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Held => "held",
            Verdict::NotHeld => "not held",
            Verdict::NotMeasured => "not measured here",
        }
    }
}

/// Everything one command measured: the records and the lesson's claims
/// checked against them. Every output format renders this.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// The measurements, in the order they were made.
    pub measurements: Vec<Measurement>,
    /// The lesson's claims, judged by them (empty where none apply).
    #[serde(default)]
    pub claims: Vec<Claim>,
    /// What the reader should know that no row shows (a case skipped, and
    /// why).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Single objects taken apart (`explain`), rendered by
    /// `report::render_anatomies`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anatomies: Vec<Anatomy>,
    /// A census of a user's program (`census`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub census: Option<super::census::Census>,
    /// Whether what was stored was read back and matched what went in
    /// (`None`: not checked). Not saved: a run that did not match exits
    /// non-zero, and its notes say so.
    #[serde(skip)]
    pub verified: Option<bool>,
    /// Why runs ended otherwise than asked (a bad line under `--strict`,
    /// a failed source or sink, the memory budget, nothing stored), one
    /// sentence each. Not saved, like `verified`.
    #[serde(skip)]
    pub failures: Vec<String>,
}

impl Results {
    /// Whether the command that made these should exit non-zero after
    /// printing them: a run failed, or a verification did not match.
    pub fn failed(&self) -> bool {
        !self.failures.is_empty() || self.verified == Some(false)
    }

    /// Why [`Results::failed`], in one line; `None` when it did not.
    pub fn failure(&self) -> Option<String> {
        let mut why = self.failures.clone();
        // A run that failed holds less than it took: that says nothing new.
        if self.verified == Some(false) && why.is_empty() {
            why.push("what was stored did not read back as what went in".to_owned());
        }
        (!why.is_empty()).then(|| why.join("; "))
    }
}

/// One experiment's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// `compare`, `gc`, `access`, `sweep`, `seed`.
    pub experiment: String,
    /// What it measured.
    pub results: Results,
}

/// Everything a report shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    /// The sections, in the order they ran.
    pub sections: Vec<Section>,
}

impl Suite {
    /// Reads a suite, or any one command's `--format json` results (one
    /// section, named after its measurements' experiment).
    pub fn from_json(text: &str) -> Result<Suite, serde_json::Error> {
        if let Ok(suite) = serde_json::from_str::<Suite>(text) {
            return Ok(suite);
        }
        if let Ok(census) = serde_json::from_str::<super::census::Census>(text) {
            return Ok(Suite {
                sections: vec![Section {
                    experiment: "census".to_owned(),
                    results: Results {
                        census: Some(census),
                        ..Results::default()
                    },
                }],
            });
        }
        let results: Results = serde_json::from_str(text)?;
        let experiment = results
            .measurements
            .first()
            .map_or_else(|| "results".to_owned(), |m| m.experiment.clone());
        Ok(Suite {
            sections: vec![Section {
                experiment,
                results,
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::fixtures::compare_like;

    #[test]
    fn reads_a_suite_or_one_commands_results() {
        let suite = Suite {
            sections: vec![Section {
                experiment: "compare".into(),
                results: compare_like(),
            }],
        };
        let text = serde_json::to_string(&suite).unwrap();
        assert_eq!(Suite::from_json(&text).unwrap(), suite);
        let single = serde_json::to_string(&compare_like()).unwrap();
        let loaded = Suite::from_json(&single).unwrap();
        assert_eq!(loaded.sections.len(), 1);
        assert_eq!(loaded.sections[0].experiment, "seed");
        assert!(Suite::from_json("{\"nope\": 1}").is_err());
    }
}
