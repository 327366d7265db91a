//! A dynamic object model that keeps Python's semantics.
//!
//! - [`Class`]: a name, bases, class variables and optional `__slots__`,
//!   checked by CPython 3.11's rules at build time.
//! - [`Instance`]: one heap block per object with get/set/del by name.
//! - Layouts, by how an instance holds its attributes:
//!   - **table**: a hash table of its own per instance, insertion-ordered,
//!     any name allowed — the lesson's description of `__dict__`, and what
//!     CPython did before 3.3 ([`ClassBuilder::table`]);
//!   - **dict**: CPython 3.11's `__dict__` — keys shared by the class
//!     (PEP 412), values in the instance's own block with its own insertion
//!     order, and a table of the instance's own only when CPython would
//!     make it a dict object (its `__dict__` asked for, or a key the shared
//!     keys cannot take); see [`DictState`];
//!   - **slots**: names resolved to indexes once per class; values in fixed
//!     storage, no per-instance name table.
//! - Values are held packed in one 8-byte word inside instances and tables
//!   (NaN-boxing: floats as themselves, small ints, `None`, booleans, strings
//!   and object references in the NaN space, ints past 48 bits boxed); the
//!   [`Value`] enum is what goes in and comes out.
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
mod keys;
mod raw;
mod repr;
mod value;
mod values;

pub use class::{Class, ClassBuilder};
pub use dict::{DictPlace, DictState, FxIndexMap};
pub use error::ModelError;
pub use heap::{Collection, Heap, Trace};
pub use instance::Instance;
pub use keys::SHARED_KEYS_MAX_SIZE;
pub use repr::{float_repr, round_repr, str_repr};
pub use value::{ObjectId, Str, Value};

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
    /// Bytes per slot (one packed value).
    pub slot_bytes: usize,
    /// Slots per instance.
    pub slot_count: usize,
    /// Where the `__dict__`'s part starts, if any: a table header (table
    /// layout) or the values' header (dict layout).
    pub dict_offset: Option<usize>,
    /// That part's size: a table header's (its entries and index are
    /// separate heap blocks, allocated on first use), or the values' header
    /// and values together.
    pub dict_bytes: usize,
    /// Where the values start (dict layout).
    pub values_offset: Option<usize>,
    /// Values the block has room for (dict layout).
    pub values_capacity: Option<usize>,
}

/// How a class stores its instances' attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Layout {
    /// A hash table per instance (the lesson's description of `__dict__`).
    Table,
    /// CPython 3.11's `__dict__`: shared keys, values in the instance.
    Dict,
    /// Fixed, indexed storage (`__slots__`), no `__dict__`.
    Slots,
}

impl Layout {
    /// Every layout, in the order reports list them.
    pub const ALL: [Layout; 3] = [Layout::Table, Layout::Dict, Layout::Slots];

    /// The layout's lower-case name: `table`, `dict`, `slots`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Table => "table",
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
