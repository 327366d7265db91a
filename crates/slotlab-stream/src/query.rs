//! Reading a stream back: the events of a series in a time range, and
//! aggregates over a range that decode only the chunks it cuts through.

use crate::{Batch, Column, Num, Series, SeriesId, ShapeError, Stream, StreamError};

/// Count, sum, min, max and mean of one field's values.
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
}

impl Aggregate {
    const EMPTY: Aggregate = Aggregate {
        count: 0,
        sum: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
    };

    fn of(values: impl IntoIterator<Item = f64>) -> Self {
        values.into_iter().fold(Self::EMPTY, |a, v| Aggregate {
            count: a.count + 1,
            sum: a.sum + v,
            min: a.min.min(v),
            max: a.max.max(v),
        })
    }

    pub(crate) fn of_column(column: &Column) -> Self {
        match column {
            Column::F64(v) => Self::of(v.iter().copied()),
            Column::I64(v) => Self::of(v.iter().map(|&x| x as f64)),
        }
    }

    fn merge(self, other: Aggregate) -> Self {
        Aggregate {
            count: self.count + other.count,
            sum: self.sum + other.sum,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
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
        let s = self.get(series)?;
        let mut out = Batch::empty(&self.schema);
        for chunk in s
            .sealed
            .iter()
            .filter(|c| c.max_ts >= from && c.min_ts <= to)
        {
            let start = out.len();
            chunk.decode_into(&self.schema, &mut out)?;
            if chunk.min_ts < from || chunk.max_ts > to {
                let mut part = split_off(&mut out, start);
                part.keep_range(from, to);
                out.extend_from(&part);
            }
        }
        out.extend_range(&s.head, from, to);
        Ok(out)
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
        let buckets = self.aggregate_every(series, field, from, to, None)?;
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

    /// Count, sum, min and max of field `field` over `from <= timestamp
    /// <= to` in buckets of `every` (aligned to 0: `t.div_euclid(every)`;
    /// `None`: one bucket starting at `from`), in one series or all: a
    /// chunk inside the range and inside one bucket answers from its
    /// summary, any other is decoded.
    pub fn aggregate_every(
        &self,
        series: Option<SeriesId>,
        field: usize,
        from: i64,
        to: i64,
        every: Option<i64>,
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
        let mut out: std::collections::BTreeMap<i64, Aggregate> = std::collections::BTreeMap::new();
        let mut add = |start: i64, a: Aggregate| {
            let slot = out.entry(start).or_insert(Aggregate::EMPTY);
            *slot = slot.merge(a);
        };
        // Events in range, a run of one bucket at a time: each run summed on
        // its own, then merged into its bucket (as a chunk's summary is).
        let add_runs =
            |add: &mut dyn FnMut(i64, Aggregate), timestamps: &[i64], column: &Column| {
                let mut i = 0;
                while i < timestamps.len() {
                    if !(from..=to).contains(&timestamps[i]) {
                        i += 1;
                        continue;
                    }
                    let start = bucket(timestamps[i]);
                    let run_end = timestamps[i..]
                        .iter()
                        .position(|&t| !(from..=to).contains(&t) || bucket(t) != start)
                        .map_or(timestamps.len(), |n| i + n);
                    add(
                        start,
                        Aggregate::of((i..run_end).filter_map(|k| column.get(k).map(Num::as_f64))),
                    );
                    i = run_end;
                }
            };
        let (mut from_summaries, mut decoded) = (0, 0);
        for s in chosen {
            for chunk in s
                .sealed
                .iter()
                .filter(|c| c.max_ts >= from && c.min_ts <= to)
            {
                let inside = from <= chunk.min_ts && chunk.max_ts <= to;
                if inside && bucket(chunk.min_ts) == bucket(chunk.max_ts) {
                    add(bucket(chunk.min_ts), chunk.summaries[field]);
                    from_summaries += 1;
                    continue;
                }
                decoded += 1;
                let mut part = Batch::empty(&self.schema);
                chunk.decode_into(&self.schema, &mut part)?;
                add_runs(&mut add, &part.timestamps, &part.columns[field]);
            }
            add_runs(&mut add, &s.head.timestamps, &s.head.columns[field]);
        }
        Ok(Buckets {
            buckets: out.into_iter().filter(|(_, a)| a.count > 0).collect(),
            from_summaries,
            decoded,
        })
    }
}
