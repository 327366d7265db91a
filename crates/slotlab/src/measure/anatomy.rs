//! One reading taken apart: where its bytes go, part by part, and what each
//! way of sizing it says. `explain` fills it in; the report renders it.

use crate::model::{DictPlace, InstanceLayout};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One reading's anatomy under one layout in one runtime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anatomy {
    /// `rust` or `cpython-3.11.7`.
    pub runtime: String,
    /// The layout, as `compare` names it.
    pub layout: String,
    /// The class name.
    pub class: String,
    /// Rust only: the instance block's layout.
    pub block: Option<InstanceLayout>,
    /// Rust only: the slot names, in storage order.
    #[serde(default)]
    pub slot_names: Vec<String>,
    /// Rust records only: the struct's fields, where `offset_of!` puts them.
    #[serde(default)]
    pub fields: Vec<FieldLine>,
    /// Rust records only: bytes of padding in the struct.
    #[serde(default)]
    pub padding_bytes: Option<usize>,
    /// Where the bytes go, part by part.
    pub parts: Vec<Part>,
    /// What each way of sizing the object says.
    pub measures: Vec<SizeMeasure>,
    /// Dict layout only: what moves a `__dict__` from one state to the
    /// next, step by step over many readings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dict_steps: Vec<DictStep>,
}

/// What one step of a `__dict__` demonstration does to each of N readings
/// of a fresh class without `__slots__`: Python's code, and the same
/// through the object model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DictAction {
    /// `r = Reading(); r.timestamp = i; r.value = i * 0.1`.
    Build,
    /// `r = Reading()`, no attribute set.
    New,
    /// `r = Reading()`, then attributes `k0`…`k{n-1}` set to `None`, one
    /// reading after the other.
    NewWide(u32),
    /// `r.NAME = None`.
    Set(String),
    /// `del r.NAME`.
    Del(String),
    /// `vars(r)`: asks for the `__dict__`.
    Vars,
}

impl DictAction {
    /// The step as Python code.
    pub fn code(&self) -> String {
        match self {
            DictAction::Build => "r = Reading(); r.timestamp = i; r.value = i*0.1".to_owned(),
            DictAction::New => "r = Reading()".to_owned(),
            DictAction::NewWide(n) => {
                format!(
                    "r = Reading(); r.k0 = … = r.k{} = None",
                    n.saturating_sub(1)
                )
            }
            DictAction::Set(name) => format!("r.{name} = None"),
            DictAction::Del(name) => format!("del r.{name}"),
            DictAction::Vars => "vars(r)".to_owned(),
        }
    }
}

/// A named sequence of steps, each applied to every reading in turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DictScenario {
    /// What it shows.
    pub name: String,
    /// The steps, in order.
    pub steps: Vec<DictAction>,
}

/// Where the readings' attributes were after one step, and what they cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DictStep {
    /// The scenario's name.
    pub scenario: String,
    /// The step.
    pub action: DictAction,
    /// How many readings were in each state after it (empty where the
    /// runtime's state cannot be read: CPython other than 3.11).
    pub states: BTreeMap<DictPlace, u64>,
    /// Bytes per reading held since the scenario began (its list slot
    /// included): the allocator's count in Rust, tracemalloc's in CPython.
    pub bytes_per_object: f64,
    /// What sizing the last reading alone says: `sys.getsizeof(r)` in
    /// CPython, its block's bytes in Rust (neither counts a table it owns).
    #[serde(default)]
    pub getsizeof: Option<u64>,
}

/// One field of a record struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldLine {
    /// The field's name.
    pub name: String,
    /// Its type.
    pub type_name: String,
    /// Its offset in the struct.
    pub offset: usize,
    /// Its size.
    pub size: usize,
}

/// One part of a reading's bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// What it is.
    pub what: String,
    /// Requested bytes per reading.
    pub bytes: f64,
    /// The allocator's real block sizes, where known.
    pub usable_bytes: Option<f64>,
    /// Heap blocks per reading.
    pub blocks: Option<f64>,
    /// How the figure was obtained.
    pub source: String,
}

/// One way of sizing an object, what it said, and what it counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeMeasure {
    /// The measure, e.g. `sys.getsizeof(obj)`.
    pub name: String,
    /// What it said, per reading; `None` where it could not be taken.
    pub bytes: Option<f64>,
    /// What it counts.
    pub counts: String,
    /// What it leaves out (or why it is missing).
    pub leaves_out: String,
}
