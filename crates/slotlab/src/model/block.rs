//! Where each part of an instance's block lives: the header (the class
//! pointer), the slots, and the dict if the class gives one. Computed once
//! per class with [`Layout::extend`], never by hand arithmetic; the unsafe
//! code in `raw.rs` trusts these offsets.

use super::InstanceLayout;
use super::dict::Dict;
use super::value::Value;
use std::alloc::Layout;

/// The layout of one class's instance blocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockLayout {
    pub(crate) layout: Layout,
    header_bytes: usize,
    pub(super) slots_offset: usize,
    pub(super) slot_count: usize,
    pub(super) dict_offset: Option<usize>,
}

impl BlockLayout {
    /// The block for a `header`, `slot_count` slots and maybe a dict;
    /// `None` if it would not fit in the address space.
    pub(crate) fn new(header: Layout, slot_count: usize, has_dict: bool) -> Option<Self> {
        let slots = Layout::array::<Option<Value>>(slot_count).ok()?;
        let (layout, slots_offset) = header.extend(slots).ok()?;
        let (layout, dict_offset) = if has_dict {
            let (layout, offset) = layout.extend(Layout::new::<Dict>()).ok()?;
            (layout, Some(offset))
        } else {
            (layout, None)
        };
        Some(Self {
            layout: layout.pad_to_align(),
            header_bytes: header.size(),
            slots_offset,
            slot_count,
            dict_offset,
        })
    }

    /// The public description of this layout.
    pub(crate) fn describe(&self) -> InstanceLayout {
        InstanceLayout {
            block_bytes: self.layout.size(),
            align: self.layout.align(),
            header_bytes: self.header_bytes,
            slots_offset: self.slots_offset,
            slot_bytes: size_of::<Option<Value>>(),
            slot_count: self.slot_count,
            dict_offset: self.dict_offset,
            dict_bytes: size_of::<Dict>(),
        }
    }
}
