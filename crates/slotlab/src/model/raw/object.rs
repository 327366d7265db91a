//! An instance's block: see the contracts in `raw/mod.rs`.

use super::packed::Packed;
use crate::model::block::{DictPart, values_prefix_bytes};
use crate::model::class::Class;
use crate::model::dict::{Sharing, Table};
use crate::model::values::{InlineValues, InlineValuesMut};
use std::alloc;
use std::ptr::NonNull;

/// Owns one instance block (like a `Box`).
pub(crate) struct RawObject {
    ptr: NonNull<u8>,
}

/// The `__dict__` of an instance, as its block holds it.
pub(crate) enum DictRef<'a> {
    /// The class gives no `__dict__`.
    Absent,
    /// Values for the class's shared keys, in the block.
    Inline(InlineValues<'a>),
    /// A table: the table layout's own, or one the instance materialized.
    Table(&'a Table, Sharing),
}

/// The `__dict__` of an instance, writable.
pub(crate) enum DictMut<'a> {
    /// The class gives no `__dict__`.
    Absent,
    /// Values for the class's shared keys, in the block.
    Inline(InlineValuesMut<'a>),
    /// A table, and whether it still shares the class's keys.
    Table(&'a mut Table, Sharing),
}

// The values header's bytes (contract 4).
const CAPACITY: usize = 0;
const LEN: usize = 1;
const STATE: usize = 2;
const ORDER: usize = 3;
const INLINE: u8 = 0;

fn state_byte(sharing: Sharing) -> u8 {
    match sharing {
        Sharing::Shared => 1,
        Sharing::Own => 2,
    }
}

impl RawObject {
    /// A new block for `class`: every slot unset, an empty `__dict__` if
    /// the class gives one (values with room for what the class's shared
    /// keys grant the new instance).
    #[inline]
    pub(crate) fn new(class: &Class) -> Self {
        let block = *class.block();
        let capacity = match block.dict {
            DictPart::Values { .. } => class
                .shared_keys_table()
                .map_or(1, |k| k.reserve_instance().max(1)),
            _ => 0,
        };
        let (layout, values_offset) = block.with_values(capacity);
        // SAFETY: the layout is not zero-sized: it starts with a `Class`.
        let raw = unsafe { alloc::alloc(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout)
        };
        let base = ptr.as_ptr();
        debug_assert!(block.slots_offset + block.slot_count * size_of::<Packed>() <= layout.size());
        // Nothing lives in the fresh block yet, so `write` (no drop) is right.
        // SAFETY: `base` is a fresh block of `layout`, each part in bounds and aligned
        // (`Layout::extend`, `with_values`); the writes establish contracts 1–5.
        unsafe {
            base.cast::<Class>().write(*class);
            let slots = base.add(block.slots_offset).cast::<Packed>();
            for i in 0..block.slot_count {
                slots.add(i).write(Packed::UNSET);
            }
            match (block.dict, values_offset) {
                (DictPart::Table { offset }, _) => {
                    base.add(offset).cast::<Table>().write(Table::default())
                }
                (DictPart::Values { offset }, Some(values)) => {
                    let header = base.add(offset);
                    debug_assert!(capacity <= usize::from(u8::MAX));
                    debug_assert_eq!(values, offset + values_prefix_bytes(capacity));
                    header.add(CAPACITY).write(capacity as u8);
                    header.add(LEN).write(0);
                    header.add(STATE).write(INLINE);
                    let values = base.add(values).cast::<Packed>();
                    for i in 0..capacity {
                        values.add(i).write(Packed::UNSET);
                    }
                }
                _ => {}
            }
        }
        Self { ptr }
    }

    /// The instance's class (the block's header).
    #[inline]
    pub(crate) fn class(&self) -> &Class {
        // SAFETY: contract 1.
        unsafe { &*self.ptr.as_ptr().cast::<Class>() }
    }

    /// The slot values.
    #[inline]
    pub(crate) fn slots(&self) -> &[Packed] {
        let block = self.class().block();
        // SAFETY: contract 2; the values live until drop, and `&self` rules out a `&mut`.
        unsafe {
            std::slice::from_raw_parts(
                self.ptr.as_ptr().add(block.slots_offset).cast(),
                block.slot_count,
            )
        }
    }

    /// The slot values, writable.
    #[inline]
    pub(crate) fn slots_mut(&mut self) -> &mut [Packed] {
        let block = *self.class().block();
        // SAFETY: as in `slots`, and `&mut self` makes this the only reference.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.ptr.as_ptr().add(block.slots_offset).cast(),
                block.slot_count,
            )
        }
    }

    /// The values header's address and capacity, for a dict block.
    fn values_header(&self) -> Option<(*mut u8, usize)> {
        let DictPart::Values { offset } = self.class().block().dict else {
            return None;
        };
        // SAFETY: contract 4: a dict block has its header at `offset`, in bounds.
        let header = unsafe { self.ptr.as_ptr().add(offset) };
        // SAFETY: contract 4: byte 0 is the capacity, written by `new`.
        let capacity = usize::from(unsafe { header.add(CAPACITY).read() });
        Some((header, capacity))
    }

    /// Where the values (or the materialized table's pointer) start, given
    /// the header `values_header` found: no layout computed on the hot path.
    fn values_ptr(header: *mut u8, capacity: usize) -> *mut Packed {
        // SAFETY: contract 4: the values start right after the header's
        // `values_prefix_bytes(capacity)` bytes, inside the block.
        unsafe { header.add(values_prefix_bytes(capacity)).cast() }
    }

    /// The instance's `__dict__`, as its block holds it.
    #[inline]
    pub(crate) fn dict(&self) -> DictRef<'_> {
        match self.class().block().dict {
            DictPart::None => DictRef::Absent,
            DictPart::Table { offset } => {
                // SAFETY: contract 3; `&self` rules out a `&mut` to it.
                DictRef::Table(
                    unsafe { &*self.ptr.as_ptr().add(offset).cast::<Table>() },
                    Sharing::Own,
                )
            }
            DictPart::Values { .. } => {
                let Some((header, capacity)) = self.values_header() else {
                    return DictRef::Absent;
                };
                let values = Self::values_ptr(header, capacity);
                // SAFETY: contract 4: the state and length bytes are initialised.
                let (state, len) = unsafe {
                    (
                        header.add(STATE).read(),
                        usize::from(header.add(LEN).read()),
                    )
                };
                if state == INLINE {
                    // SAFETY: contract 4 (inline): `len` order bytes and `capacity` values,
                    // initialised and in bounds; `&self` rules out a `&mut` to them.
                    unsafe {
                        DictRef::Inline(InlineValues {
                            order: std::slice::from_raw_parts(header.add(ORDER), len),
                            values: std::slice::from_raw_parts(values, capacity),
                        })
                    }
                } else {
                    // SAFETY: contract 4 (materialized): the first value word holds the
                    // owned `Box<Table>`'s pointer.
                    let table = unsafe { &*values.cast::<*mut Table>().read() };
                    DictRef::Table(table, sharing_of(state))
                }
            }
        }
    }

    /// The instance's `__dict__`, writable.
    #[inline]
    pub(crate) fn dict_mut(&mut self) -> DictMut<'_> {
        match self.class().block().dict {
            DictPart::None => DictMut::Absent,
            DictPart::Table { offset } => {
                // SAFETY: contract 3, and `&mut self` makes this the only reference.
                let table = unsafe { &mut *self.ptr.as_ptr().add(offset).cast::<Table>() };
                DictMut::Table(table, Sharing::Own)
            }
            DictPart::Values { .. } => {
                let Some((header, capacity)) = self.values_header() else {
                    return DictMut::Absent;
                };
                let values = Self::values_ptr(header, capacity);
                // SAFETY: contract 4: the state byte is initialised.
                let state = unsafe { header.add(STATE).read() };
                if state == INLINE {
                    // SAFETY: contract 4 (inline): length byte, order bytes and values initialised,
                    // in bounds and disjoint; `&mut self` makes these the only references.
                    unsafe {
                        DictMut::Inline(InlineValuesMut {
                            len: &mut *header.add(LEN),
                            order: std::slice::from_raw_parts_mut(header.add(ORDER), capacity),
                            values: std::slice::from_raw_parts_mut(values, capacity),
                        })
                    }
                } else {
                    // SAFETY: contract 4 (materialized), and `&mut self` makes this the only
                    // reference to the table.
                    let table = unsafe { &mut *values.cast::<*mut Table>().read() };
                    DictMut::Table(table, sharing_of(state))
                }
            }
        }
    }

    /// Moves a dict block's inline values into a table of the instance's
    /// own (`make_dict_from_instance_attributes`), keys from the class's
    /// shared keys, in the instance's order; or, with `keep_values` false,
    /// drops them and starts an empty table (`del obj.__dict__`). Records
    /// whether the table still shares the class's keys. A no-op for a
    /// block that is not inline.
    pub(crate) fn materialize(&mut self, sharing: Sharing, keep_values: bool) {
        let class = *self.class();
        let Some((header, capacity)) = self.values_header() else {
            return;
        };
        let DictMut::Inline(mut inline) = self.dict_mut() else {
            return;
        };
        let taken = inline.take_in_order();
        let mut table = Table::default();
        if keep_values {
            table.reserve(taken.len());
            for (index, value) in taken {
                if let Some(key) = class.shared_keys_table().and_then(|k| k.key(index)) {
                    table.insert(key.clone(), value);
                }
            }
        }
        let values = Self::values_ptr(header, capacity);
        let table = Box::into_raw(Box::new(table));
        // `take_in_order` left every value unset (owning nothing) and the length 0.
        // SAFETY: contract 4: overwriting the first (unset) word leaks nothing; it now
        // holds the owned table's pointer and the state byte says so.
        unsafe {
            values.cast::<*mut Table>().write(table);
            header.add(STATE).write(state_byte(sharing));
        }
    }

    /// Records whether a materialized table shares the class's keys (a
    /// no-op for other blocks).
    pub(crate) fn set_sharing(&mut self, sharing: Sharing) {
        if let Some((header, _)) = self.values_header() {
            // SAFETY: contract 4: the state byte is initialised; only a materialized
            // state is changed, to a materialized state.
            unsafe {
                if header.add(STATE).read() != INLINE {
                    header.add(STATE).write(state_byte(sharing));
                }
            }
        }
    }

    /// The bytes of this instance's block.
    pub(crate) fn block_bytes(&self) -> usize {
        let capacity = self.values_capacity();
        self.class().block().with_values(capacity).0.size()
    }

    /// How many values a dict block has room for (0 for other blocks).
    pub(crate) fn values_capacity(&self) -> usize {
        self.values_header().map_or(0, |(_, c)| c)
    }
}

