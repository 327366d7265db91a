//! The write-ahead log's records: each framed as `len u32`, `crc u32`,
//! body, the body's first byte its kind.
//!
//! - series: `id u32`, `base u64` (its events before this log's), key.
//! - events: `runs u32`, then per run `series u32`, `first u64` (the
//!   series' index of the run's first event), `n u32`; then per run its
//!   `n` timestamps and, field by field, its `n` values (8 bytes each).
//!   A batch's events are grouped by series, each series' in order.
//! - position: `seq u64`, name — how far the store has applied an outside
//!   source (a broker partition), made durable with the events it covers.
//! - events at a position: `seq u64`, name length `u16`, name, then an
//!   events record's body: the events and the position in one record, so
//!   a torn tail keeps both or neither.

use crate::{Batch, Column, FieldKind, Num, Schema, SeriesId};
use std::ops::Range;

pub(super) const SERIES: u8 = 1;
pub(super) const EVENTS: u8 = 2;
pub(super) const POSITION: u8 = 3;
pub(super) const EVENTS_AT: u8 = 4;

/// Frames the body `body` writes at the end of `out`.
pub(super) fn frame(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0; 8]);
    body(out);
    let len = u32::try_from(out.len() - at - 8).unwrap_or(u32::MAX);
    let crc = crc32fast::hash(&out[at + 8..]);
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    out[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
}

/// A series record.
pub(super) fn series(out: &mut Vec<u8>, id: u32, base: u64, key: &str) {
    frame(out, |b| {
        b.push(SERIES);
        b.extend_from_slice(&id.to_le_bytes());
        b.extend_from_slice(&base.to_le_bytes());
        b.extend_from_slice(key.as_bytes());
    });
}

/// Scratch for grouping a batch's rows by series.
#[derive(Debug, Default)]
pub(super) struct Grouping {
    /// Per series: its run's number in this batch, or `u32::MAX`.
    slot: Vec<u32>,
    /// (series, events) per run.
    runs: Vec<(u32, u32)>,
    /// The rows, run by run.
    order: Vec<usize>,
}

/// An events record for `rows` of `batch`, row `i` of series `ids[i]`;
/// `counts` (events per series so far) gives each run its first index
/// and is advanced past it.
pub(super) fn events(
    out: &mut Vec<u8>,
    g: &mut Grouping,
    ids: &[SeriesId],
    batch: &Batch,
    rows: Range<usize>,
    counts: &mut [u64],
    position: Option<(&str, u64)>,
) {
    if rows.is_empty() {
        if let Some((name, seq)) = position {
            self::position(out, name, seq);
        }
        return;
    }
    g.runs.clear();
    for id in &ids[rows.clone()] {
        let s = id.index();
        if g.slot.len() <= s {
            g.slot.resize(s + 1, u32::MAX);
        }
        if g.slot[s] == u32::MAX {
            g.slot[s] = g.runs.len() as u32;
            g.runs.push((s as u32, 0));
        }
        g.runs[g.slot[s] as usize].1 += 1;
    }
    // Where each run starts in `order`, then the rows placed there in turn.
    let mut next: Vec<usize> = Vec::with_capacity(g.runs.len());
    let mut at = 0;
    for &(_, n) in &g.runs {
        next.push(at);
        at += n as usize;
    }
    g.order.clear();
    g.order.resize(rows.len(), 0);
    for row in rows {
        let run = g.slot[ids[row].index()] as usize;
        g.order[next[run]] = row;
        next[run] += 1;
    }
    let (runs, order) = (&g.runs, &g.order);
    frame(out, |b| {
        match position {
            None => b.push(EVENTS),
            Some((name, seq)) => {
                let name = &name.as_bytes()[..name.len().min(u16::MAX as usize)];
                b.push(EVENTS_AT);
                b.extend_from_slice(&seq.to_le_bytes());
                b.extend_from_slice(&(name.len() as u16).to_le_bytes());
                b.extend_from_slice(name);
            }
        }
        b.extend_from_slice(&(runs.len() as u32).to_le_bytes());
        for &(s, n) in runs {
            b.extend_from_slice(&s.to_le_bytes());
            b.extend_from_slice(&counts[s as usize].to_le_bytes());
            b.extend_from_slice(&n.to_le_bytes());
            counts[s as usize] += u64::from(n);
        }
        b.reserve(order.len() * 8 * (1 + batch.columns.len()));
        let mut from = 0;
        for &(_, n) in runs {
            let rows = &order[from..from + n as usize];
            from += n as usize;
            for &r in rows {
                b.extend_from_slice(&batch.timestamps[r].to_le_bytes());
            }
            for column in &batch.columns {
                match column {
                    Column::F64(v) => rows
                        .iter()
                        .for_each(|&r| b.extend_from_slice(&v[r].to_le_bytes())),
                    Column::I64(v) => rows
                        .iter()
                        .for_each(|&r| b.extend_from_slice(&v[r].to_le_bytes())),
                }
            }
        }
    });
    for &(s, _) in &g.runs {
        g.slot[s as usize] = u32::MAX;
    }
}

