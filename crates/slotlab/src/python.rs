//! Runs the same cases under CPython, each in a fresh interpreter, and turns
//! what it prints into [`Measurement`]s.
//!
//! The script is `python/cases.py` at the repository root, embedded at build
//! time and passed to the interpreter with `-c`, so an installed `slotlab`
//! needs no files beside it.

pub use crate::measure::PyMode;
use crate::measure::{Measurement, RepeatPlan, Runtime, TimeStats};
use serde::Deserialize;
use std::collections::BTreeMap;

use std::process::Command;

/// The case script (`python/cases.py`).
pub const CASES_SCRIPT: &str = include_str!("../../../python/cases.py");

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

/// A Python layout of the lesson's `Reading`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PyCase {
    /// A normal class: attributes in a per-instance `__dict__`.
    Dict,
    /// `__slots__ = ("timestamp", "value")`.
    Slots,
    /// `@dataclass`.
    Dataclass,
    /// `@dataclass(slots=True)` (Python 3.10+).
    DataclassSlots,
    /// `collections.namedtuple`.
    NamedTuple,
    /// `typing.NamedTuple`.
    TypedNamedTuple,
    /// A plain tuple `(timestamp, value)`, summed by index.
    Tuple,
}

impl PyCase {
    /// Every case, in the order reports list them.
    pub const ALL: [PyCase; 7] = [
        PyCase::Dict,
        PyCase::Slots,
        PyCase::Dataclass,
        PyCase::DataclassSlots,
        PyCase::NamedTuple,
        PyCase::TypedNamedTuple,
        PyCase::Tuple,
    ];

    /// The lesson's two classes and their dataclass counterpart, the
    /// cases `sweep`, `access` and `gc` run (all three can be written to).
    pub const CORE: [PyCase; 3] = [PyCase::Dict, PyCase::Slots, PyCase::DataclassSlots];

    /// The name `cases.py` takes.
    pub fn script_name(self) -> &'static str {
        match self {
            PyCase::Dict => "dict",
            PyCase::Slots => "slots",
            PyCase::Dataclass => "dataclass",
            PyCase::DataclassSlots => "dataclass_slots",
            PyCase::NamedTuple => "namedtuple",
            PyCase::TypedNamedTuple => "typed_namedtuple",
            PyCase::Tuple => "tuple",
        }
    }

    /// The layout as reports name it (`dict` and `slots` match the Rust
    /// layouts' names, so rows line up).
    pub fn layout(self) -> &'static str {
        match self {
            PyCase::Dict => "dict",
            PyCase::Slots => "slots",
            PyCase::Dataclass => "dataclass",
            PyCase::DataclassSlots => "dataclass(slots)",
            PyCase::NamedTuple => "namedtuple",
            PyCase::TypedNamedTuple => "typing.NamedTuple",
            PyCase::Tuple => "tuple",
        }
    }

    /// The oldest Python that has this layout.
    pub fn min_version(self) -> (u32, u32) {
        match self {
            PyCase::DataclassSlots => (3, 10),
            _ => MIN_VERSION,
        }
    }
}

/// Why a Python case could not be measured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PythonError {
    /// The interpreter could not be started.
    #[error(
        "cannot run the Python interpreter '{interpreter}': {reason}; install CPython 3 or pass --python PATH"
    )]
    NotFound {
        /// The interpreter as given.
        interpreter: String,
        /// What the OS said.
        reason: String,
    },
    /// The interpreter is not CPython: the cases measure CPython's object
    /// layout (`sys.getsizeof`, tracemalloc, the cyclic collector).
    #[error(
        "'{interpreter}' is {implementation}, not CPython; slotlab's cases measure CPython's object layout, so pass --python with a CPython interpreter"
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
    /// The script printed something that is not the expected JSON.
    #[error("'{interpreter}' printed unexpected output for the {case} case ({reason}): {output:?}")]
    Malformed {
        /// The interpreter as given.
        interpreter: String,
        /// The case (or `probe`).
        case: String,
        /// What was wrong.
        reason: String,
        /// The start of what it printed.
        output: String,
    },
}

/// A case's result: measured, or skipped with the reason.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseOutcome {
    /// The figures.
    Measured(Box<Measurement>),
    /// Not run on this interpreter, and why.
    Skipped {
        /// The case.
        case: PyCase,
        /// Why, in words.
        reason: String,
    },
}

