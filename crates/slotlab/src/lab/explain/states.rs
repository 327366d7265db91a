//! What moves a `__dict__` from one state to the next: the same scenarios
//! on N readings of a fresh class without `__slots__`, through the object
//! model and under CPython, with each reading's state after every step
//! (CPython's read from the interpreter itself by `cases.py`) and the bytes
//! held per reading.

use super::super::LabError;
use crate::measure::{AllocScope, DictAction, DictScenario, DictStep};
use crate::model::{Class, DictPlace, Instance, Str, Value};
use crate::python::Python;

/// Readings per scenario.
pub const DEMO_N: u64 = 10_000;

/// The demonstrations `explain` runs for the dict layout: where sharing
/// holds, where it breaks, and what each costs.
pub fn scenarios() -> Vec<DictScenario> {
    let scenario = |name: &str, steps: Vec<DictAction>| DictScenario {
        name: name.to_owned(),
        steps,
    };
    let set = |name: &str| DictAction::Set(name.to_owned());
    vec![
        scenario(
            "the lesson's reading, then its __dict__ asked for",
            vec![DictAction::Build, DictAction::Vars, set("note")],
        ),
        scenario(
            "one attribute more fits the room kept; the next breaks sharing",
            vec![DictAction::Build, set("note"), set("tag")],
        ),
        scenario(
            "an attribute deleted and set again keeps its reading's own order",
            vec![
                DictAction::Build,
                DictAction::Del("value".to_owned()),
                set("value"),
            ],
        ),
        scenario(
            "readings made empty and filled later: room for one key only",
            vec![DictAction::New, set("timestamp"), set("value")],
        ),
        scenario(
            "30 attributes: one more than a class's keys can hold",
            vec![DictAction::NewWide(30)],
        ),
    ]
}

/// The names a scenario sets, interned before anything is measured (the
/// class's keys intern the names they hold, for good, as CPython does).
fn names(action: &DictAction) -> Vec<Str> {
    match action {
        DictAction::Build => vec![Str::intern("timestamp"), Str::intern("value")],
        DictAction::NewWide(n) => (0..*n).map(|k| Str::intern(&format!("k{k}"))).collect(),
        DictAction::Set(name) | DictAction::Del(name) => vec![Str::intern(name)],
        DictAction::New | DictAction::Vars => Vec::new(),
    }
}

/// Applies one step to every reading.
fn apply(
    action: &DictAction,
    names: &[Str],
    class: &Class,
    n: usize,
    objects: &mut Vec<Instance>,
) -> Result<(), LabError> {
    match action {
        DictAction::Build | DictAction::New | DictAction::NewWide(_) => {
            objects.clear();
            for i in 0..n {
                let mut r = Instance::new(class);
                if *action == DictAction::Build {
                    r.set_attr(&names[0], Value::Int(i as i64))?;
                    r.set_attr(&names[1], Value::Float(i as f64 * 0.1))?;
                } else {
                    for name in names {
                        r.set_attr(name, Value::None)?;
                    }
                }
                objects.push(r);
            }
        }
        DictAction::Set(_) => {
            for r in objects.iter_mut() {
                r.set_attr(&names[0], Value::None)?;
            }
        }
        DictAction::Del(name) => {
            for r in objects.iter_mut() {
                r.del_attr(name)?;
            }
        }
        DictAction::Vars => {
            for r in objects.iter_mut() {
                r.vars()?;
            }
        }
    }
    Ok(())
}

/// The places an instance's attributes can be, for counting without
/// allocating.
const PLACES: [DictPlace; 5] = [
    DictPlace::Inline,
    DictPlace::Shared,
    DictPlace::Own,
    DictPlace::Table,
    DictPlace::Absent,
];

/// The scenarios through the object model, `n` readings each; bytes are
/// the tracking allocator's count on this thread since the scenario began
/// (the list's slots included; nothing else allocates while it runs).
pub fn rust(n: u64, scenarios: &[DictScenario]) -> Result<Vec<DictStep>, LabError> {
    let mut out = Vec::new();
    for scenario in scenarios {
        let class = Class::builder("Reading").build()?;
        let names: Vec<Vec<Str>> = scenario.steps.iter().map(names).collect();
        let mut figures: Vec<(i64, [u64; PLACES.len()], Option<u64>)> =
            Vec::with_capacity(names.len());
        let scope = AllocScope::start();
        let mut objects: Vec<Instance> = Vec::with_capacity(n as usize);
        for (action, names) in scenario.steps.iter().zip(&names) {
            apply(action, names, &class, n as usize, &mut objects)?;
            let bytes = scope.stats().bytes_now;
            let mut counts = [0; PLACES.len()];
            for r in &objects {
                let place = r.dict_state().map_or(DictPlace::Absent, |s| s.place());
                if let Some(i) = PLACES.iter().position(|p| *p == place) {
                    counts[i] += 1;
                }
            }
            figures.push((
                bytes,
                counts,
                objects.last().map(|r| r.block_bytes() as u64),
            ));
        }
        drop(objects);
        drop(scope);
        for (action, (bytes, counts, getsizeof)) in scenario.steps.iter().zip(figures) {
            let states = PLACES
                .iter()
                .zip(counts)
                .filter(|(_, count)| *count > 0)
                .map(|(place, count)| (*place, count))
                .collect();
            out.push(DictStep {
                scenario: scenario.name.clone(),
                action: action.clone(),
                states,
                bytes_per_object: bytes as f64 / n as f64,
                getsizeof,
            });
        }
    }
    Ok(out)
}

/// The same scenarios under CPython, in a fresh interpreter.
pub fn cpython(
    python: &Python,
    n: u64,
    scenarios: &[DictScenario],
) -> Result<Vec<DictStep>, LabError> {
    let ran = python.dict_states(n, scenarios)?;
    let mut out = Vec::new();
    for (scenario, steps) in scenarios.iter().zip(ran) {
        for (action, step) in scenario.steps.iter().zip(steps) {
            out.push(DictStep {
                scenario: scenario.name.clone(),
                action: action.clone(),
                states: step.states,
                bytes_per_object: step.bytes_per_object,
                getsizeof: step.getsizeof,
            });
        }
    }
    Ok(out)
}
