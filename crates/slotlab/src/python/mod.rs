//! Runs the same cases under CPython, each in a fresh interpreter, and turns
//! what it prints into [`Measurement`](crate::measure::Measurement)s.
//!
//! The script is `python/cases.py` at the repository root, embedded at build
//! time and passed to the interpreter with `-c`, so an installed `slotlab`
//! needs no files beside it.

pub use crate::measure::PyMode;
use crate::measure::Runtime;
use serde::Deserialize;

use std::process::Command;
use std::time::Duration;

mod cases;
pub mod census;
mod child;
pub mod lesson;
mod protocol;

pub use cases::{CaseOutcome, PyCase};
pub use child::{
    ChildLimits, children_alive, interrupt_children, kill_children, snapshot_children,
    snapshots_asked,
};
pub use protocol::{PyAccess, PyAnatomy, PyDictStep, PyGc, PyHold};

/// The case script (`python/cases.py`).
pub const CASES_SCRIPT: &str = include_str!("../../../../python/cases.py");

/// What the interpreter says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PythonInfo {
    /// `sys.implementation.name`, e.g. `cpython`.
    pub implementation: String,
    /// `platform.python_version()`, e.g. `3.11.7`.
    pub version: String,
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl PythonInfo {
    /// This interpreter as the runtime of a measurement whose memory was
    /// measured in `mode` (`None`: time only).
    pub fn runtime(&self, mode: impl Into<Option<PyMode>>) -> Runtime {
        Runtime::cpython(self.version.clone(), mode)
    }
}

/// The oldest Python the cases run on (dataclasses, `sys.getallocatedblocks`).
pub const MIN_VERSION: (u32, u32) = (3, 8);

/// Why a Python case could not be measured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PythonError {
    /// The interpreter could not be started.
    #[error("cannot run the Python interpreter '{interpreter}'")]
    NotFound {
        /// The interpreter as given.
        interpreter: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The events file for a case could not be written.
    #[error("cannot write the events for CPython to {path}", path = path.display())]
    EventsFile {
        /// Where.
        path: std::path::PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The interpreter is not CPython: the cases measure CPython's object
    /// layout (`sys.getsizeof`, tracemalloc, the cyclic collector).
    #[error(
        "'{interpreter}' is {implementation}, not CPython; slotlab's cases measure CPython's object layout"
    )]
    NotCPython {
        /// The interpreter as given.
        interpreter: String,
        /// `sys.implementation.name`.
        implementation: String,
    },
    /// The interpreter is older than every case needs.
    #[error("'{interpreter}' is Python {version}; slotlab's cases need {}.{} or later", MIN_VERSION.0, MIN_VERSION.1)]
    TooOld {
        /// The interpreter as given.
        interpreter: String,
        /// Its version.
        version: String,
    },
    /// The script exited with an error.
    #[error("'{interpreter}' failed running the {case} case ({status}): {stderr}")]
    Crashed {
        /// The interpreter as given.
        interpreter: String,
        /// The case (or `probe`).
        case: String,
        /// How it exited.
        status: String,
        /// The end of what it printed on stderr.
        stderr: String,
    },
    /// The interpreter ran longer than its time limit and was killed.
    #[error("'{interpreter}' ran the {case} case for longer than {} s and was killed", limit.as_secs_f64())]
    TimedOut {
        /// The interpreter as given.
        interpreter: String,
        /// The case (or `probe`).
        case: String,
        /// The limit.
        limit: Duration,
    },
    /// The interpreter printed more than slotlab reads and was killed.
    #[error("'{interpreter}' printed more than {limit} bytes for the {case} case and was killed")]
    TooMuchOutput {
        /// The interpreter as given.
        interpreter: String,
        /// The case (or `probe`).
        case: String,
        /// Bytes read at most.
        limit: usize,
    },
    /// Ctrl-C or SIGTERM: the interpreter was killed (or never started).
    #[error("'{interpreter}' was stopped during the {case} case: interrupted")]
    Interrupted {
        /// The interpreter as given.
        interpreter: String,
        /// The case (or `probe`).
        case: String,
    },
    /// The program (or the census bootstrap) ended without a census: it
    /// was killed, or the interpreter could not run the bootstrap.
    #[error("'{interpreter}' ended ({status}) before the census was taken")]
    NoCensus {
        /// The interpreter as given.
        interpreter: String,
        /// How it ended.
        status: String,
    },
    /// The script printed something that is not the expected JSON.
    #[error(
        "'{interpreter}' printed unexpected output for the {case} case ({problem}): {output:?}"
    )]
    Malformed {
        /// The interpreter as given.
        interpreter: String,
        /// The case (or `probe`).
        case: String,
        /// What was wrong.
        problem: OutputProblem,
        /// The start of what it printed.
        output: String,
    },
}

