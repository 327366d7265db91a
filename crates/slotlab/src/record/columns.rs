//! [`RecordVec`]: many records, stored column by column.

use super::{Columns, Record};
use std::fmt;
use std::ops::Deref;

/// Records stored as a struct of arrays: one `Vec` per field, so reading one
/// field of every record touches only that field's bytes. Derefs to the
/// generated columns type, whose methods give each column as a slice
/// (`readings.value()` → `&[f64]`).
pub struct RecordVec<R: Record> {
    columns: R::Columns,
}

impl<R: Record> RecordVec<R> {
    /// Empty.
    pub fn new() -> Self {
        Self {
            columns: R::Columns::default(),
        }
    }

    /// Empty, with room for `capacity` records in every column.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            columns: R::Columns::with_capacity(capacity),
        }
    }

    /// Appends a record.
    pub fn push(&mut self, record: R) {
        self.columns.push(record);
    }

    /// Records stored.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.columns.len() == 0
    }

    /// The record at `index`, reassembled from the columns.
    pub fn get(&self, index: usize) -> Option<R> {
        self.columns.get(index)
    }

    /// Every record, reassembled in order.
    pub fn iter(&self) -> Iter<'_, R> {
        Iter {
            vec: self,
            index: 0,
        }
    }
}

impl<R: Record> Default for RecordVec<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Record> Deref for RecordVec<R> {
    type Target = R::Columns;
    fn deref(&self) -> &R::Columns {
        &self.columns
    }
}

impl<R: Record> FromIterator<R> for RecordVec<R> {
    fn from_iter<I: IntoIterator<Item = R>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut vec = Self::with_capacity(iter.size_hint().0);
        vec.extend(iter);
        vec
    }
}

impl<R: Record> Extend<R> for RecordVec<R> {
    fn extend<I: IntoIterator<Item = R>>(&mut self, iter: I) {
        for record in iter {
            self.push(record);
        }
    }
}

impl<R: Record> fmt::Debug for RecordVec<R>
where
    R::Columns: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordVec")
            .field("record", &R::NAME)
            .field("columns", &self.columns)
            .finish()
    }
}

/// Iterator over a [`RecordVec`]'s records.
pub struct Iter<'a, R: Record> {
    vec: &'a RecordVec<R>,
    index: usize,
}

impl<R: Record> Iterator for Iter<'_, R> {
    type Item = R;
    fn next(&mut self) -> Option<R> {
        let record = self.vec.get(self.index)?;
        self.index += 1;
        Some(record)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.vec.len().saturating_sub(self.index);
        (left, Some(left))
    }
}

impl<R: Record> fmt::Debug for Iter<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").field("index", &self.index).finish()
    }
}

impl<R: Record> ExactSizeIterator for Iter<'_, R> {}
