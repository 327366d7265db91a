//! Where each part of an instance's block lives: the header (the class
//! pointer), the slots, and whatever holds the `__dict__` if the class
//! gives one. Computed with [`Layout::extend`], never by hand arithmetic;
//! the unsafe code in `raw/` trusts these offsets.
//!
//! ```text
//! slots:  [ class ][ slot 0 ] … [ slot n-1 ]
//! table:  [ class ][ slots ][ table header (its entries and index: two blocks of their own) ]
//! dict:   [ class ][ slots ][ capacity | len | state | order bytes … ][ value 0 ] … [ value cap-1 ]
//! ```
//!
//! A dict block's length depends on how many values it has room for,
//! which the class's shared keys decide when the instance is made; the
//! block records it in its first byte after the slots.

use super::InstanceLayout;
use super::dict::Table;
use super::raw::packed::Packed;
use std::alloc::Layout;

/// How an instance holds its `__dict__`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DictPart {
    /// No `__dict__`.
    None,
    /// A hash table of its own, its header at `offset`.
    Table { offset: usize },
    /// Values for the class's shared keys, their header at `offset`.
    Values { offset: usize },
}

/// Bytes before the values: capacity, length and state bytes, then one
/// order byte per value, rounded up to the values' alignment (CPython
/// 3.11's values prefix is the order bytes and two more).
pub(crate) fn values_prefix_bytes(capacity: usize) -> usize {
    (3 + capacity).next_multiple_of(align_of::<Packed>())
}

/// The layout of one class's instance blocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockLayout {
    /// The block without any values (all of it for a table or slots class).
    fixed: Layout,
    header_bytes: usize,
    pub(super) slots_offset: usize,
    pub(super) slot_count: usize,
    pub(super) dict: DictPart,
}

/// What kind of `__dict__` a block holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DictKind {
    None,
    Table,
    Values,
}

impl BlockLayout {
    /// The block for a `header`, `slot_count` slots and a dict of `kind`;
    /// `None` if it would not fit in the address space.
    pub(crate) fn new(header: Layout, slot_count: usize, kind: DictKind) -> Option<Self> {
        let slots = Layout::array::<Packed>(slot_count).ok()?;
        let (layout, slots_offset) = header.extend(slots).ok()?;
        let (fixed, dict) = match kind {
            DictKind::None => (layout, DictPart::None),
            DictKind::Table => {
                let (layout, offset) = layout.extend(Layout::new::<Table>()).ok()?;
                (layout, DictPart::Table { offset })
            }
            // The values start aligned right after the slots; their size
            // comes per instance (`with_values`).
            DictKind::Values => {
                let offset = layout.size().next_multiple_of(align_of::<Packed>());
                (layout, DictPart::Values { offset })
            }
        };
        Some(Self {
            fixed: fixed.pad_to_align(),
            header_bytes: header.size(),
            slots_offset,
            slot_count,
            dict,
        })
    }

    /// The block of an instance with room for `capacity` values (the
    /// capacity counts only for a dict block), and where its values start.
    #[inline]
    pub(crate) fn with_values(&self, capacity: usize) -> (Layout, Option<usize>) {
        let DictPart::Values { offset } = self.dict else {
            return (self.fixed, None);
        };
        let prefix = values_prefix_bytes(capacity);
        let bytes = offset + prefix + capacity * size_of::<Packed>();
        let layout = Layout::from_size_align(bytes, self.fixed.align().max(align_of::<Packed>()))
            .expect("a class's values fit (at most 30 shared keys)")
            .pad_to_align();
        (layout, Some(offset + prefix))
    }

    /// The public description of this layout, for an instance with room
    /// for `capacity` values.
    pub(crate) fn describe(&self, capacity: usize) -> InstanceLayout {
        let (layout, values_offset) = self.with_values(capacity);
        let (dict_offset, dict_bytes) = match self.dict {
            DictPart::None => (None, 0),
            DictPart::Table { offset } => (Some(offset), size_of::<Table>()),
            DictPart::Values { offset } => (Some(offset), layout.size() - offset),
        };
        InstanceLayout {
            block_bytes: layout.size(),
            align: layout.align(),
            header_bytes: self.header_bytes,
            slots_offset: self.slots_offset,
            slot_bytes: size_of::<Packed>(),
            slot_count: self.slot_count,
            dict_offset,
            dict_bytes,
            values_offset,
            values_capacity: values_offset.map(|_| capacity),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_readings_dict_block_is_40_bytes_once_the_class_knows_its_keys() {
        let header = Layout::new::<u64>();
        let block = BlockLayout::new(header, 0, DictKind::Values).unwrap();
        // Two keys plus the one unit of room CPython keeps: 8 + 8 + 3 × 8.
        assert_eq!(
            block.with_values(3),
            (Layout::from_size_align(40, 8).unwrap(), Some(16))
        );
        // The first instance of a class: 29 values and 32 bytes of order.
        assert_eq!(block.with_values(29).0.size(), 8 + 32 + 29 * 8);
        let slots = BlockLayout::new(header, 2, DictKind::None).unwrap();
        assert_eq!(slots.with_values(9).0.size(), 8 + 2 * 8);
    }
}
