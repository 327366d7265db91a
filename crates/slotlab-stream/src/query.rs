//! Reading a stream back: the events of a series in a time range, and
//! aggregates over a range that decode only the chunks it cuts through.

use crate::chunk::SealedChunk;
use crate::{Batch, Column, Num, Series, SeriesId, ShapeError, Stream, StreamError};
use std::collections::BTreeMap;

/// Count, sum, min, max and mean of one field's values, and the values
/// at the first and last timestamps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aggregate {
    /// Events.
    pub count: usize,
    /// Sum of values (per chunk, then across chunks).
    pub sum: f64,
    /// Smallest value (`+inf` when empty).
    pub min: f64,
    /// Largest value (`-inf` when empty).
    pub max: f64,
    /// The earliest event's timestamp and value (of equal timestamps, the
    /// one stored first); `None` when empty, and in a chunk's summary.
    pub first: Option<(i64, f64)>,
    /// The latest event's timestamp and value (of equal timestamps, the
    /// one stored last).
    pub last: Option<(i64, f64)>,
}

impl Aggregate {
    pub(crate) const EMPTY: Aggregate = Aggregate {
        count: 0,
        sum: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        first: None,
        last: None,
    };

    /// Events `range` of a run (timestamps in order, their values).
    fn of_run(timestamps: &[i64], column: &Column, range: std::ops::Range<usize>) -> Self {
        let (a, b) = (range.start, range.end);
        let mut out = match column {
            Column::F64(v) => Self::of(&v[a..b], |x| x),
            Column::I64(v) => Self::of(&v[a..b], |x| x as f64),
        };
        if a < b {
            let value = |k: usize| column.get(k).map_or(f64::NAN, Num::as_f64);
            out.first = Some((timestamps[a], value(a)));
            out.last = Some((timestamps[b - 1], value(b - 1)));
        }
        out
    }

    fn of<T: Copy>(values: &[T], float: impl Fn(T) -> f64) -> Self {
        // Plain locals, eight lanes each: one running sum (or min, or max)
        // waits on the add before it, four cycles a value; eight lanes
        // run side by side. (Folding the whole struct, its `first` and
        // `last` carried along, kept it in memory: an eighth of sealing.)
        const LANES: usize = 8;
        let mut sum = [0.0; LANES];
        let mut min = [f64::INFINITY; LANES];
        let mut max = [f64::NEG_INFINITY; LANES];
        let mut add = |lane: usize, v: f64| {
            sum[lane] += v;
            min[lane] = min[lane].min(v);
            max[lane] = max[lane].max(v);
        };
        let lanes = values.chunks_exact(LANES);
        let rest = lanes.remainder();
        for group in lanes {
            for (lane, &v) in group.iter().enumerate() {
                add(lane, float(v));
            }
        }
        for (lane, &v) in rest.iter().enumerate() {
            add(lane, float(v));
        }
        Aggregate {
            count: values.len(),
            sum: sum.iter().sum(),
            min: min.iter().copied().fold(f64::INFINITY, f64::min),
            max: max.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ..Self::EMPTY
        }
    }

    /// A chunk's summary (first and last are not kept in it).
    pub(crate) fn of_column(column: &Column) -> Self {
        match column {
            Column::F64(v) => Self::of(v, |x| x),
            Column::I64(v) => Self::of(v, |x| x as f64),
        }
    }

