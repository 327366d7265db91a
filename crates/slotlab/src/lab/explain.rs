//! Where the bytes of one `Reading` go, under each layout, in Rust and in
//! CPython, and what each way of measuring an object's size counts.
//!
//! Rust figures are measured here, one step at a time, with the tracking
//! allocator; CPython figures come from the runner (`sys.getsizeof`,
//! tracemalloc, pympler). Nothing is a constant typed into this file.

use super::LabError;
use super::experiment::{Context, Experiment};
use super::lesson::{self, Reading};
use crate::ingest::Storage;
use crate::measure::{
    AllocScope, AllocStats, Anatomy, FieldLine, Part, Results, SizeMeasure, alloc,
};
use crate::model::{Instance, Layout, Str, Value};
use crate::python::{PyAnatomy, PyCase, Python};
use crate::record::{Record, RecordVec, padding_bytes};

pub mod states;

/// Readings built to measure the list slot's share.
const LIST_PROBE: usize = 1024;

/// The `explain` experiment: one reading per layout taken apart, in Rust
/// and in CPython (the counterpart of each layout: table, dict, slots, and
/// `@dataclass(slots=True)` for the record; columns have none in the
/// standard library). Its results carry anatomies, not rows.
#[derive(Debug, Clone)]
pub struct Explain {
    /// The layouts to take apart, in order.
    pub layouts: Vec<Storage>,
}

/// CPython's counterpart of a layout.
fn counterpart(layout: Storage) -> Option<PyCase> {
    match layout {
        Storage::Table => Some(PyCase::Table),
        Storage::Dict => Some(PyCase::Dict),
        Storage::Slots => Some(PyCase::Slots),
        Storage::Record => Some(PyCase::DataclassSlots),
        _ => None,
    }
}

impl Experiment for Explain {
    fn name(&self) -> &'static str {
        "explain"
    }

    fn title(&self, _cx: &Context<'_>) -> String {
        "explain one Reading".to_owned()
    }

    fn steps(&self, cx: &Context<'_>) -> Option<u64> {
        let python = self
            .layouts
            .iter()
            .filter(|l| counterpart(**l).is_some())
            .count() as u64;
        Some(
            u64::from(cx.rust) * self.layouts.len() as u64
                + u64::from(cx.python.is_some()) * python,
        )
    }

    fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError> {
        let mut anatomies = Vec::new();
        let scenarios = states::scenarios();
        for &layout in &self.layouts {
            // The dict layout's anatomy also shows what moves it between states.
            let demo = layout == Storage::Dict;
            if cx.rust {
                cx.step(&format!("rust {layout}"));
                let mut anatomy = rust(layout)?;
                if demo {
                    anatomy.dict_steps = states::rust(states::DEMO_N, &scenarios)?;
                }
                anatomies.push(anatomy);
            }
            if let (Some(case), Some(python)) = (counterpart(layout), cx.python.clone()) {
                cx.step(&format!("cpython {}", case.script_name()));
                if let Some(mut anatomy) = cpython(&python, case)? {
                    if demo {
                        anatomy.dict_steps = states::cpython(&python, states::DEMO_N, &scenarios)?;
                    }
                    anatomies.push(anatomy);
                }
            }
        }
        Ok(Results {
            anatomies,
            ..Results::default()
        })
    }
}

/// Measures one Rust reading under `layout`, step by step.
pub fn rust(layout: Storage) -> Result<Anatomy, LabError> {
    if !alloc::is_installed() {
        return Err(LabError::AllocatorNotInstalled);
    }
    if let Some(model) = layout.model() {
        return rust_object(model);
    }
    match layout {
        Storage::Record | Storage::Columns => Ok(rust_record(layout)),
        other => Err(LabError::NotALessonLayout(other)),
    }
}

/// A measured part: `stats` over `per` readings.
fn measured(what: &str, source: &str, per: f64, stats: AllocStats) -> Part {
    Part {
        what: what.to_owned(),
        bytes: stats.peak_bytes as f64 / per,
        usable_bytes: alloc::usable_size_measured().then_some(stats.usable_peak_bytes as f64 / per),
        blocks: Some(stats.allocations as f64 / per),
        source: source.to_owned(),
    }
}

/// `size_of` the handle, then requested and usable totals.
fn rust_measures(
    parts: &[Part],
    handle: &str,
    size: usize,
    counts: &str,
    leaves_out: &str,
) -> Vec<SizeMeasure> {
    let requested: f64 = parts.iter().map(|p| p.bytes).sum();
    let real: Option<f64> = parts.iter().map(|p| p.usable_bytes).sum();
    let allocator = alloc::backing_allocator().unwrap_or("the allocator");
    vec![
        SizeMeasure {
            name: format!("size_of::<{handle}>()"),
            bytes: Some(size as f64),
            counts: counts.to_owned(),
            leaves_out: leaves_out.to_owned(),
        },
        SizeMeasure {
            name: "requested bytes (slotlab's tracking allocator)".to_owned(),
            bytes: Some(requested),
            counts: "every byte asked of the allocator for one reading, list slot included"
                .to_owned(),
            leaves_out: "the allocator's rounding up to its size classes".to_owned(),
        },
        SizeMeasure {
            name: format!("usable bytes ({allocator}'s block sizes)"),
            bytes: real,
            counts:
                "what the allocator actually handed out: requested bytes rounded up to size classes"
                    .to_owned(),
            leaves_out: "the allocator's own metadata and free space in its pages".to_owned(),
        },
    ]
}