/// A position record.
pub(super) fn position(out: &mut Vec<u8>, name: &str, seq: u64) {
    frame(out, |b| {
        b.push(POSITION);
        b.extend_from_slice(&seq.to_le_bytes());
        b.extend_from_slice(name.as_bytes());
    });
}

/// An events record of one run: a series' open head, its first event the
/// series' `first`.
pub(super) fn head(out: &mut Vec<u8>, series: u32, first: u64, head: &Batch) {
    if head.is_empty() {
        return;
    }
    frame(out, |b| {
        b.push(EVENTS);
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&series.to_le_bytes());
        b.extend_from_slice(&first.to_le_bytes());
        b.extend_from_slice(&(head.len() as u32).to_le_bytes());
        head.timestamps
            .iter()
            .for_each(|t| b.extend_from_slice(&t.to_le_bytes()));
        for column in &head.columns {
            match column {
                Column::F64(v) => v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes())),
                Column::I64(v) => v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes())),
            }
        }
    });
}

/// A record read back.
#[derive(Debug)]
pub(super) enum Record<'a> {
    Series {
        id: u32,
        base: u64,
        key: &'a str,
    },
    Events {
        runs: Vec<Run<'a>>,
        position: Option<(&'a str, u64)>,
    },
    Position {
        name: &'a str,
        seq: u64,
    },
}

/// One series' run of events in an events record.
#[derive(Debug)]
pub(super) struct Run<'a> {
    pub series: u32,
    pub first: u64,
    pub timestamps: &'a [u8],
    /// Per field, its values' bytes.
    pub values: Vec<&'a [u8]>,
}

impl Run<'_> {
    pub fn len(&self) -> usize {
        self.timestamps.len() / 8
    }

    pub fn timestamp(&self, k: usize) -> i64 {
        i64::from_le_bytes(word(self.timestamps, 8 * k).unwrap_or_default())
    }

    /// Event `k`'s values.
    pub fn row(&self, k: usize, schema: &Schema, into: &mut Vec<Num>) {
        into.clear();
        for (field, bytes) in schema.fields().iter().zip(&self.values) {
            let raw = word(bytes, 8 * k).unwrap_or_default();
            into.push(match field.kind {
                FieldKind::F64 => Num::F64(f64::from_le_bytes(raw)),
                FieldKind::I64 => Num::I64(i64::from_le_bytes(raw)),
            });
        }
    }
}

fn word(bytes: &[u8], at: usize) -> Option<[u8; 8]> {
    bytes.get(at..at + 8).and_then(|b| b.try_into().ok())
}

fn word4(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
}

