//! Runs a user's program under the census bootstrap (`python/census.py`,
//! embedded) and reads back what it found.

use super::child::{self, ChildIo, ChildLimits};
use super::{OutputProblem, PythonError};
use crate::measure::census::Census;
use std::collections::BTreeMap;
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
    /// Capture the program's stdout (to compare two runs) instead of
    /// leaving it on the terminal; stdin is then empty.
    pub capture: bool,
    /// Also take a census each time the program receives SIGUSR1.
    pub on_signal: bool,
    /// Run the whole program under tracemalloc: its peak and final traced
    /// heap, exact (the program runs several times slower).
    pub trace: bool,
}

impl Default for CensusOptions {
    fn default() -> Self {
        Self {
            min_instances: 1000,
            sample_max: 1000,
            capture: false,
            on_signal: false,
            trace: false,
        }
    }
}

/// `__slots__` to add, by file (absolute path) and class qualname.
pub type SlotChanges = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// One census run: the census, and the program's stdout when captured.
#[derive(Debug, Clone)]
pub struct CensusOutput {
    /// What the census found.
    pub census: Census,
    /// What the program printed, when [`CensusOptions::capture`] asked.
    pub stdout: Option<Vec<u8>>,
}

/// A new empty file for JSON in the temporary directory, created
/// exclusively under a random name and removed when dropped.
fn temp_json(prefix: &str) -> Result<tempfile::NamedTempFile, PythonError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".json")
        .tempfile()
        .map_err(|source| PythonError::EventsFile {
            path: std::env::temp_dir(),
            source,
        })
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
    Ok(run_census(interpreter, program, options, limits, None)?.census)
}

/// [`take_census`], optionally with `__slots__` added to the classes
/// `apply` names (by source transformation in the program's run; no file
/// is written), and the program's stdout when `options.capture`.
pub fn run_census(
    interpreter: &str,
    program: &[String],
    options: CensusOptions,
    limits: ChildLimits,
    apply: Option<&SlotChanges>,
) -> Result<CensusOutput, PythonError> {
    let label = "census";
    let out = temp_json("slotlab-census-")?;
    let changes = match apply {
        Some(changes) => {
            let file = temp_json("slotlab-slots-")?;
            let text = serde_json::to_string(changes).unwrap_or_default();
            std::fs::write(file.path(), text).map_err(|source| PythonError::EventsFile {
                path: file.path().to_owned(),
                source,
            })?;
            Some(file)
        }
        None => None,
    };
    let mut command = Command::new(interpreter);
    command
        .args(["-c", CENSUS_SCRIPT])
        .arg(out.path())
        .arg(options.min_instances.to_string())
        .arg(options.sample_max.to_string());
    if let Some(file) = &changes {
        command.arg("--apply").arg(file.path());
    }
    if options.on_signal {
        command.args(["--at", "signal"]);
    }
    if options.trace {
        command.args(["--trace", "on"]);
    }
    command.arg("--").args(program);
    let io = if options.capture {
        ChildIo::Captured
    } else {
        ChildIo::Inherited
    };
    let finished = child::run(command, interpreter, label, limits, io)?;
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
    for snapshot in &mut census.snapshots {
        snapshot.program = program.to_vec();
    }
    Ok(CensusOutput {
        census,
        stdout: options.capture.then_some(finished.stdout),
    })
}