/// A typed record, in a `Vec` or in columns.
fn rust_record(layout: Storage) -> Anatomy {
    let mut parts = Vec::new();
    let scope = AllocScope::start();
    if layout == Storage::Columns {
        let columns: RecordVec<Reading> = RecordVec::with_capacity(LIST_PROBE);
        parts.push(measured(
            "one slot in each column (timestamp: i64, value: f64)",
            "RecordVec::with_capacity(1024) / 1024",
            LIST_PROBE as f64,
            scope.stats(),
        ));
        drop(columns);
    } else {
        let list: Vec<Reading> = Vec::with_capacity(LIST_PROBE);
        parts.push(measured(
            "the struct itself, inline in Vec<Reading>",
            "Vec::with_capacity(1024) / 1024",
            LIST_PROBE as f64,
            scope.stats(),
        ));
        drop(list);
    }
    let scope = AllocScope::start();
    std::hint::black_box(Reading::new(500_000, 50_000.0));
    parts.push(measured(
        "Reading::new: a plain value, no heap block",
        "measured",
        1.0,
        scope.stats(),
    ));
    let measures = rust_measures(
        &parts,
        "Reading",
        size_of::<Reading>(),
        "the whole record: both fields, no header, no pointer",
        "nothing: a record owns no heap memory",
    );
    Anatomy {
        runtime: "rust".to_owned(),
        layout: layout.name().to_owned(),
        class: Reading::NAME.to_owned(),
        block: None,
        slot_names: Vec::new(),
        fields: Reading::FIELDS
            .iter()
            .map(|f| FieldLine {
                name: f.name.to_owned(),
                type_name: f.type_name.to_owned(),
                offset: f.offset,
                size: f.size,
            })
            .collect(),
        padding_bytes: Some(padding_bytes::<Reading>()),
        parts,
        measures,
        dict_steps: Vec::new(),
    }
}

/// Readings a dict class's first instances take before its shared keys
/// have settled (each of the first 26 gets room for more values than the
/// two keys need): `explain` builds them first, so that the reading it
/// takes apart is one of the lesson's million, not one of the first few.
const SETTLE: usize = 32;

/// An object-model instance, step by step.
fn rust_object(layout: Layout) -> Result<Anatomy, LabError> {
    let class = lesson::reading_class(layout)?;
    let (timestamp, value) = (Str::intern("timestamp"), Str::intern("value"));
    if layout == Layout::Dict {
        lesson::build_readings(&class, &lesson::ReadingNames::new(), SETTLE, drop)?;
    }
    let mut parts = Vec::new();
    let mut step = |what: &str, source: &str, per: f64, stats: AllocStats| {
        parts.push(measured(what, source, per, stats));
    };

    let scope = AllocScope::start();
    let list: Vec<Instance> = Vec::with_capacity(LIST_PROBE);
    step(
        "list slot (a thin pointer in Vec<Instance>)",
        "Vec::with_capacity(1024) / 1024",
        LIST_PROBE as f64,
        scope.stats(),
    );
    drop(list);

    let scope = AllocScope::start();
    let mut reading = Instance::new(&class);
    step(
        "Instance::new: the object block",
        "measured",
        1.0,
        scope.stats(),
    );
    let scope = AllocScope::start();
    reading.set_attr(&timestamp, Value::Int(500_000))?;
    let first_set = match layout {
        Layout::Table => "set timestamp: the table allocates entries + index",
        Layout::Dict => "set timestamp: its value in the block, its key the class's",
        Layout::Slots => "set timestamp: stored in its slot",
    };
    step(first_set, "measured", 1.0, scope.stats());
    let scope = AllocScope::start();
    reading.set_attr(&value, Value::Float(50_000.0))?;
    step(
        "set value: fits in what is already there",
        "measured",
        1.0,
        scope.stats(),
    );

    let measures = rust_measures(
        &parts,
        "Instance",
        size_of::<Instance>(),
        "the handle in the list: one pointer",
        "the heap block it points to and everything in it (Rust's getsizeof)",
    );
    Ok(Anatomy {
        runtime: "rust".to_owned(),
        layout: layout.name().to_owned(),
        class: class.name().to_owned(),
        block: Some(reading.block_layout()),
        slot_names: class.slot_names().iter().map(|n| n.to_string()).collect(),
        fields: Vec::new(),
        padding_bytes: None,
        parts,
        measures,
        dict_steps: Vec::new(),
    })
}

/// One CPython reading under `case`, from the runner; `None` when the
/// interpreter is too old for the case.
pub fn cpython(python: &Python, case: PyCase) -> Result<Option<Anatomy>, LabError> {
    let Some(a) = python.explain(case)? else {
        return Ok(None);
    };
    Ok(Some(cpython_anatomy(
        &python.info().runtime(None).to_string(),
        case,
        &a,
    )))
}

