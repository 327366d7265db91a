//! The lesson's exercise under CPython: one case (a layout of `Reading`)
//! in one memory mode per fresh interpreter, turned into a [`Measurement`].

use super::{MIN_VERSION, OutputProblem, Python, PythonError, head, parse, run};
use crate::measure::keys;
use crate::measure::{Measurement, PyMode, RepeatPlan, TimeStats};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A Python layout of the lesson's `Reading`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PyCase {
    /// A class whose instances assign `self.__dict__ = {...}`: a dict of
    /// their own per instance (a combined table), the lesson's description.
    Table,
    /// A normal class: attributes in its `__dict__` (in 3.11: keys shared
    /// by the class, values inline until a dict is asked for).
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
    pub const ALL: [PyCase; 8] = [
        PyCase::Table,
        PyCase::Dict,
        PyCase::Slots,
        PyCase::Dataclass,
        PyCase::DataclassSlots,
        PyCase::NamedTuple,
        PyCase::TypedNamedTuple,
        PyCase::Tuple,
    ];

    /// The lesson's two classes, the table counterpart and the dataclass
    /// one: the cases `sweep`, `access` and `gc` run (all can be written to).
    pub const CORE: [PyCase; 4] = [
        PyCase::Table,
        PyCase::Dict,
        PyCase::Slots,
        PyCase::DataclassSlots,
    ];

    /// The name `cases.py` takes.
    pub fn script_name(self) -> &'static str {
        match self {
            PyCase::Table => "table",
            PyCase::Dict => "dict",
            PyCase::Slots => "slots",
            PyCase::Dataclass => "dataclass",
            PyCase::DataclassSlots => "dataclass_slots",
            PyCase::NamedTuple => "namedtuple",
            PyCase::TypedNamedTuple => "typed_namedtuple",
            PyCase::Tuple => "tuple",
        }
    }

    /// The layout as reports name it (`table`, `dict` and `slots` match
    /// the Rust layouts' names, so rows line up).
    pub fn layout(self) -> &'static str {
        match self {
            PyCase::Table => "table",
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

impl Python {
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
        let mut argv = vec!["-c", super::CASES_SCRIPT, case.script_name()];
        argv.extend(args.iter().map(String::as_str));
        let label = format!("{} ({mode})", case.layout());
        let stdout = run(&self.interpreter, &label, &argv, self.limits)?;
        let output: CaseOutput = parse(&self.interpreter, &label, &stdout)?;
        if let Some(reason) = output.skipped {
            return Ok(CaseOutcome::Skipped { case, reason });
        }
        let malformed = |problem| PythonError::Malformed {
            interpreter: self.interpreter.clone(),
            case: label.clone(),
            problem,
            output: head(&stdout, 200),
        };
        if output.samples_s.is_empty() {
            return Err(malformed(OutputProblem::NoTimedRuns));
        }
        let peak_bytes = output
            .peak_bytes
            .ok_or_else(|| malformed(OutputProblem::NoMemoryFigure))?;
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
            (keys::SUM.to_owned(), output.sum),
            (keys::ITERATE_MEDIAN_S.to_owned(), iterate.median_s),
            (
                keys::GETSIZEOF_INSTANCE.to_owned(),
                output.getsizeof_instance as f64,
            ),
        ]);
        if let Some(d) = output.getsizeof_dict {
            extra.insert(keys::GETSIZEOF_DICT.to_owned(), d as f64);
        }
        if let Some(blocks) = output.allocated_blocks {
            extra.insert(keys::ALLOCATED_BLOCKS.to_owned(), blocks as f64);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_and_versions() {
        assert_eq!(PyCase::DataclassSlots.min_version(), (3, 10));
        assert_eq!(PyCase::Dict.layout(), "dict");
        assert_eq!(PyCase::ALL.len(), 8);
    }
}