/// One interpreter, probed.
#[derive(Debug, Clone)]
pub struct Python {
    interpreter: String,
    info: PythonInfo,
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
    /// Starts `interpreter` once to learn what it is.
    pub fn probe(interpreter: &str) -> Result<Self, PythonError> {
        let stdout = run(interpreter, "probe", &["-c", PROBE])?;
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
        })
    }

    /// What the interpreter is.
    pub fn info(&self) -> &PythonInfo {
        &self.info
    }

    /// Runs `case` with N readings in a fresh interpreter: `plan.warmup`
    /// unmeasured runs, then `plan.repetitions` measured ones.
    pub fn run_case(
        &self,
        case: PyCase,
        mode: PyMode,
        n: u64,
        plan: RepeatPlan,
    ) -> Result<CaseOutcome, PythonError> {
        let (major, minor) = case.min_version();
        if (self.info.major, self.info.minor) < (major, minor) {
            return Ok(CaseOutcome::Skipped {
                case,
                reason: format!(
                    "{} needs Python {major}.{minor} or later; '{}' is {}",
                    case.layout(),
                    self.interpreter,
                    self.info.version
                ),
            });
        }
        let args = [
            n.to_string(),
            mode.name().to_owned(),
            plan.warmup.to_string(),
            plan.repetitions.to_string(),
        ];
        let mut argv = vec!["-c", CASES_SCRIPT, case.script_name()];
        argv.extend(args.iter().map(String::as_str));
        let label = format!("{} ({mode})", case.layout());
        let stdout = run(&self.interpreter, &label, &argv)?;
        let output: CaseOutput = parse(&self.interpreter, &label, &stdout)?;
        if let Some(reason) = output.skipped {
            return Ok(CaseOutcome::Skipped { case, reason });
        }
        let malformed = |reason: &str| PythonError::Malformed {
            interpreter: self.interpreter.clone(),
            case: label.clone(),
            reason: reason.to_owned(),
            output: head(&stdout, 200),
        };
        if output.samples_s.is_empty() {
            return Err(malformed("no timed runs"));
        }
        let peak_bytes = output
            .peak_bytes
            .ok_or_else(|| malformed("no memory figure"))?;
        Ok(CaseOutcome::Measured(Box::new(
            self.measurement(case, mode, n, plan, output, peak_bytes),
        )))
    }

    fn measurement(
        &self,
        case: PyCase,
        mode: PyMode,
        n: u64,
        plan: RepeatPlan,
        output: CaseOutput,
        peak_bytes: i64,
    ) -> Measurement {
        let time = TimeStats::from_secs(&output.samples_s);
        let iterate = TimeStats::from_secs(&output.iterate_s);
        let peak_bytes = u64::try_from(peak_bytes).unwrap_or(0);
        let mut extra = BTreeMap::from([
            ("sum".to_owned(), output.sum),
            ("iterate_median_s".to_owned(), iterate.median_s),
            (
                "getsizeof_instance".to_owned(),
                output.getsizeof_instance as f64,
            ),
        ]);
        if let Some(d) = output.getsizeof_dict {
            extra.insert("getsizeof_dict".to_owned(), d as f64);
        }
        if let Some(blocks) = output.allocated_blocks {
            extra.insert("allocated_blocks".to_owned(), blocks as f64);
        }
        let method = format!(
            "{}: fresh `{}` process per case, one window = build N readings into a list + \
             sum .value (perf_counter), {}; {}",
            self.info.runtime(None),
            self.interpreter,
            crate::measure::timing::runs_phrase(output.samples_s.len() as u32, plan.warmup),
            mode.method()
        );
        let mut m = Measurement::new(
            "seed",
            self.info.runtime(mode),
            case.layout(),
            n,
            plan.warmup,
            time,
            method,
        )
        .with_peak(peak_bytes);
        m.extra = extra;
        m
    }
}

/// Where one reading's bytes go in CPython, by every measure: what
/// `cases.py explain CASE` prints.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PyAnatomy {
    /// `struct.calcsize("P")`: one list slot.
    pub pointer_bytes: u64,
    /// `type(obj).__basicsize__`.
    pub basicsize: u64,
    /// `sys.getsizeof(obj)`.
    pub getsizeof_instance: u64,
    /// `sys.getsizeof(500_000)`: the timestamp's int object.
    pub getsizeof_int: u64,
    /// `sys.getsizeof(50_000.0)`: the value's float object.
    pub getsizeof_float: u64,
    /// `sys.getsizeof(obj.__dict__)`, read last (reading it makes the dict).
    pub getsizeof_dict: Option<u64>,
    /// tracemalloc's peak per reading for a build of `tracemalloc_n`.
    pub tracemalloc_per_reading: f64,
    /// The build size behind `tracemalloc_per_reading`.
    pub tracemalloc_n: u64,
    /// pympler's `asizeof(obj)`, if pympler is installed.
    pub asizeof_instance: Option<u64>,
    /// Why `asizeof_instance` is missing.
    pub asizeof_note: Option<String>,
}

