//! A `__dict__` as a hash table of its own: what the **table** layout
//! gives every instance (the lesson's description of `__dict__`, and
//! CPython's before 3.3), and what a **dict** instance materializes when
//! CPython 3.11 would make it a dict object.
//!
//! CPython's dict is a compact table: a sparse array of indices plus a
//! dense array of `(hash, key, value)` entries in insertion order.
//! [`indexmap::IndexMap`] is built the same way (a hashbrown table of indices
//! plus an entries vector), so a table here has the same shape and the same
//! two heap blocks once it holds anything; its values are one word each.

use super::raw::packed::Packed;
use super::value::Str;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};

/// An `IndexMap` with the Fx hasher (zero-sized state, fast on short keys).
pub type FxIndexMap<K, V> = IndexMap<K, V, FxBuildHasher>;

/// An instance's own attribute table, in insertion order.
pub(crate) type Table = FxIndexMap<Str, Packed>;

/// Whether a materialized table still shares its class's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sharing {
    /// CPython's split dict: a new key also goes into the class's shared
    /// keys while they have room.
    Shared,
    /// A dict with keys of its own (CPython's combined table).
    Own,
}

/// Where an instance's `__dict__` is, as [`crate::model::Instance::dict_state`]
/// reports it. CPython 3.11 moves an instance from the first state to the
/// second when its `__dict__` is asked for, and to the third when it sets
/// an attribute the class's shared keys cannot take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DictState {
    /// No dict object: values in the instance's block, one per shared key
    /// (room for `capacity`, `len` set).
    Inline {
        /// Values the block has room for.
        capacity: usize,
        /// Attributes set.
        len: usize,
    },
    /// A dict of the instance's own that still shares the class's keys
    /// (CPython's split dict; here a table).
    Shared {
        /// Attributes set.
        len: usize,
    },
    /// A dict with its own keys (CPython's combined table; here a table).
    Own {
        /// Attributes set.
        len: usize,
    },
    /// The table layout's per-instance hash table.
    Table {
        /// Attributes set.
        len: usize,
    },
}

impl DictState {
    /// Which of the states it is, without its figures.
    pub fn place(&self) -> DictPlace {
        match self {
            DictState::Inline { .. } => DictPlace::Inline,
            DictState::Shared { .. } => DictPlace::Shared,
            DictState::Own { .. } => DictPlace::Own,
            DictState::Table { .. } => DictPlace::Table,
        }
    }
}

/// Where an instance's attributes are, named the same for both runtimes
/// (CPython 3.11's states are read from the interpreter by `cases.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DictPlace {
    /// Values in the instance, keys shared by the class (no dict object).
    Inline,
    /// A dict of the instance's own that shares the class's keys.
    Shared,
    /// A dict with keys of its own.
    Own,
    /// The table layout's hash table.
    Table,
    /// Neither values nor a dict (CPython after `del obj.__dict__`, until
    /// the next attribute).
    Absent,
}

impl DictPlace {
    /// The state in words.
    pub fn name(self) -> &'static str {
        match self {
            DictPlace::Inline => "inline values",
            DictPlace::Shared => "dict sharing the class's keys",
            DictPlace::Own => "dict with its own keys",
            DictPlace::Table => "table",
            DictPlace::Absent => "no dict",
        }
    }
}

/// Looks `name` up in a small name-keyed map: first by identity (an interned
/// name is the very same string as the key, so one pointer comparison
/// settles it, as in CPython), then by hash and text.
#[inline]
pub(crate) fn find<'m, V>(map: &'m FxIndexMap<Str, V>, name: &str) -> Option<(usize, &'m V)> {
    const SCAN_LIMIT: usize = 8;
    if map.len() <= SCAN_LIMIT {
        for (index, (key, value)) in map.iter().enumerate() {
            if std::ptr::eq(key.as_str(), name) {
                return Some((index, value));
            }
        }
    }
    map.get_full(name).map(|(index, _, value)| (index, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_by_identity_or_text() {
        let mut map: FxIndexMap<Str, i32> = FxIndexMap::default();
        let key = Str::intern("find_me");
        map.insert(key.clone(), 1);
        map.insert(Str::new("other"), 2);
        assert_eq!(find(&map, &key), Some((0, &1)));
        assert_eq!(find(&map, "find_me"), Some((0, &1)));
        assert_eq!(find(&map, "other"), Some((1, &2)));
        assert_eq!(find(&map, "missing"), None);
    }
}
