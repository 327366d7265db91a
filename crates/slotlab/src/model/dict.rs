//! The per-instance `__dict__`: a real, insertion-ordered hash table.
//!
//! CPython's dict is a compact table: a sparse array of indices plus a
//! dense array of `(hash, key, value)` entries in insertion order.
//! [`indexmap::IndexMap`] is built the same way (a hashbrown table of indices
//! plus an entries vector), so an instance dict here has the same shape and
//! the same two heap blocks once it holds anything.

use super::value::{Str, Value};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

/// An `IndexMap` with the Fx hasher (zero-sized state, fast on short keys).
pub type FxIndexMap<K, V> = IndexMap<K, V, FxBuildHasher>;

/// An instance's attribute dictionary, in insertion order.
pub type Dict = FxIndexMap<Str, Value>;
