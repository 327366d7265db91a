//! A dynamic object model that keeps Python's semantics.
//!
//! - [`Class`]: a name, bases, class variables and optional `__slots__`,
//!   checked by CPython 3.11's rules at build time.
//! - [`Instance`]: one heap block per object with get/set/del by name.
//! - Layouts: **dict** (no `__slots__`: a real per-instance, insertion-ordered
//!   hash table, any name allowed) and **slots** (names resolved to indexes
//!   once per class; values in fixed storage, no per-instance name table).
//! - [`ModelError`]: each error prints what CPython 3.11 prints.
//! - [`Heap`]: instances that refer to each other ([`Value::Object`]) and a
//!   tracing collector over them (mark from roots, free the rest, report
//!   the cycles among it).
//!
//! Not modelled: methods and other descriptors, weak references (only the
//! `__weakref__` slot rules), metaclasses, `__class__` assignment, class
//! attributes changed after creation, `int` beyond 64 bits.

mod block;
mod class;
mod dict;
mod error;
mod heap;
mod instance;
mod raw;
mod repr;
mod value;

pub use class::{Class, ClassBuilder};
pub use dict::{Dict, FxIndexMap};
pub use error::ModelError;
pub use heap::{Collection, Heap, ObjectId, Trace};
pub use instance::Instance;
pub use repr::{float_repr, round_repr, str_repr};
pub use value::{Str, Value};

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where each part of an instance's heap block lives, as laid out by
/// [`std::alloc::Layout::extend`] (see [`Class::instance_layout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceLayout {
    /// The block's size in bytes (one allocation per instance).
    pub block_bytes: usize,
    /// The block's alignment.
    pub align: usize,
    /// The class pointer at offset 0.
    pub header_bytes: usize,
    /// Where the slot values start.
    pub slots_offset: usize,
    /// Bytes per slot (`Option<Value>`).
    pub slot_bytes: usize,
    /// Slots per instance.
    pub slot_count: usize,
    /// Where the inline `__dict__` table header starts, if any.
    pub dict_offset: Option<usize>,
    /// The inline `__dict__` table header's size (its entries and index
    /// table are separate heap blocks, allocated on first use).
    pub dict_bytes: usize,
}

/// How a class stores its instances' attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Layout {
    /// A per-instance `__dict__` (a class without `__slots__`).
    Dict,
    /// Fixed, indexed storage (`__slots__`), no `__dict__`.
    Slots,
}

impl Layout {
    /// Every layout, in the order reports list them.
    pub const ALL: [Layout; 2] = [Layout::Dict, Layout::Slots];

    /// The layout's lower-case name: `dict`, `slots`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Dict => "dict",
            Layout::Slots => "slots",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