    /// Both together; `other` holds events stored after this one's.
    fn merge(self, other: Aggregate) -> Self {
        let first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        let last = match (self.last, other.last) {
            (Some(a), Some(b)) => Some(if b.0 >= a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        Aggregate {
            count: self.count + other.count,
            sum: self.sum + other.sum,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
            first,
            last,
        }
    }

    /// `sum / count`, `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

impl Stream {
    /// The events of `series` with `from <= timestamp <= to`, decoded;
    /// chunks wholly outside the range are skipped without decoding.
    pub fn scan(&self, series: SeriesId, from: i64, to: i64) -> Result<Batch, StreamError> {
        let mut out = Batch::empty(&self.schema);
        self.scan_into(series, from, to, &mut out)?;
        Ok(out)
    }

    /// [`Stream::scan`], the events appended to `out` (a batch of this
    /// stream's schema).
    pub fn scan_into(
        &self,
        series: SeriesId,
        from: i64,
        to: i64,
        out: &mut Batch,
    ) -> Result<(), StreamError> {
        let s = self.get(series)?;
        let touched = |c: &&crate::chunk::SealedChunk| c.max_ts >= from && c.min_ts <= to;
        // Room for every chunk the range touches, at once: growing the
        // output chunk by chunk copied it over and over.
        out.reserve(
            s.sealed
                .iter()
                .filter(touched)
                .map(|c| c.count)
                .sum::<usize>()
                + s.head.len(),
        );
        for chunk in s.sealed.iter().filter(touched) {
            let start = out.len();
            chunk.decode_into(&self.schema, out)?;
            if chunk.min_ts < from || chunk.max_ts > to {
                let mut part = split_off(out, start);
                part.keep_range(from, to);
                out.extend_from(&part);
            }
        }
        out.extend_range(&s.head, from, to);
        Ok(())
    }

    /// Every timestamp of `series`, in order, appended to `out`: only the
    /// timestamp columns are decoded (a check of what was stored that needs
    /// no fields, such as a sum of timestamps, reads a third as much).
    pub fn timestamps_into(&self, series: SeriesId, out: &mut Vec<i64>) -> Result<(), StreamError> {
        let s = self.get(series)?;
        out.reserve(s.sealed.iter().map(|c| c.count).sum::<usize>() + s.head.len());
        for chunk in &s.sealed {
            chunk.decode_timestamps(out)?;
        }
        out.extend_from_slice(&s.head.timestamps);
        Ok(())
    }

    /// Count, sum, min, max of field `field` over `from <= timestamp <= to`,
    /// in one series or (`None`) all of them: chunks inside the range answer
    /// from their summaries, only the chunks it cuts through are decoded.
    pub fn aggregate(
        &self,
        series: Option<SeriesId>,
        field: usize,
        from: i64,
        to: i64,
    ) -> Result<Aggregate, StreamError> {
        // One bucket: the whole range.
        let buckets = self.aggregate_every(series, field, from, to, None, true)?;
        Ok(buckets
            .buckets
            .into_iter()
            .fold(Aggregate::EMPTY, |total, (_, a)| total.merge(a)))
    }
}

/// The events of `batch` from `start` on, removed into their own batch.
fn split_off(batch: &mut Batch, start: usize) -> Batch {
    Batch {
        timestamps: batch.timestamps.split_off(start),
        columns: batch
            .columns
            .iter_mut()
            .map(|c| match c {
                Column::F64(v) => Column::F64(v.split_off(start)),
                Column::I64(v) => Column::I64(v.split_off(start)),
            })
            .collect(),
    }
}

/// A series at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesSummary {
    /// Its key.
    pub key: String,
    /// Events held (sealed and open).
    pub events: usize,
    /// Sealed chunks.
    pub chunks: usize,
    /// First and last timestamp, when it holds any event.
    pub range: Option<(i64, i64)>,
}

/// Aggregates per time bucket, and how they were answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    /// Each bucket's start and its aggregate, in time order (empty buckets
    /// left out).
    pub buckets: Vec<(i64, Aggregate)>,
    /// Sealed chunks answered from their summaries alone.
    pub from_summaries: usize,
    /// Sealed chunks decoded (the range or a bucket boundary cuts them).
    pub decoded: usize,
    /// Chunks answered from summaries, decoded as well for a bucket's
    /// first or last value (at most two per bucket).
    pub ends_decoded: usize,
}

impl Stream {
    /// Series `id` at a glance.
    pub fn series_summary(&self, id: SeriesId) -> Result<SeriesSummary, StreamError> {
        let s = self.get(id)?;
        let first = s
            .sealed
            .front()
            .map(|c| c.min_ts)
            .or_else(|| s.head.timestamps.first().copied());
        let last = s
            .head
            .timestamps
            .last()
            .copied()
            .or_else(|| s.sealed.back().map(|c| c.max_ts));
        Ok(SeriesSummary {
            key: s.key.clone(),
            events: s.sealed.iter().map(|c| c.count).sum::<usize>() + s.head.len(),
            chunks: s.sealed.len(),
            range: first.zip(last),
        })
    }

