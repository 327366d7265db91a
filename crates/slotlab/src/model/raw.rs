//! The one unsafe part of the model: an instance's single heap block.
//!
//! ```text
//! [ class: Class ][ slot 0: Option<Value> ] … [ slot n-1 ][ dict: Dict ]?
//!   8 bytes          16 bytes each                          only if the
//!                                                           class has one
//! ```
//!
//! An instance is one thin pointer to such a block, like a CPython object
//! (whose `ob_type` also says how long it is). A `Box<[Option<Value>]>`
//! plus a class pointer would cost a fat pointer and a second block: 64
//! requested bytes per two-slot reading (list slot included) instead of 48.
//! Offsets come from `block.rs` ([`Layout::extend`](std::alloc::Layout::extend)), never from hand arithmetic.

use super::class::Class;
use super::dict::Dict;
use super::value::Value;
use std::alloc;
use std::ptr::NonNull;

/// Owns one instance block (like a `Box`).
pub(crate) struct RawObject {
    ptr: NonNull<u8>,
}

impl RawObject {
    /// A new block for `class`: every slot unset, an empty dict if any.
    pub(crate) fn new(class: &Class) -> Self {
        let block = *class.block();
        // SAFETY: the layout is not zero-sized: it starts with a `Class`.
        let raw = unsafe { alloc::alloc(block.layout) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(block.layout)
        };
        let base = ptr.as_ptr();
        debug_assert!(
            block.slots_offset + block.slot_count * size_of::<Option<Value>>()
                <= block.layout.size()
        );
        // SAFETY: `base` is a fresh block of `block.layout`; `Layout::extend` put each part
        // in bounds and aligned; nothing lives there yet, so `write` (no drop) is right.
        unsafe {
            base.cast::<Class>().write(*class);
            let slots = base.add(block.slots_offset).cast::<Option<Value>>();
            for i in 0..block.slot_count {
                slots.add(i).write(None);
            }
            if let Some(offset) = block.dict_offset {
                base.add(offset).cast::<Dict>().write(Dict::default());
            }
        }
        Self { ptr }
    }

    /// The instance's class (the block's header).
    pub(crate) fn class(&self) -> &Class {
        // SAFETY: offset 0 holds the `Class` written by `new`, live until drop.
        unsafe { &*self.ptr.as_ptr().cast::<Class>() }
    }

    /// The slot values.
    pub(crate) fn slots(&self) -> &[Option<Value>] {
        let block = self.class().block();
        // SAFETY: `new` initialised `slot_count` values at `slots_offset`; they live
        // until drop, and `&self` rules out a `&mut` to them.
        unsafe {
            std::slice::from_raw_parts(
                self.ptr.as_ptr().add(block.slots_offset).cast(),
                block.slot_count,
            )
        }
    }

    /// The slot values, writable.
    pub(crate) fn slots_mut(&mut self) -> &mut [Option<Value>] {
        let block = *self.class().block();
        // SAFETY: as in `slots`, and `&mut self` makes this the only reference.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.ptr.as_ptr().add(block.slots_offset).cast(),
                block.slot_count,
            )
        }
    }

    /// The instance dict, if the class gives one.
    pub(crate) fn dict(&self) -> Option<&Dict> {
        let offset = self.class().block().dict_offset?;
        // SAFETY: `new` wrote a `Dict` at `dict_offset`; live until drop.
        Some(unsafe { &*self.ptr.as_ptr().add(offset).cast::<Dict>() })
    }

    /// The instance dict, writable.
    pub(crate) fn dict_mut(&mut self) -> Option<&mut Dict> {
        let offset = self.class().block().dict_offset?;
        // SAFETY: as in `dict`, and `&mut self` makes this the only reference.
        Some(unsafe { &mut *self.ptr.as_ptr().add(offset).cast::<Dict>() })
    }
}

impl Drop for RawObject {
    fn drop(&mut self) {
        let block = *self.class().block();
        let base = self.ptr.as_ptr();
        // The layout read from the class is the one `new` allocated with: classes are
        // immutable once built (no field of `Class`'s data changes after
        // `ClassBuilder::build`) and immortal (their data is leaked, never freed), so the
        // class still exists here and still describes this block.
        // SAFETY: each part was initialised by `new` and is dropped exactly once here (the
        // class is a plain `Copy` pointer); the block is freed with its own layout (above).
        unsafe {
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(
                base.add(block.slots_offset).cast::<Option<Value>>(),
                block.slot_count,
            ));
            if let Some(offset) = block.dict_offset {
                std::ptr::drop_in_place(base.add(offset).cast::<Dict>());
            }
            alloc::dealloc(base, block.layout);
        }
    }
}

// Everything a block holds is itself thread-safe; checked at compile time.
const _: () = {
    const fn thread_safe<T: Send + Sync>() {}
    thread_safe::<Class>();
    thread_safe::<Value>();
    thread_safe::<Dict>();
};

// SAFETY: a `RawObject` owns its block exclusively, as a `Box` would, and
// every part in it is `Send` (checked above).
unsafe impl Send for RawObject {}
// SAFETY: shared access only reads (`&self` methods), and every part in the
// block is `Sync` (checked above).
unsafe impl Sync for RawObject {}