impl Python {
    /// Runs `cases.py explain CASE` in a fresh interpreter; `None` when the
    /// interpreter is too old for the case.
    pub fn explain(&self, case: PyCase) -> Result<Option<PyAnatomy>, PythonError> {
        self.run_json("explain", case, &[])
    }

    /// Runs `cases.py COMMAND CASE ARGS...` in a fresh interpreter and
    /// parses the JSON it prints; `None` when the interpreter is too old for
    /// the case.
    fn run_json<T: serde::de::DeserializeOwned>(
        &self,
        command: &str,
        case: PyCase,
        args: &[String],
    ) -> Result<Option<T>, PythonError> {
        let (major, minor) = case.min_version();
        if (self.info.major, self.info.minor) < (major, minor) {
            return Ok(None);
        }
        let label = format!("{} ({command})", case.layout());
        let mut argv = vec!["-c", CASES_SCRIPT, command, case.script_name()];
        argv.extend(args.iter().map(String::as_str));
        let stdout = run(&self.interpreter, &label, &argv)?;
        parse(&self.interpreter, &label, &stdout).map(Some)
    }
}

/// What `cases.py access CASE ...` prints: seconds per full loop.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PyAccess {
    /// Objects looped over.
    pub n: u64,
    /// `sum(r.value)` before any write: proves the reads read.
    pub first_sum: f64,
    /// The same after the writes (every value 0.5).
    pub last_sum: f64,
    /// `for r in data: total += r.value`, per run.
    pub read_s: Vec<f64>,
    /// `for r in data: r.value = x`, per run.
    pub write_s: Vec<f64>,
    /// `for r in data: pass`, per run: the loop's own cost.
    pub empty_s: Vec<f64>,
}

impl Python {
    /// Times reading and writing `r.value` over N objects of `case` (dict,
    /// slots or dataclass(slots)) in a fresh interpreter; `None` when the
    /// interpreter is too old for the case.
    pub fn access(
        &self,
        case: PyCase,
        n: u64,
        plan: RepeatPlan,
    ) -> Result<Option<PyAccess>, PythonError> {
        let args = [
            n.to_string(),
            plan.warmup.to_string(),
            plan.repetitions.to_string(),
        ];
        self.run_json("access", case, &args)
    }
}

/// What `cases.py gc CASE N REPEAT` prints.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PyGc {
    /// Objects built.
    pub n: u64,
    /// `sum(r.value)`: proves the objects were built as asked.
    pub checksum: f64,
    /// Every collection's pause during the build (`gc.callbacks`).
    pub build_pauses_s: Vec<f64>,
    /// Full `gc.collect()` pauses with all N alive.
    pub full_collect_s: Vec<f64>,
    /// `del data`: freeing all N.
    pub free_s: f64,
    /// Readings the collector tracks (`gc.get_objects()`).
    pub tracked_readings: u64,
}

impl Python {
    /// Times CPython's collector around N objects of `case` (dict, slots or
    /// dataclass(slots)) in a fresh interpreter; `None` when the
    /// interpreter is too old for the case.
    pub fn gc(&self, case: PyCase, n: u64, repeat: u32) -> Result<Option<PyGc>, PythonError> {
        self.run_json("gc", case, &[n.to_string(), repeat.max(1).to_string()])
    }
}

/// What `cases.py hold FILE` prints: events held as slotted objects.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PyHold {
    /// Objects built.
    pub n: u64,
    /// tracemalloc's traced peak while building them (list included).
    pub peak_bytes: u64,
    /// Seconds the build took (traced).
    pub build_s: f64,
    /// The interpreter's version.
    pub python_version: String,
}

impl Python {
    /// Builds one slotted object per event of `path` (written by
    /// [`crate::lab::stream`]) under tracemalloc, in a fresh interpreter.
    pub fn hold(&self, path: &std::path::Path) -> Result<PyHold, PythonError> {
        let label = "slots (hold)";
        let path = path.display().to_string();
        let stdout = run(
            &self.interpreter,
            label,
            &["-c", CASES_SCRIPT, "hold", &path],
        )?;
        parse(&self.interpreter, label, &stdout)
    }
}

/// What `cases.py` prints.
#[derive(Debug, Deserialize)]
struct CaseOutput {
    #[serde(default)]
    skipped: Option<String>,
    #[serde(default)]
    samples_s: Vec<f64>,
    #[serde(default)]
    iterate_s: Vec<f64>,
    #[serde(default)]
    peak_bytes: Option<i64>,
    #[serde(default)]
    allocated_blocks: Option<i64>,
    #[serde(default)]
    sum: f64,
    #[serde(default)]
    getsizeof_instance: u64,
    #[serde(default)]
    getsizeof_dict: Option<u64>,
}

