//! A batch of decoded events: a timestamp column and one column per
//! schema field, kept, filtered and extended together.

use crate::schema::{retain_indices, scatter};
use crate::{Column, Num, Schema};

/// Events of one series, decoded: a timestamp column and one column per
/// field.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Timestamps, in order.
    pub timestamps: Vec<i64>,
    /// One column per schema field.
    pub columns: Vec<Column>,
}

impl Batch {
    /// Makes this `other`'s events in `rows` placed at `dest` (see
    /// [`Column::scatter_from`]); same schema.
    pub(crate) fn scatter_from(
        &mut self,
        other: &Batch,
        rows: std::ops::Range<usize>,
        dest: &[u32],
    ) {
        scatter(&mut self.timestamps, &other.timestamps[rows.clone()], dest);
        for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
            mine.scatter_from(theirs, rows.clone(), dest);
        }
    }

    /// Removes every event, keeping the allocations (a reader refilling
    /// one batch allocates once).
    pub fn clear(&mut self) {
        self.timestamps.clear();
        self.columns.iter_mut().for_each(Column::clear);
    }

    /// Keeps the events whose index passes `keep`.
    pub(crate) fn retain_indices(&mut self, keep: &[bool]) {
        retain_indices(&mut self.timestamps, keep);
        for column in &mut self.columns {
            column.retain_indices(keep);
        }
    }

    /// Makes room for `additional` more events in every column.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.timestamps.reserve(additional);
        for column in &mut self.columns {
            match column {
                Column::F64(v) => v.reserve(additional),
                Column::I64(v) => v.reserve(additional),
            }
        }
    }

    /// An empty batch for `schema`.
    pub fn empty(schema: &Schema) -> Self {
        Self::with_capacity(schema, 0)
    }

    /// An empty batch for `schema`, room for `capacity` events.
    pub fn with_capacity(schema: &Schema, capacity: usize) -> Self {
        Self {
            timestamps: Vec::with_capacity(capacity),
            columns: schema
                .fields()
                .iter()
                .map(|f| Column::with_capacity(f.kind, capacity))
                .collect(),
        }
    }

    /// Events held.
    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }

    /// Event `i`'s field values.
    pub fn row(&self, i: usize) -> Vec<Num> {
        self.columns.iter().filter_map(|c| c.get(i)).collect()
    }

    /// Keeps the events with `from <= timestamp <= to`.
    pub(crate) fn keep_range(&mut self, from: i64, to: i64) {
        let keep: Vec<bool> = self
            .timestamps
            .iter()
            .map(|t| (from..=to).contains(t))
            .collect();
        if keep.iter().all(|&k| k) {
            return;
        }
        self.retain_indices(&keep);
    }

    /// Appends the events of `other` (same schema) with
    /// `from <= timestamp <= to`.
    pub(crate) fn extend_range(&mut self, other: &Batch, from: i64, to: i64) {
        for (i, t) in other.timestamps.iter().enumerate() {
            if (from..=to).contains(t) {
                self.timestamps.push(*t);
                for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
                    if let Some(value) = theirs.get(i) {
                        mine.push(value);
                    }
                }
            }
        }
    }

    /// Appends every event of `other` (same schema).
    pub(crate) fn extend_from(&mut self, other: &Batch) {
        self.timestamps.extend_from_slice(&other.timestamps);
        for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
            mine.extend_from(theirs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_a_range_across_columns() {
        let mut b = Batch {
            timestamps: vec![1, 2, 3, 4],
            columns: vec![
                Column::F64(vec![0.1, 0.2, 0.3, 0.4]),
                Column::I64(vec![10, 20, 30, 40]),
            ],
        };
        b.keep_range(2, 3);
        assert_eq!(b.timestamps, [2, 3]);
        assert_eq!(b.row(1), [Num::F64(0.3), Num::I64(30)]);
        assert!(Num::F64(f64::NAN).same_bits(Num::F64(f64::NAN)));
        assert!(!Num::F64(-0.0).same_bits(Num::F64(0.0)));
    }
}
