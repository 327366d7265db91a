//! The model's unsafe code, and all of it: an instance's single heap block
//! (`object.rs`) and one-word values (`packed.rs`).
//!
//! ```text
//! [ class: Class ][ slot 0 ] … [ slot n-1 ][ the __dict__'s part ]?
//!   8 bytes        8 bytes each (Packed)     a table header, or inline values (see block.rs)
//! ```
//!
//! An instance is one thin pointer to such a block, like a CPython object
//! (whose `ob_type` also says how long it is). A `Box<[Value]>` plus a
//! class pointer would cost a fat pointer and a second block. Offsets come
//! from `block.rs` ([`Layout::extend`](std::alloc::Layout::extend)), never
//! from hand arithmetic.
//!
//! # The contracts every block keeps (the SAFETY comments cite them)
//!
//! 1. Offset 0 holds the `Class` written by `new`; classes are immutable in
//!    layout and immortal, so it describes the block until it is freed.
//! 2. `slot_count` initialised `Packed`s start at `slots_offset`.
//! 3. A table class's block holds an initialised `Table` at its offset.
//! 4. A dict class's block holds, at its offset, the values header: byte 0
//!    the capacity `c` the block was allocated for (≥ 1), byte 1 the
//!    order's length `n ≤ c`, byte 2 the state, then `c` order bytes; the
//!    values start `values_prefix_bytes(c)` bytes after the header (where
//!    `BlockLayout::with_values(c)` puts them). In the
//!    inline state they are `c` initialised `Packed`s, the first `n` order
//!    bytes naming distinct set ones; in the materialized states the first
//!    word instead holds a `Box<Table>` pointer (owned) and `n` is 0.
//! 5. The block was allocated with `BlockLayout::with_values(c).0` and is
//!    freed with the same layout, once.

pub(crate) mod object;
pub(crate) mod packed;
