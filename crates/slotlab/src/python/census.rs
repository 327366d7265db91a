//! Runs a user's program under the census bootstrap (`python/census.py`,
//! embedded) and reads back what it found.

use super::child::{self, ChildIo, ChildLimits};
use super::{OutputProblem, PythonError};
use crate::measure::census::Census;
use std::process::Command;

/// The census bootstrap (`python/census.py`).
pub const CENSUS_SCRIPT: &str = include_str!("../../../../python/census.py");

/// What the census reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CensusOptions {
    /// Classes with fewer live instances are left out.
    pub min_instances: u64,
    /// Instances read per class at most.
    pub sample_max: u64,
}

impl Default for CensusOptions {
    fn default() -> Self {
        Self {
            min_instances: 1000,
            sample_max: 1000,
        }
    }
}

/// Runs `program` (`SCRIPT.py ARGS…` or `-m MODULE ARGS…`) with
/// `interpreter` in this directory and environment, sharing this
/// terminal, and takes the census when it ends. A program that fails is
/// still counted: its status is in the census.
pub fn take_census(
    interpreter: &str,
    program: &[String],
    options: CensusOptions,
    limits: ChildLimits,
) -> Result<Census, PythonError> {
    let label = "census";
    let out = tempfile::Builder::new()
        .prefix("slotlab-census-")
        .suffix(".json")
        .tempfile()
        .map_err(|source| PythonError::EventsFile {
            path: std::env::temp_dir(),
            source,
        })?;
    let mut command = Command::new(interpreter);
    command
        .args(["-c", CENSUS_SCRIPT])
        .arg(out.path())
        .arg(options.min_instances.to_string())
        .arg(options.sample_max.to_string())
        .arg("--")
        .args(program);
    let finished = child::run(command, interpreter, label, limits, ChildIo::Inherited)?;
    let text = std::fs::read_to_string(out.path()).unwrap_or_default();
    if text.trim().is_empty() {
        return Err(PythonError::NoCensus {
            interpreter: interpreter.to_owned(),
            status: finished.status.to_string(),
        });
    }
    let mut census: Census = serde_json::from_str(&text).map_err(|e| PythonError::Malformed {
        interpreter: interpreter.to_owned(),
        case: label.to_owned(),
        problem: OutputProblem::NotJson(e),
        output: super::head(&text, 200),
    })?;
    census.program = program.to_vec();
    Ok(census)
}
