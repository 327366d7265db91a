//! Appending events to a stream: one by one, or a batch's rows in order;
//! every path checks the shape, refuses an event older than its series'
//! last, and seals a head when it is full.

use crate::{Batch, Column, Num, SeriesId, ShapeError, Stream, StreamError};

impl Stream {
    /// Appends one event to `series`; a full head chunk is sealed. An event
    /// older than the series' last, or not shaped like the schema, is
    /// refused, and nothing already accepted is touched.
    pub fn append(
        &mut self,
        series: SeriesId,
        timestamp: i64,
        values: &[Num],
    ) -> Result<(), StreamError> {
        let fields = self.schema.fields();
        if values.len() != fields.len() {
            return Err(ShapeError::ValueCount {
                values: values.len(),
                fields: fields.len(),
            }
            .into());
        }
        if let Some((field, value)) = fields.iter().zip(values).find(|(f, v)| f.kind != v.kind()) {
            return Err(ShapeError::ValueKind {
                field: field.name.clone(),
                expected: field.kind,
                got: value.kind(),
            }
            .into());
        }
        self.push(series, timestamp, |head| {
            for (column, &value) in head.iter_mut().zip(values) {
                column.push(value);
            }
        })
    }

    /// Appends the events `rows` of a batch — event `i` is series
    /// `series[i]` at `batch.timestamps[i]` with `batch.columns[f][i]` per
    /// field — as [`Stream::append`] would one by one, with the shape
    /// checked once. On an error the events before the one refused are kept.
    pub fn append_columns(
        &mut self,
        series: &[SeriesId],
        batch: &Batch,
        rows: std::ops::Range<usize>,
    ) -> Result<(), StreamError> {
        self.check_batch(series.len(), batch)?;
        let (timestamps, columns) = (&batch.timestamps, &batch.columns);
        let n = timestamps.len();
        if rows.start > rows.end || rows.end > n {
            return Err(ShapeError::Rows { rows, events: n }.into());
        }
        for i in rows {
            let (id, t) = (series[i], timestamps[i]);
            self.push(id, t, |head| {
                for (column, values) in head.iter_mut().zip(columns) {
                    column.push_from(values, i);
                }
            })?;
        }
        Ok(())
    }

    /// Checks that `batch` has the schema's columns, of its kinds, and as
    /// many events in each as `series` (one series id per event).
    pub(crate) fn check_batch(&self, series: usize, batch: &Batch) -> Result<(), StreamError> {
        let (timestamps, columns) = (&batch.timestamps, &batch.columns);
        let fields = self.schema.fields();
        if columns.len() != fields.len() {
            return Err(ShapeError::ColumnCount {
                columns: columns.len(),
                fields: fields.len(),
            }
            .into());
        }
        if let Some((field, column)) = fields.iter().zip(columns).find(|(f, c)| f.kind != c.kind())
        {
            return Err(ShapeError::ColumnKind {
                field: field.name.clone(),
                expected: field.kind,
                got: column.kind(),
            }
            .into());
        }
        let n = timestamps.len();
        if series != n || columns.iter().any(|c| c.len() != n) {
            return Err(ShapeError::Ragged {
                timestamps: n,
                series,
                columns: columns.iter().map(Column::len).collect(),
            }
            .into());
        }
        Ok(())
    }

    /// Makes room in `series`' head for `events` more (at most a chunk's
    /// worth), so appending them grows it once.
    pub(crate) fn reserve_head(&mut self, series: SeriesId, events: usize) {
        let room = events.min(self.config.chunk_len);
        if let Some(s) = self.series.get_mut(series.index()) {
            s.head.reserve(room.saturating_sub(s.head.len()));
        }
    }

    /// Appends one event whose values `fill` pushes onto the head's
    /// columns (already checked against the schema).
    fn push(
        &mut self,
        series: SeriesId,
        timestamp: i64,
        fill: impl FnOnce(&mut [Column]),
    ) -> Result<(), StreamError> {
        let accepted = self.len;
        let Some(s) = self.series.get_mut(series.index()) else {
            return Err(StreamError::UnknownSeries(series.0));
        };
        if let Some(last) = s.last.filter(|last| timestamp < *last) {
            return Err(StreamError::Backwards {
                series: s.key.clone(),
                timestamp,
                last,
                accepted,
            });
        }
        if let (Some(span), Some(&first)) = (self.span, s.head.timestamps.first())
            && first.div_euclid(span) != timestamp.div_euclid(span)
        {
            self.seal_series(series)?;
        }
        let Some(s) = self.series.get_mut(series.index()) else {
            return Err(StreamError::UnknownSeries(series.0));
        };
        s.head.timestamps.push(timestamp);
        fill(&mut s.head.columns);
        s.last = Some(timestamp);
        self.len += 1;
        if s.head.len() >= self.config.chunk_len {
            self.seal_series(series)?;
        }
        Ok(())
    }
}