/// Runs the interpreter; its stdout, or an error naming it and the case.
fn run(interpreter: &str, case: &str, args: &[&str]) -> Result<String, PythonError> {
    let output =
        Command::new(interpreter)
            .args(args)
            .output()
            .map_err(|e| PythonError::NotFound {
                interpreter: interpreter.to_owned(),
                reason: e.to_string(),
            })?;
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
        reason: e.to_string(),
        output: head(stdout, 200),
    })
}

/// The lesson's own Python code, run verbatim.
pub mod lesson {
    use super::{PythonError, run};

    /// The lesson this project implements (`python/slots-lesson.md`, a copy
    /// of the seed lesson; a test checks it against the original when that
    /// is at hand).
    pub const LESSON: &str = include_str!("../../../python/slots-lesson.md");

    /// Replaces tracemalloc's functions with no-ops before the lesson's code
    /// imports it, so the same code runs untraced.
    pub const NO_TRACEMALLOC: &str = "import tracemalloc\n\
tracemalloc.start = lambda *a: None\n\
tracemalloc.stop = lambda: None\n\
tracemalloc.get_traced_memory = lambda: (0, 0)\n";

    /// One of the lesson's ```python blocks.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct LessonCase {
        /// `dict` or `slots`.
        pub layout: &'static str,
        /// The block, with its `N = 1_000_000` set to the N asked for.
        pub code: String,
    }

    /// The lesson's ```python blocks in `markdown`, N set to `n`.
    pub fn cases(markdown: &str, n: u64) -> Vec<LessonCase> {
        let mut cases = Vec::new();
        let mut rest = markdown;
        while let Some(start) = rest.find("```python\n") {
            let body = &rest[start + "```python\n".len()..];
            let Some(end) = body.find("```") else { break };
            let code = body[..end].replace("N = 1_000_000", &format!("N = {n}"));
            let layout = if code.contains("__slots__") {
                "slots"
            } else {
                "dict"
            };
            cases.push(LessonCase { layout, code });
            rest = &body[end..];
        }
        cases
    }

    /// What one run of a lesson block printed: `Time:` in seconds and
    /// `Peak memory:` in MB (MiB, as the lesson computes it).
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct LessonRun {
        /// Seconds, rounded to 3 decimals by the lesson.
        pub seconds: f64,
        /// MiB, rounded to 2 decimals by the lesson.
        pub peak_mib: f64,
    }

    /// Runs `code` with `interpreter` in a fresh process (untraced: with
    /// [`NO_TRACEMALLOC`] first) and reads what it printed.
    pub fn run_case(
        interpreter: &str,
        case: &LessonCase,
        traced: bool,
    ) -> Result<LessonRun, PythonError> {
        let code = if traced {
            case.code.clone()
        } else {
            format!("{NO_TRACEMALLOC}{}", case.code)
        };
        let label = format!("lesson {}", case.layout);
        let stdout = run(interpreter, &label, &["-c", &code])?;
        let field = |prefix: &str, suffix: &str| {
            stdout.lines().find_map(|l| {
                l.strip_prefix(prefix)?
                    .strip_suffix(suffix)?
                    .trim()
                    .parse()
                    .ok()
            })
        };
        match (field("Time:", "seconds"), field("Peak memory:", "MB")) {
            (Some(seconds), Some(peak_mib)) => Ok(LessonRun { seconds, peak_mib }),
            _ => Err(PythonError::Malformed {
                interpreter: interpreter.to_owned(),
                case: label,
                reason: "no 'Time:' and 'Peak memory:' lines".to_owned(),
                output: super::head(&stdout, 200),
            }),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn finds_blocks_and_sets_n() {
            let md = "intro\n```python\nN = 1_000_000\nclass A: pass\n```\ntext\n```python\nN = 1_000_000\nclass B:\n    __slots__ = ()\n```\n```\nnot python\n```\n";
            let cases = cases(md, 42);
            assert_eq!(cases.len(), 2);
            assert_eq!(cases[0].layout, "dict");
            assert_eq!(cases[1].layout, "slots");
            assert!(cases[0].code.starts_with("N = 42\n"));
        }
    }
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

    #[test]
    fn cases_and_versions() {
        assert_eq!(PyCase::DataclassSlots.min_version(), (3, 10));
        assert_eq!(PyCase::Dict.layout(), "dict");
        assert_eq!(PyCase::ALL.len(), 7);
    }
}