fn sharing_of(state: u8) -> Sharing {
    if state == state_byte(Sharing::Shared) {
        Sharing::Shared
    } else {
        Sharing::Own
    }
}

impl Drop for RawObject {
    fn drop(&mut self) {
        let block = *self.class().block();
        let header = self.values_header();
        let capacity = header.map_or(0, |(_, c)| c);
        let (layout, _) = block.with_values(capacity);
        let base = self.ptr.as_ptr();
        // The class is a plain `Copy` pointer: nothing to drop at offset 0.
        // SAFETY: contracts 1–5: each part (from `new` or `materialize`) is dropped once
        // here, and the block freed with the layout it was allocated with.
        unsafe {
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(
                base.add(block.slots_offset).cast::<Packed>(),
                block.slot_count,
            ));
            match block.dict {
                DictPart::None => {}
                DictPart::Table { offset } => {
                    std::ptr::drop_in_place(base.add(offset).cast::<Table>())
                }
                DictPart::Values { .. } => {
                    let values = Self::values_ptr(header.map_or(base, |(h, _)| h), capacity);
                    match self.dict() {
                        DictRef::Inline(_) => std::ptr::drop_in_place(
                            std::ptr::slice_from_raw_parts_mut(values, capacity),
                        ),
                        _ => drop(Box::from_raw(values.cast::<*mut Table>().read())),
                    }
                }
            }
            alloc::dealloc(base, layout);
        }
    }
}

// Everything a block holds is itself thread-safe; checked at compile time.
const _: () = {
    const fn thread_safe<T: Send + Sync>() {}
    thread_safe::<Class>();
    thread_safe::<Packed>();
    thread_safe::<Table>();
};

// SAFETY: a `RawObject` owns its block exclusively, as a `Box` would, and
// every part in it is `Send` (checked above).
unsafe impl Send for RawObject {}
// SAFETY: shared access only reads (`&self` methods), and every part in the
// block is `Sync` (checked above).
unsafe impl Sync for RawObject {}