fn part(what: &str, bytes: u64, source: &str) -> Part {
    Part {
        what: what.to_owned(),
        bytes: bytes as f64,
        usable_bytes: None,
        blocks: None,
        source: source.to_owned(),
    }
}

/// Assembles the CPython anatomy from the runner's figures.
fn cpython_anatomy(runtime: &str, case: PyCase, a: &PyAnatomy) -> Anatomy {
    let mut parts = vec![
        part(
            "list slot (a PyObject* in the list)",
            a.pointer_bytes,
            "struct.calcsize('P')",
        ),
        part(
            "the object: header, GC header, its own fields",
            a.getsizeof_instance,
            "sys.getsizeof(obj)",
        ),
        part(
            "timestamp: an int object",
            a.getsizeof_int,
            "sys.getsizeof(500_000)",
        ),
        part(
            "value: a float object",
            a.getsizeof_float,
            "sys.getsizeof(50_000.0)",
        ),
    ];
    let seen: f64 = parts.iter().map(|p| p.bytes).sum();
    let rest = match (case, a.getsizeof_dict) {
        (PyCase::Table, _) => {
            "rest seen by tracemalloc: its dict and the dict's keys, list spare room"
        }
        (_, Some(_)) => "rest seen by tracemalloc: inline values array, list spare room",
        (_, None) => "rest seen by tracemalloc: the list's spare room",
    };
    parts.push(Part {
        what: rest.to_owned(),
        bytes: a.tracemalloc_per_reading - seen,
        usable_bytes: None,
        blocks: None,
        source: "tracemalloc per reading minus the parts above".to_owned(),
    });
    let mut measures = vec![
        SizeMeasure {
            name: "sys.getsizeof(obj)".to_owned(),
            bytes: Some(a.getsizeof_instance as f64),
            counts: "the object itself: its header, the GC header, its own slots or pointers"
                .to_owned(),
            leaves_out: "attribute values (the int and the float), any __dict__ or values array, \
                         the list's pointer to the object"
                .to_owned(),
        },
        SizeMeasure {
            name: format!("tracemalloc (peak / N, N={})", a.tracemalloc_n),
            bytes: Some(a.tracemalloc_per_reading),
            counts: "every byte requested while building the list: objects, values, ints, \
                     floats, list slots and spare capacity"
                .to_owned(),
            leaves_out: "pymalloc's rounding to 8-byte size classes, its pool and arena headers"
                .to_owned(),
        },
        SizeMeasure {
            name: "pympler asizeof(obj)".to_owned(),
            bytes: a.asizeof_instance.map(|b| b as f64),
            counts: "the object and everything it reaches (int, float, __dict__), each rounded \
                     to 8 bytes"
                .to_owned(),
            leaves_out: a.asizeof_note.clone().unwrap_or_else(|| {
                "the list's pointer; for dict-based instances it makes and counts a real \
                 __dict__ the lesson's objects never had"
                    .to_owned()
            }),
        },
    ];
    if let Some(d) = a.getsizeof_dict {
        let (counts, leaves_out) = if case == PyCase::Table {
            (
                "the instance's own dict, assigned in __init__: a combined table, keys and \
                 values together",
                "the values themselves",
            )
        } else {
            (
                "a dict made on the spot: CPython 3.11 keeps a plain instance's values in an \
                 inline array until __dict__ is read",
                "the values themselves; and this dict did not exist while the lesson ran",
            )
        };
        measures.push(SizeMeasure {
            name: "sys.getsizeof(obj.__dict__)".to_owned(),
            bytes: Some(d as f64),
            counts: counts.to_owned(),
            leaves_out: leaves_out.to_owned(),
        });
    }
    Anatomy {
        runtime: runtime.to_owned(),
        layout: case.layout().to_owned(),
        class: format!("Reading ({})", case.layout()),
        block: None,
        slot_names: Vec::new(),
        fields: Vec::new(),
        padding_bytes: None,
        parts,
        measures,
        dict_steps: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> PyAnatomy {
        PyAnatomy {
            pointer_bytes: 8,
            basicsize: 32,
            getsizeof_instance: 48,
            getsizeof_int: 28,
            getsizeof_float: 24,
            getsizeof_dict: None,
            tracemalloc_per_reading: 111.7,
            tracemalloc_n: 10_000,
            asizeof_instance: None,
            asizeof_note: Some("pympler is not installed".into()),
        }
    }

    #[test]
    fn cpython_parts_add_up_to_tracemalloc() {
        let a = cpython_anatomy("cpython-3.11.7", PyCase::Slots, &figures());
        let total: f64 = a.parts.iter().map(|p| p.bytes).sum();
        assert!((total - 111.7).abs() < 1e-9);
        assert_eq!(a.parts.last().unwrap().bytes, 111.7 - 108.0);
        let asizeof = &a.measures[2];
        assert_eq!(asizeof.bytes, None);
        assert_eq!(asizeof.leaves_out, "pympler is not installed");
        assert_eq!(a.measures.len(), 3, "no __dict__ measure for slots");
    }
}
