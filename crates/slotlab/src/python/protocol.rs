//! What `cases.py`'s other commands print — `explain`, `access`, `gc`,
//! `hold` — read into typed figures, and the events file `hold` reads,
//! written here next to the code that reads it back.

use super::{PyCase, Python, PythonError, parse, run};
use crate::measure::{DictScenario, RepeatPlan};
use crate::model::DictPlace;
use serde::Deserialize;
use slotlab_stream::source::Events;
use slotlab_stream::{Column, FieldKind};
use std::collections::BTreeMap;

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

    /// Runs `cases.py states dict N SCENARIOS` in a fresh interpreter: each
    /// scenario on `n` objects of a fresh plain class, with every object's
    /// `__dict__` state read from the interpreter after each step (on
    /// CPython 3.11; other versions report no states). One list of steps per
    /// scenario.
    pub fn dict_states(
        &self,
        n: u64,
        scenarios: &[DictScenario],
    ) -> Result<Vec<Vec<PyDictStep>>, PythonError> {
        let steps: Vec<_> = scenarios
            .iter()
            .map(|s| serde_json::json!({"steps": s.steps}))
            .collect();
        let json = serde_json::Value::Array(steps).to_string();
        let out: Vec<Vec<PyDictStep>> = self
            .run_json("states", PyCase::Dict, &[n.to_string(), json])?
            .unwrap_or_default();
        let asked: Vec<usize> = scenarios.iter().map(|s| s.steps.len()).collect();
        let got: Vec<usize> = out.iter().map(Vec::len).collect();
        if asked != got {
            return Err(PythonError::Malformed {
                interpreter: self.interpreter.clone(),
                case: "dict (states)".to_owned(),
                problem: super::OutputProblem::WrongShape(format!(
                    "steps per scenario {got:?}, asked {asked:?}"
                )),
                output: String::new(),
            });
        }
        Ok(out)
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
        let mut argv = vec!["-c", super::CASES_SCRIPT, command, case.script_name()];
        argv.extend(args.iter().map(String::as_str));
        let stdout = run(&self.interpreter, &label, &argv, self.limits)?;
        parse(&self.interpreter, &label, &stdout).map(Some)
    }
}

/// One step of a `cases.py states` scenario, as CPython ran it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PyDictStep {
    /// Objects in each state after the step, read from the interpreter
    /// (empty unless it is CPython 3.11).
    pub states: BTreeMap<DictPlace, u64>,
    /// tracemalloc's bytes per object since the scenario began.
    pub bytes_per_object: f64,
    /// `sys.getsizeof` of the last object.
    #[serde(default)]
    pub getsizeof: Option<u64>,
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
    /// Builds one slotted object per event under tracemalloc, in a fresh
    /// interpreter that reads them from a file written for it (and removed
    /// after).
    pub fn hold(&self, events: &Events) -> Result<PyHold, PythonError> {
        let label = "slots (hold)";
        // Created exclusively under a random name (never through a planted
        // file) and removed when dropped, whatever happens.
        let dir = std::env::temp_dir();
        let events_error = |source| PythonError::EventsFile {
            path: dir.clone(),
            source,
        };
        let mut file = tempfile::Builder::new()
            .prefix("slotlab-events-")
            .suffix(".bin")
            .tempfile_in(&dir)
            .map_err(events_error)?;
        std::io::Write::write_all(&mut file, &events_file(events))
            .and_then(|()| file.as_file().sync_data())
            .map_err(events_error)?;
        let shown = file.path().display().to_string();
        let stdout = run(
            &self.interpreter,
            label,
            &["-c", super::CASES_SCRIPT, "hold", &shown],
            self.limits,
        );
        drop(file);
        parse(&self.interpreter, label, &stdout?)
    }
}

/// The events as `cases.py hold` reads them: a JSON line (count, series
/// keys, field kinds), then little-endian columns: series ids (when there
/// is more than one series), timestamps, each field.
fn events_file(events: &Events) -> Vec<u8> {
    let kinds: Vec<&str> = events
        .schema
        .fields()
        .iter()
        .map(|f| match f.kind {
            FieldKind::F64 => "f64",
            FieldKind::I64 => "i64",
        })
        .collect();
    let header = serde_json::json!({ "n": events.len(), "keys": events.keys, "kinds": kinds });
    let mut out = format!("{header}\n").into_bytes();
    if events.keys.len() > 1 {
        out.extend(events.series.iter().flat_map(|s| s.to_le_bytes()));
    }
    out.extend(events.batch.timestamps.iter().flat_map(|t| t.to_le_bytes()));
    for column in &events.batch.columns {
        match column {
            Column::F64(v) => out.extend(v.iter().flat_map(|x| x.to_le_bytes())),
            Column::I64(v) => out.extend(v.iter().flat_map(|x| x.to_le_bytes())),
        }
    }
    out
}