/// A checked body's record, or what is wrong with it.
pub(super) fn parse<'a>(body: &'a [u8], schema: &Schema) -> Result<Record<'a>, &'static str> {
    match body.first() {
        Some(&SERIES) => {
            let id = word4(body, 1).ok_or("a series record too short")?;
            let base = word(body, 5)
                .map(u64::from_le_bytes)
                .ok_or("a series record too short")?;
            let key = std::str::from_utf8(&body[13..]).map_err(|_| "a series key not UTF-8")?;
            Ok(Record::Series { id, base, key })
        }
        Some(&EVENTS) => Ok(Record::Events {
            runs: parse_runs(body, 1, schema)?,
            position: None,
        }),
        Some(&EVENTS_AT) => {
            let short = "an events record too short";
            let seq = word(body, 1).map(u64::from_le_bytes).ok_or(short)?;
            let len = body
                .get(9..11)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
                .ok_or(short)?;
            let name = body.get(11..11 + len).ok_or(short)?;
            let name = std::str::from_utf8(name).map_err(|_| "a position name not UTF-8")?;
            Ok(Record::Events {
                runs: parse_runs(body, 11 + len, schema)?,
                position: Some((name, seq)),
            })
        }
        Some(&POSITION) => {
            let seq = word(body, 1)
                .map(u64::from_le_bytes)
                .ok_or("a position record too short")?;
            let name = std::str::from_utf8(&body[9..]).map_err(|_| "a position name not UTF-8")?;
            Ok(Record::Position { name, seq })
        }
        _ => Err("a record of an unknown kind"),
    }
}

/// The runs of an events record whose `runs u32` starts at `start`.
fn parse_runs<'a>(
    body: &'a [u8],
    start: usize,
    schema: &Schema,
) -> Result<Vec<Run<'a>>, &'static str> {
    let short = "an events record too short";
    let runs = word4(body, start).ok_or(short)? as usize;
    let fields = schema.fields().len();
    let head = start + 4;
    let mut at = head + runs.checked_mul(16).ok_or(short)?;
    let mut out = Vec::with_capacity(runs.min(body.len() / 16));
    for r in 0..runs {
        let h = head + 16 * r;
        let series = word4(body, h).ok_or(short)?;
        let first = word(body, h + 4).map(u64::from_le_bytes).ok_or(short)?;
        let n = word4(body, h + 12).ok_or(short)? as usize * 8;
        let mut take = || {
            let part = body.get(at..at.checked_add(n)?)?;
            at += n;
            Some(part)
        };
        let timestamps = take().ok_or(short)?;
        let values = (0..fields)
            .map(|_| take().ok_or(short))
            .collect::<Result<_, _>>()?;
        out.push(Run {
            series,
            first,
            timestamps,
            values,
        });
    }
    if at != body.len() {
        return Err("an events record longer than its runs");
    }
    Ok(out)
}

/// Good records (offset, body), and where the good part ends.
pub(super) type Framed<'a> = (Vec<(usize, &'a [u8])>, usize);

/// The log's good records (offset, body) and where the good part ends: a
/// torn tail (a frame or body cut short, or a bad checksum on the last
/// record) ends it; a bad checksum with records after it is corruption,
/// returned as its offset. A tail of zeros (space a crash left allocated
/// but unwritten) is torn too.
pub(super) fn records(bytes: &[u8]) -> Result<Framed<'_>, usize> {
    let mut records = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let (Some(len), Some(crc)) = (word4(bytes, at), word4(bytes, at + 4)) else {
            break;
        };
        if len == 0 {
            // Never written: a tail of zeros a crash left is torn.
            if bytes[at..].iter().all(|&b| b == 0) {
                break;
            }
            return Err(at);
        }
        let end = at + 8 + len as usize;
        let Some(body) = bytes.get(at + 8..end) else {
            break;
        };
        if crc32fast::hash(body) != crc {
            if end == bytes.len() {
                break;
            }
            return Err(at);
        }
        records.push((at, body));
        at = end;
    }
    Ok((records, at))
}
