//! What an event holds: a timestamp, then numeric fields named by a
//! schema, each an `f64` or an `i64`.

use super::StreamError;

/// A field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A float (`f64`): readings, prices.
    F64,
    /// An integer (`i64`): counts, sizes, codes.
    I64,
}

impl FieldKind {
    pub(super) fn tag(self) -> u8 {
        match self {
            FieldKind::F64 => 0,
            FieldKind::I64 => 1,
        }
    }

    pub(super) fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(FieldKind::F64),
            1 => Some(FieldKind::I64),
            _ => None,
        }
    }
}

impl std::fmt::Display for FieldKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FieldKind::F64 => "f64",
            FieldKind::I64 => "i64",
        })
    }
}

/// One named field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Its name (unique within a schema).
    pub name: String,
    /// Its type.
    pub kind: FieldKind,
}

impl Field {
    /// A field named `name` of `kind`.
    pub fn new(name: impl Into<String>, kind: FieldKind) -> Self {
        Self {
            name: name.into(),
            kind,
        }
    }
}

/// Why fields cannot make a schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// No field at all.
    #[error("an event needs at least one field")]
    NoFields,
    /// A field with an empty name.
    #[error("field {index} has no name")]
    Unnamed {
        /// Its position.
        index: usize,
    },
    /// Two fields of one name.
    #[error("field name {name:?} appears twice")]
    Duplicate {
        /// The name.
        name: String,
    },
}

/// How events handed to a stream do not fit its schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShapeError {
    /// One event with too many or too few values.
    #[error("{values} values for {fields} fields")]
    ValueCount {
        /// Values given.
        values: usize,
        /// Fields in the schema.
        fields: usize,
    },
    /// A value of the wrong kind.
    #[error("field {field:?} is {expected}, got {got}")]
    ValueKind {
        /// The field.
        field: String,
        /// Its kind.
        expected: FieldKind,
        /// The value's.
        got: FieldKind,
    },
    /// A batch with too many or too few columns.
    #[error("{columns} columns for {fields} fields")]
    ColumnCount {
        /// Columns given.
        columns: usize,
        /// Fields in the schema.
        fields: usize,
    },
    /// A column of the wrong kind.
    #[error("field {field:?} is {expected}, got a column of {got}")]
    ColumnKind {
        /// The field.
        field: String,
        /// Its kind.
        expected: FieldKind,
        /// The column's.
        got: FieldKind,
    },
    /// Columns of different lengths.
    #[error("{timestamps} timestamps, {series} series ids and columns of {columns:?} values")]
    Ragged {
        /// Timestamps given.
        timestamps: usize,
        /// Series ids given.
        series: usize,
        /// Each column's length.
        columns: Vec<usize>,
    },
    /// Rows outside the batch.
    #[error("rows {rows:?} of {events} events")]
    Rows {
        /// The rows asked for.
        rows: std::ops::Range<usize>,
        /// Events in the batch.
        events: usize,
    },
    /// A field index past the schema.
    #[error("no field {field}: the schema has {fields}")]
    NoField {
        /// The index asked for.
        field: usize,
        /// Fields in the schema.
        fields: usize,
    },
}

/// The fields every event of a stream carries, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    fields: Vec<Field>,
}

impl Schema {
    /// A schema of at least one field, names unique and non-empty.
    pub fn new(fields: Vec<Field>) -> Result<Self, StreamError> {
        if fields.is_empty() {
            return Err(SchemaError::NoFields.into());
        }
        for (i, field) in fields.iter().enumerate() {
            if field.name.is_empty() {
                return Err(SchemaError::Unnamed { index: i }.into());
            }
            if fields[..i].iter().any(|f| f.name == field.name) {
                return Err(SchemaError::Duplicate {
                    name: field.name.clone(),
                }
                .into());
            }
        }
        Ok(Self { fields })
    }

    /// A schema known valid when written (the synthetic sources').
    pub(crate) fn known(fields: Vec<Field>) -> Self {
        debug_assert!(Self::new(fields.clone()).is_ok(), "{fields:?}");
        Self { fields }
    }

    /// The lesson's reading: one `f64` named `value`.
    pub fn lesson() -> Self {
        Self {
            fields: vec![Field::new("value", FieldKind::F64)],
        }
    }

    /// The fields.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Where the field called `name` is.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// Raw bytes of one event: the timestamp and every field, 8 each.
    pub fn raw_event_bytes(&self) -> usize {
        8 * (1 + self.fields.len())
    }
}

/// One field's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// A float.
    F64(f64),
    /// An integer.
    I64(i64),
}

impl Num {
    /// As a float (integers beyond 2^53 round).
    pub fn as_f64(self) -> f64 {
        match self {
            Num::F64(v) => v,
            Num::I64(v) => v as f64,
        }
    }

    /// The kind it is.
    pub fn kind(self) -> FieldKind {
        match self {
            Num::F64(_) => FieldKind::F64,
            Num::I64(_) => FieldKind::I64,
        }
    }

    /// Equal bit for bit (NaN equals the same NaN, -0.0 differs from 0.0).
    pub fn same_bits(self, other: Num) -> bool {
        match (self, other) {
            (Num::F64(a), Num::F64(b)) => a.to_bits() == b.to_bits(),
            (Num::I64(a), Num::I64(b)) => a == b,
            _ => false,
        }
    }
}

