//! A class's shared key table, as CPython 3.11 keeps one per class (PEP
//! 412, `ht_cached_keys`): the attribute names its instances have set, in
//! the order they first appeared, each at a fixed index into every
//! instance's values.
//!
//! The rules are CPython 3.11's (`Objects/dictobject.c`):
//! - the table starts with room for [`SHARED_KEYS_MAX_SIZE`] keys
//!   (`_PyDict_NewKeysForClass`);
//! - each new instance takes one from the room left, but never the last
//!   (`init_inline_values`: `if (dk_usable > 1) dk_usable--`), and gets
//!   values for every key the table has plus the room left then;
//! - a key is added while room is left (`insert_into_dictkeys`); once none
//!   is, a new key makes the instance that sets it build a dict of its own.
//!
//! Keys are never removed. Instances made early get more room than later
//! ones, and room only shrinks, so every index the table ever hands out
//! fits every instance made before it was handed out.

use super::value::Str;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// The most keys a class's table can hold (CPython's `SHARED_KEYS_MAX_SIZE`).
pub const SHARED_KEYS_MAX_SIZE: usize = 30;

/// The shared keys of one class. Lives as long as its class (forever).
pub(crate) struct SharedKeys {
    keys: [OnceLock<Str>; SHARED_KEYS_MAX_SIZE],
    /// The keys held (high 32 bits) and the room left (low 32), changed
    /// together so a new instance's room is always a true snapshot.
    counts: AtomicU64,
    /// Held while a key is added (one adder at a time).
    adding: Mutex<()>,
}

fn pack(len: usize, usable: usize) -> u64 {
    ((len as u64) << 32) | usable as u64
}

fn unpack(counts: u64) -> (usize, usize) {
    (
        (counts >> 32) as usize,
        (counts & u64::from(u32::MAX)) as usize,
    )
}

impl SharedKeys {
    /// An empty table with room for [`SHARED_KEYS_MAX_SIZE`] keys.
    pub(crate) fn new() -> Self {
        Self {
            keys: std::array::from_fn(|_| OnceLock::new()),
            counts: AtomicU64::new(pack(0, SHARED_KEYS_MAX_SIZE)),
            adding: Mutex::new(()),
        }
    }

    /// Keys held, and the room left for more.
    pub(crate) fn counts(&self) -> (usize, usize) {
        unpack(self.counts.load(Ordering::Acquire))
    }

    /// Keys held.
    pub(crate) fn len(&self) -> usize {
        self.counts().0
    }

    /// What a new instance takes: one from the room left unless only one is
    /// left; returns how many values it must have room for (the keys held
    /// plus the room left after its take).
    pub(crate) fn reserve_instance(&self) -> usize {
        let mut now = self.counts.load(Ordering::Acquire);
        loop {
            let (len, usable) = unpack(now);
            if usable <= 1 {
                return len + usable;
            }
            match self.counts.compare_exchange_weak(
                now,
                pack(len, usable - 1),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return len + usable - 1,
                Err(seen) => now = seen,
            }
        }
    }

    /// How many values the next instance would get, taking nothing.
    pub(crate) fn next_capacity(&self) -> usize {
        let (len, usable) = self.counts();
        len + usable.saturating_sub(1).max(usable.min(1))
    }

    /// The key at `index`.
    pub(crate) fn key(&self, index: usize) -> Option<&Str> {
        self.keys.get(index)?.get()
    }

    /// The keys held, in index order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Str> {
        self.keys[..self.len()].iter().filter_map(OnceLock::get)
    }

    /// The index of `name`, if the table holds it: first by identity (an
    /// interned name is the key itself), then by text.
    #[inline]
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        let held = &self.keys[..self.len()];
        held.iter()
            .position(|k| k.get().is_some_and(|k| std::ptr::eq(k.as_str(), name)))
            .or_else(|| {
                held.iter()
                    .position(|k| k.get().is_some_and(|k| k.as_str() == name))
            })
    }

    /// `insert_into_dictkeys`: the index of `name`, adding it if room is
    /// left; `None` when the table is full.
    pub(crate) fn insert(&self, name: &Str) -> Option<usize> {
        if let Some(index) = self.find(name) {
            return Some(index);
        }
        // A poisoned lock only means another adder panicked; the counts
        // and keys it guards change atomically, so they are still whole.
        let _adding = self.adding.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(index) = self.find(name) {
            return Some(index);
        }
        let (len, usable) = self.counts();
        if usable == 0 {
            return None;
        }
        // Only adders change `len` (one at a time, under the lock), and new
        // instances never take the last unit of room, so `usable` stays ≥ 1
        // until the exchange below; the key is in place before `len` says so.
        let stored = self.keys[len].set(Str::intern(name));
        debug_assert!(stored.is_ok(), "key {len} set twice");
        let mut now = self.counts.load(Ordering::Acquire);
        loop {
            let (len, usable) = unpack(now);
            debug_assert!(usable >= 1);
            match self.counts.compare_exchange_weak(
                now,
                pack(len + 1, usable - 1),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(len),
                Err(seen) => now = seen,
            }
        }
    }
}

impl std::fmt::Debug for SharedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (len, usable) = self.counts();
        f.debug_struct("SharedKeys")
            .field("keys", &self.keys().collect::<Vec<_>>())
            .field("len", &len)
            .field("usable", &usable)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_take_room_but_never_the_last() {
        let keys = SharedKeys::new();
        // CPython: the first instance of a class gets 29 values.
        assert_eq!(keys.next_capacity(), 29);
        assert_eq!(keys.reserve_instance(), 29);
        assert_eq!(keys.insert(&Str::new("timestamp")), Some(0));
        assert_eq!(keys.insert(&Str::new("value")), Some(1));
        assert_eq!(keys.counts(), (2, 27));
        let capacities: Vec<usize> = (0..30).map(|_| keys.reserve_instance()).collect();
        assert_eq!(capacities[0], 28);
        assert_eq!(capacities[25], 3);
        assert_eq!(capacities[29], 3, "one unit of room is always kept");
        assert_eq!(keys.counts(), (2, 1));
        // The room kept takes one more key; then the table is full.
        assert_eq!(keys.insert(&Str::new("third")), Some(2));
        assert_eq!(keys.insert(&Str::new("fourth")), None);
        assert_eq!(keys.insert(&Str::new("value")), Some(1));
        assert_eq!(keys.reserve_instance(), 3);
    }

    #[test]
    fn one_instance_leaves_room_for_29_keys() {
        let keys = SharedKeys::new();
        keys.reserve_instance();
        for i in 0..29 {
            assert_eq!(keys.insert(&Str::new(&format!("k{i}"))), Some(i));
        }
        assert_eq!(keys.insert(&Str::new("k29")), None);
        assert_eq!(keys.len(), 29);
        assert_eq!(keys.key(28).map(Str::as_str), Some("k28"));
        assert_eq!(keys.find("k3"), Some(3));
        assert_eq!(keys.find("k29"), None);
    }

    #[test]
    fn keys_added_from_many_threads_get_distinct_indexes() {
        let keys = SharedKeys::new();
        std::thread::scope(|s| {
            for t in 0..4 {
                let keys = &keys;
                s.spawn(move || {
                    for i in 0..10 {
                        keys.reserve_instance();
                        keys.insert(&Str::new(&format!("t{t}k{i}")));
                    }
                });
            }
        });
        let (len, usable) = keys.counts();
        let mut seen: Vec<&str> = keys.keys().map(Str::as_str).collect();
        assert_eq!(seen.len(), len);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), len);
        assert!(len + usable <= SHARED_KEYS_MAX_SIZE);
    }
}
