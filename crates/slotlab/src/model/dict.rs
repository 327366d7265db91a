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