/// What was wrong with what a script printed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputProblem {
    /// Not the JSON the protocol expects.
    #[error("{0}")]
    NotJson(#[from] serde_json::Error),
    /// A case that reported no timed run.
    #[error("no timed runs")]
    NoTimedRuns,
    /// A case that reported no memory figure.
    #[error("no memory figure")]
    NoMemoryFigure,
    /// The lesson's output without its two lines.
    #[error("no 'Time:' and 'Peak memory:' lines")]
    NoLessonLines,
    /// JSON of another shape than asked for.
    #[error("{0}")]
    WrongShape(String),
}

/// One interpreter, probed.
#[derive(Debug, Clone)]
pub struct Python {
    interpreter: String,
    info: PythonInfo,
    limits: ChildLimits,
}

const PROBE: &str = "# slotlab-probe\nimport json, platform, sys\n\
print(json.dumps({'implementation': sys.implementation.name, \
'version': platform.python_version(), 'major': sys.version_info[0], \
'minor': sys.version_info[1]}))";

/// The last `max` characters of `text`, trimmed.
fn tail(text: &str, max: usize) -> String {
    let text = text.trim();
    let start = text
        .char_indices()
        .rev()
        .nth(max.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    text[start..].to_owned()
}

fn head(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

impl Python {
    /// Starts `interpreter` once to learn what it is; every run of it
    /// has [`ChildLimits::DEFAULT`].
    pub fn probe(interpreter: &str) -> Result<Self, PythonError> {
        Self::probe_with(interpreter, ChildLimits::DEFAULT)
    }

    /// [`Python::probe`], every run of the interpreter (the probe too)
    /// under `limits`.
    pub fn probe_with(interpreter: &str, limits: ChildLimits) -> Result<Self, PythonError> {
        let stdout = run(interpreter, "probe", &["-c", PROBE], limits)?;
        let info: PythonInfo = parse(interpreter, "probe", &stdout)?;
        if info.implementation != "cpython" {
            return Err(PythonError::NotCPython {
                interpreter: interpreter.to_owned(),
                implementation: info.implementation,
            });
        }
        if (info.major, info.minor) < MIN_VERSION {
            return Err(PythonError::TooOld {
                interpreter: interpreter.to_owned(),
                version: info.version,
            });
        }
        Ok(Self {
            interpreter: interpreter.to_owned(),
            info,
            limits,
        })
    }

    /// What the interpreter is.
    pub fn info(&self) -> &PythonInfo {
        &self.info
    }

    /// The interpreter as given.
    pub fn interpreter(&self) -> &str {
        &self.interpreter
    }

    /// The limits every run of it has.
    pub fn limits(&self) -> ChildLimits {
        self.limits
    }
}

/// Runs the interpreter under `limits`; its stdout, or an error naming it
/// and the case.
fn run(
    interpreter: &str,
    case: &str,
    args: &[&str],
    limits: ChildLimits,
) -> Result<String, PythonError> {
    let mut command = Command::new(interpreter);
    command.args(args);
    let output = child::run(command, interpreter, case, limits, child::ChildIo::Captured)?;
    if !output.status.success() {
        return Err(PythonError::Crashed {
            interpreter: interpreter.to_owned(),
            case: case.to_owned(),
            status: output.status.to_string(),
            stderr: tail(&String::from_utf8_lossy(&output.stderr), 500),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn parse<T: serde::de::DeserializeOwned>(
    interpreter: &str,
    case: &str,
    stdout: &str,
) -> Result<T, PythonError> {
    serde_json::from_str(stdout.trim()).map_err(|e| PythonError::Malformed {
        interpreter: interpreter.to_owned(),
        case: case.to_owned(),
        problem: e.into(),
        output: head(stdout, 200),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_and_head_cut_on_char_boundaries() {
        assert_eq!(tail("ab\u{e9}cd", 3), "\u{e9}cd");
        assert_eq!(tail("abc", 10), "abc");
        assert_eq!(head("  \u{e9}xyz", 2), "\u{e9}x");
    }
}