/// One field's values, in event order.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Floats.
    F64(Vec<f64>),
    /// Integers.
    I64(Vec<i64>),
}

impl Column {
    /// An empty column of `kind`.
    pub fn new(kind: FieldKind) -> Self {
        Self::with_capacity(kind, 0)
    }

    /// An empty column of `kind` with room for `capacity` values.
    pub fn with_capacity(kind: FieldKind, capacity: usize) -> Self {
        match kind {
            FieldKind::F64 => Column::F64(Vec::with_capacity(capacity)),
            FieldKind::I64 => Column::I64(Vec::with_capacity(capacity)),
        }
    }

    /// The kind of values it holds.
    pub fn kind(&self) -> FieldKind {
        match self {
            Column::F64(_) => FieldKind::F64,
            Column::I64(_) => FieldKind::I64,
        }
    }

    /// Values held.
    pub fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::I64(v) => v.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `i`.
    pub fn get(&self, i: usize) -> Option<Num> {
        match self {
            Column::F64(v) => v.get(i).map(|&x| Num::F64(x)),
            Column::I64(v) => v.get(i).map(|&x| Num::I64(x)),
        }
    }

    /// Appends `value`, which must be of the column's kind (checked by
    /// the caller; a mismatch is ignored in release builds).
    pub fn push(&mut self, value: Num) {
        match (self, value) {
            (Column::F64(v), Num::F64(x)) => v.push(x),
            (Column::I64(v), Num::I64(x)) => v.push(x),
            _ => debug_assert!(false, "column kind checked before push"),
        }
    }

    /// Removes every value, keeping the allocation.
    pub fn clear(&mut self) {
        match self {
            Column::F64(v) => v.clear(),
            Column::I64(v) => v.clear(),
        }
    }

    /// Keeps the values whose index passes `keep`.
    pub(super) fn retain_indices(&mut self, keep: &[bool]) {
        match self {
            Column::F64(v) => retain_indices(v, keep),
            Column::I64(v) => retain_indices(v, keep),
        }
    }

    /// Appends every value of `other` (same kind).
    pub fn extend_from(&mut self, other: &Column) {
        self.extend_range(other, 0..other.len());
    }

    /// Makes this `other`'s values in `rows` placed at `dest`: value
    /// `rows.start + i` goes to `dest[i]` (same kind; `dest` a permutation
    /// of `0..rows.len()`, as long as `rows`).
    pub(crate) fn scatter_from(
        &mut self,
        other: &Column,
        rows: std::ops::Range<usize>,
        dest: &[u32],
    ) {
        match (self, other) {
            (Column::F64(v), Column::F64(o)) => scatter(v, &o[rows], dest),
            (Column::I64(v), Column::I64(o)) => scatter(v, &o[rows], dest),
            _ => debug_assert!(false, "columns of one schema share kinds"),
        }
    }

    /// Appends `other`'s values in `range` (same kind; `range` within it).
    pub fn extend_range(&mut self, other: &Column, range: std::ops::Range<usize>) {
        match (self, other) {
            (Column::F64(v), Column::F64(o)) => v.extend_from_slice(&o[range]),
            (Column::I64(v), Column::I64(o)) => v.extend_from_slice(&o[range]),
            _ => debug_assert!(false, "columns of one schema share kinds"),
        }
    }

    /// Appends `other`'s value at `i` (same kind, as
    /// [`Column::extend_range`]).
    #[inline]
    pub(crate) fn push_from(&mut self, other: &Column, i: usize) {
        match (self, other) {
            (Column::F64(v), Column::F64(o)) => v.push(o[i]),
            (Column::I64(v), Column::I64(o)) => v.push(o[i]),
            _ => debug_assert!(false, "columns of one schema share kinds"),
        }
    }

    /// Every value as a float.
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            Column::F64(v) => v.clone(),
            Column::I64(v) => v.iter().map(|&x| x as f64).collect(),
        }
    }
}

/// Makes `into` `from`'s values placed at `dest` (`from[i]` at `dest[i]`;
/// `dest` a permutation of `0..from.len()`).
pub(crate) fn scatter<T: Copy + Default>(into: &mut Vec<T>, from: &[T], dest: &[u32]) {
    into.clear();
    into.resize(from.len(), T::default());
    for (&value, &at) in from.iter().zip(dest) {
        into[at as usize] = value;
    }
}

/// Keeps `values[i]` where `keep[i]`.
pub(crate) fn retain_indices<T>(values: &mut Vec<T>, keep: &[bool]) {
    let mut i = 0;
    values.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_refuse_empty_duplicate_and_unnamed_fields() {
        assert!(Schema::new(vec![]).is_err());
        let dup = Schema::new(vec![
            Field::new("a", FieldKind::F64),
            Field::new("a", FieldKind::I64),
        ]);
        assert!(dup.unwrap_err().to_string().contains("\"a\" appears twice"));
        assert!(Schema::new(vec![Field::new("", FieldKind::F64)]).is_err());
        let s = Schema::new(vec![
            Field::new("price", FieldKind::F64),
            Field::new("size", FieldKind::I64),
        ])
        .unwrap();
        assert_eq!((s.index_of("size"), s.raw_event_bytes()), (Some(1), 24));
    }
}
