//! One reading taken apart: where its bytes go, part by part, and what each
//! way of sizing it says. `explain` fills it in; the report renders it.

use crate::model::InstanceLayout;
use serde::{Deserialize, Serialize};

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
