//! Appending events to a stream: one by one, or a batch's rows in order;
//! every path checks the shape, refuses an event older than its series'
//! last, and seals a head when it is full.

use crate::{Batch, Column, Num, SeriesId, ShapeError, Stream, StreamError};

/// Events grouped by series at a time by [`Stream::append_grouped`]: the
/// window's scratch copy (128 KiB a column) stays in cache.
const GROUP_WINDOW: usize = 16384;

/// What [`Stream::append_grouped`] reuses from call to call, so a call
/// costs its events, not the stream's series count: per series the end of
/// its run in the window (all zero between windows), the series the window
/// holds, each event's place, and the window copied in series order.
#[derive(Debug, Default)]
pub(crate) struct Grouping {
    ends: Vec<u32>,
    seen: Vec<SeriesId>,
    dest: Vec<u32>,
    scratch: Option<Batch>,
}

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
        self.check_rows(series, batch, &rows)?;
        self.append_order(batch, rows.map(|i| (series[i], i)))
    }

    /// Appends the batch's events `(series, index)` of `order` (indices
    /// checked to lie within it), in that order, one by one.
    fn append_order(
        &mut self,
        batch: &Batch,
        order: impl IntoIterator<Item = (SeriesId, usize)>,
    ) -> Result<(), StreamError> {
        let (timestamps, columns) = (&batch.timestamps, &batch.columns);
        for (id, i) in order {
            let t = timestamps[i];
            self.push(id, t, |head| {
                for (column, values) in head.iter_mut().zip(columns) {
                    column.push_from(values, i);
                }
            })?;
        }
        Ok(())
    }

    /// Appends the events `rows` of a batch, as [`Stream::append_columns`]
    /// does, but a window of 16,384 events at a time grouped by
    /// series: the window is copied into a scratch batch in series order
    /// (a counting sort; each series keeps its events' order), and each
    /// series' run goes onto its head whole, with every check of
    /// [`Stream::append`]. One pass in order instead writes a value per
    /// head here and there — half of building a stream from interleaved
    /// series. When an event is refused, events of other series after it
    /// may have been kept: for callers that give up on an error.
    pub fn append_grouped(
        &mut self,
        series: &[SeriesId],
        batch: &Batch,
        rows: std::ops::Range<usize>,
    ) -> Result<(), StreamError> {
        self.check_rows(series, batch, &rows)?;
        // The scratch is taken while appending (an error drops it, with
        // whatever a half-done window left in it) and put back after.
        let mut g = std::mem::take(&mut self.grouping);
        g.ends.resize(self.series.len(), 0);
        let scratch = g.scratch.get_or_insert_with(|| Batch::empty(&self.schema));
        let first = rows.start;
        for (w, window) in series[rows].chunks(GROUP_WINDOW).enumerate() {
            for &id in window {
                let Some(count) = g.ends.get_mut(id.index()) else {
                    return Err(StreamError::UnknownSeries(id.0));
                };
                if *count == 0 {
                    g.seen.push(id);
                }
                *count += 1;
            }
            let start = first + w * GROUP_WINDOW;
            let rows = start..start + window.len();
            if let [id] = g.seen[..] {
                // One series: the window is its run already.
                self.append_run(id, batch, rows)?;
                g.ends[id.index()] = 0;
                g.seen.clear();
                continue;
            }
            let mut end = 0;
            for id in &g.seen {
                end += g.ends[id.index()];
                g.ends[id.index()] = end;
            }
            // Each event's place, its series' later events after it.
            g.dest.clear();
            g.dest.resize(window.len(), 0);
            for (place, id) in g.dest.iter_mut().zip(window).rev() {
                let at = &mut g.ends[id.index()];
                *at -= 1;
                *place = *at;
            }
            scratch.scatter_from(batch, rows, &g.dest);
            // `ends` now holds each series' start; its run ends where
            // the next series seen starts.
            for (k, id) in g.seen.iter().enumerate() {
                let start = g.ends[id.index()] as usize;
                let end = g
                    .seen
                    .get(k + 1)
                    .map_or(window.len(), |next| g.ends[next.index()] as usize);
                self.append_run(*id, scratch, start..end)?;
            }
            for id in g.seen.drain(..) {
                g.ends[id.index()] = 0;
            }
        }
        self.grouping = g;
        Ok(())
    }

    /// Appends `batch`'s events `rows`, all of `series`, in order: whole
    /// while the head has room, event by event where a check needs it
    /// (a timestamp going back, chunks cut at span boundaries).
    fn append_run(
        &mut self,
        series: SeriesId,
        batch: &Batch,
        rows: std::ops::Range<usize>,
    ) -> Result<(), StreamError> {
        let Some(s) = self.series.get(series.index()) else {
            return Err(StreamError::UnknownSeries(series.0));
        };
        let run = &batch.timestamps[rows.clone()];
        let in_order = s
            .last
            .is_none_or(|last| run.first().is_none_or(|&t| t >= last))
            && run.is_sorted();
        if !in_order || self.span.is_some() {
            return self.append_order(batch, rows.map(|i| (series, i)));
        }
        let mut rest = rows;
        while let Some(s) = self.series.get_mut(series.index())
            && !rest.is_empty()
        {
            let room = self.config.chunk_len.saturating_sub(s.head.len()).max(1);
            let now = rest.start..rest.end.min(rest.start + room);
            let head = &mut s.head;
            head.timestamps
                .extend_from_slice(&batch.timestamps[now.clone()]);
            for (column, values) in head.columns.iter_mut().zip(&batch.columns) {
                column.extend_range(values, now.clone());
            }
            s.last = head.timestamps.last().copied();
            self.len += now.len();
            if head.len() >= self.config.chunk_len {
                self.seal_series(series)?;
            }
            rest.start = now.end;
        }
        Ok(())
    }

    /// [`Stream::check_batch`], and that `rows` lie within the batch.
    fn check_rows(
        &self,
        series: &[SeriesId],
        batch: &Batch,
        rows: &std::ops::Range<usize>,
    ) -> Result<(), StreamError> {
        self.check_batch(series.len(), batch)?;
        let n = batch.timestamps.len();
        if rows.start > rows.end || rows.end > n {
            return Err(ShapeError::Rows {
                rows: rows.clone(),
                events: n,
            }
            .into());
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

#[cfg(test)]
mod tests {
    use super::GROUP_WINDOW;
    use crate::source::{SyntheticSource, Ticks};
    use crate::{Batch, Column, SeriesId, Stream, StreamConfig, StreamError};

    /// `n` events over `series` series picked pseudo-randomly, each
    /// series' timestamps rising (some repeated), two fields.
    fn events(n: usize, series: u32) -> (Vec<SeriesId>, Batch) {
        let (mut ids, mut batch) = (
            Vec::new(),
            Batch {
                timestamps: Vec::new(),
                columns: vec![Column::F64(Vec::new()), Column::I64(Vec::new())],
            },
        );
        let mut last = vec![0i64; series as usize];
        let mut x = 12345u64;
        for i in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let s = (x >> 33) as u32 % series;
            last[s as usize] += (x >> 60) as i64 % 3;
            ids.push(SeriesId(s));
            batch.timestamps.push(last[s as usize]);
            if let [Column::F64(f), Column::I64(v)] = &mut batch.columns[..] {
                f.push(i as f64 * 0.5);
                v.push((x >> 40) as i64);
            }
        }
        (ids, batch)
    }

    fn stream(series: u32, chunk_len: usize, span: Option<i64>) -> Stream {
        // Ticks' fields: a float and an integer column.
        let schema = Ticks::default().schema();
        let mut s = Stream::new(
            schema,
            StreamConfig {
                chunk_len,
                ..StreamConfig::default()
            },
        );
        for k in 0..series {
            s.series(&k.to_string());
        }
        s.set_chunk_span(span);
        s
    }

    fn scans(s: &Stream, series: u32) -> Vec<Batch> {
        (0..series)
            .map(|k| s.scan(SeriesId(k), i64::MIN, i64::MAX).unwrap())
            .collect()
    }

    #[test]
    fn grouped_appends_keep_every_series_as_one_by_one_would() {
        let n = 2 * GROUP_WINDOW + 1234;
        for (series, chunk_len, span) in [
            (7, 1000, None),
            (7, 1000, Some(50)),
            (1, 777, None),
            (300, 65536, None),
        ] {
            let (ids, batch) = events(n, series);
            let mut one_by_one = stream(series, chunk_len, span);
            one_by_one.append_columns(&ids, &batch, 0..n).unwrap();
            let mut grouped = stream(series, chunk_len, span);
            // In two ranges, the first ending inside a window.
            let cut = GROUP_WINDOW + 4321;
            grouped.append_grouped(&ids, &batch, 0..cut).unwrap();
            grouped.append_grouped(&ids, &batch, cut..n).unwrap();
            assert_eq!(grouped.len(), n);
            assert_eq!(
                grouped.sealed_chunks(),
                one_by_one.sealed_chunks(),
                "{series} series"
            );
            assert_eq!(
                scans(&grouped, series),
                scans(&one_by_one, series),
                "{series} series"
            );
            grouped.seal().unwrap();
            one_by_one.seal().unwrap();
            assert_eq!(grouped.bytes(), one_by_one.bytes(), "{series} series");
        }
    }

    #[test]
    fn grouped_appends_refuse_what_one_by_one_would() {
        let (mut ids, mut batch) = events(GROUP_WINDOW + 10, 5);
        let back = GROUP_WINDOW + 3;
        batch.timestamps[back] = -1;
        let err = stream(5, 1000, None)
            .append_grouped(&ids, &batch, 0..ids.len())
            .unwrap_err();
        assert!(
            matches!(err, StreamError::Backwards { timestamp: -1, .. }),
            "{err}"
        );
        batch.timestamps[back] = i64::MAX;
        ids[back] = SeriesId(5);
        let err = stream(5, 1000, None)
            .append_grouped(&ids, &batch, 0..ids.len())
            .unwrap_err();
        assert_eq!(err, StreamError::UnknownSeries(5));
        ids.pop();
        let err = stream(5, 1000, None)
            .append_grouped(&ids, &batch, 0..ids.len())
            .unwrap_err();
        assert!(err.to_string().contains("series"), "{err}");
    }
}