    /// Count, sum, min, max, first and last of field `field` over `from <=
    /// timestamp <= to` in buckets of `every` (aligned to 0:
    /// `t.div_euclid(every)`; `None`: one bucket starting at `from`), in
    /// one series or all: a chunk inside the range and inside one bucket
    /// answers from its summary, any other is decoded — and so is a
    /// summary chunk that holds a series' first or last event in a bucket.
    /// Across series, of equal timestamps, `first` takes the earlier series
    /// and `last` the later. Without `ends`, nothing is decoded for them
    /// and they are `None`.
    pub fn aggregate_every(
        &self,
        series: Option<SeriesId>,
        field: usize,
        from: i64,
        to: i64,
        every: Option<i64>,
        ends: bool,
    ) -> Result<Buckets, StreamError> {
        if field >= self.schema.fields().len() {
            return Err(ShapeError::NoField {
                field,
                fields: self.schema.fields().len(),
            }
            .into());
        }
        let bucket = |t: i64| match every {
            Some(every) if every > 0 => t.div_euclid(every) * every,
            _ => from,
        };
        let chosen: Vec<&Series> = match series {
            Some(id) => vec![self.get(id)?],
            None => self.series.iter().collect(),
        };
        let mut out: BTreeMap<i64, Aggregate> = BTreeMap::new();
        let (mut from_summaries, mut decoded, mut ends_decoded) = (0, 0, 0);
        for s in chosen {
            // This series' buckets, in storage order (so in time order):
            // a bucket's first event is in its first contribution, its last
            // in its last. A chunk answered from its summary does not keep
            // them: it is decoded for them when it comes first or last.
            let mut mine: BTreeMap<i64, Bucket<'_>> = BTreeMap::new();
            for chunk in s
                .sealed
                .iter()
                .filter(|c| c.max_ts >= from && c.min_ts <= to)
            {
                let inside = from <= chunk.min_ts && chunk.max_ts <= to;
                if inside && bucket(chunk.min_ts) == bucket(chunk.max_ts) {
                    mine.entry(bucket(chunk.min_ts))
                        .or_default()
                        .add_summary(chunk, chunk.summaries[field]);
                    from_summaries += 1;
                    continue;
                }
                decoded += 1;
                let mut part = Batch::empty(&self.schema);
                chunk.decode_into(&self.schema, &mut part)?;
                add_runs(
                    &mut mine,
                    &bucket,
                    (from, to),
                    &part.timestamps,
                    &part.columns[field],
                );
            }
            add_runs(
                &mut mine,
                &bucket,
                (from, to),
                &s.head.timestamps,
                &s.head.columns[field],
            );
            for (start, b) in mine {
                let a = if ends {
                    b.resolve(&self.schema, field, &mut ends_decoded)?
                } else {
                    Aggregate {
                        first: None,
                        last: None,
                        ..b.total.unwrap_or(Aggregate::EMPTY)
                    }
                };
                let slot = out.entry(start).or_insert(Aggregate::EMPTY);
                *slot = slot.merge(a);
            }
        }
        Ok(Buckets {
            buckets: out.into_iter().filter(|(_, a)| a.count > 0).collect(),
            from_summaries,
            decoded,
            ends_decoded,
        })
    }
}

/// One series' bucket while it is gathered.
#[derive(Default)]
struct Bucket<'a> {
    total: Option<Aggregate>,
    /// The chunk holding the first event, when a summary answered for it.
    first_in: Option<&'a SealedChunk>,
    /// The chunk holding the last event, likewise.
    last_in: Option<&'a SealedChunk>,
}

impl<'a> Bucket<'a> {
    /// Adds the next events in storage order.
    fn add(&mut self, a: Aggregate) {
        self.total = Some(self.total.map_or(a, |t| t.merge(a)));
        self.last_in = None;
    }

    /// Adds a chunk answered from its summary.
    fn add_summary(&mut self, chunk: &'a SealedChunk, summary: Aggregate) {
        if self.total.is_none() {
            self.first_in = Some(chunk);
        }
        self.add(summary);
        self.last_in = Some(chunk);
    }

    /// The aggregate, first and last decoded where a summary stood for them.
    fn resolve(
        self,
        schema: &crate::Schema,
        field: usize,
        decodes: &mut usize,
    ) -> Result<Aggregate, StreamError> {
        let mut total = self.total.unwrap_or(Aggregate::EMPTY);
        let mut edge =
            |chunk: &SealedChunk, first: bool| -> Result<Option<(i64, f64)>, StreamError> {
                *decodes += 1;
                let mut part = Batch::empty(schema);
                chunk.decode_into(schema, &mut part)?;
                let n = part.len();
                let run = if first {
                    0..n.min(1)
                } else {
                    n.saturating_sub(1)..n
                };
                let one = Aggregate::of_run(&part.timestamps, &part.columns[field], run);
                Ok(if first { one.first } else { one.last })
            };
        if let Some(chunk) = self.first_in {
            total.first = edge(chunk, true)?;
        }
        if let Some(chunk) = self.last_in {
            total.last = edge(chunk, false)?;
        }
        Ok(total)
    }
}

/// The events of a run in range into their buckets, a stretch of one
/// bucket at a time (each summed on its own, then merged, as a chunk's
/// summary is).
fn add_runs(
    mine: &mut BTreeMap<i64, Bucket<'_>>,
    bucket: &dyn Fn(i64) -> i64,
    (from, to): (i64, i64),
    timestamps: &[i64],
    column: &Column,
) {
    let mut i = 0;
    while i < timestamps.len() {
        if !(from..=to).contains(&timestamps[i]) {
            i += 1;
            continue;
        }
        let start = bucket(timestamps[i]);
        let end = timestamps[i..]
            .iter()
            .position(|&t| !(from..=to).contains(&t) || bucket(t) != start)
            .map_or(timestamps.len(), |n| i + n);
        mine.entry(start)
            .or_default()
            .add(Aggregate::of_run(timestamps, column, i..end));
        i = end;
    }
}
