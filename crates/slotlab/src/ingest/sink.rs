//! The store stage's sinks, one per layout. Each holds every event it is
//! given and can read them back, so a run can check what it stored.

use super::EventBatch;
use crate::model::{Class, Instance, ModelError, Str, Value};
use slotlab_stream::source::Events;
use slotlab_stream::{Column, Num, Schema, SeriesId, Stream, StreamConfig};

/// A layout events are stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SinkKind {
    /// One object-model instance per event, attributes in a per-instance
    /// `__dict__`.
    Dict,
    /// One object-model instance per event with `__slots__`.
    Slots,
    /// Typed records as rows: one fixed-width record per event, in one
    /// vector (what `Vec<#[derive(Record)] struct>` is in memory).
    Record,
    /// Typed records as columns: one vector per field.
    Columns,
    /// The compressed event stream: per-series chunks, sealed by codecs.
    Stream,
}

impl SinkKind {
    /// Every sink, in the order `--sink all` runs them.
    pub const ALL: [SinkKind; 5] = [
        SinkKind::Dict,
        SinkKind::Slots,
        SinkKind::Record,
        SinkKind::Columns,
        SinkKind::Stream,
    ];

    /// Its name on the command line and in reports.
    pub fn label(self) -> &'static str {
        match self {
            SinkKind::Dict => "dict",
            SinkKind::Slots => "slots",
            SinkKind::Record => "record",
            SinkKind::Columns => "columns",
            SinkKind::Stream => "stream",
        }
    }

    /// How it holds an event, in words.
    pub fn describe(self) -> &'static str {
        match self {
            SinkKind::Dict => "an object-model instance per event, attributes in its __dict__",
            SinkKind::Slots => "an object-model instance per event with __slots__",
            SinkKind::Record => {
                "a fixed-width record per event (series id, timestamp, 8 bytes per field) in one vector"
            }
            SinkKind::Columns => "one vector per column (series ids, timestamps, each field)",
            SinkKind::Stream => "the compressed event stream (per-series chunks sealed by codecs)",
        }
    }
}

impl std::fmt::Display for SinkKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Where the store stage puts events.
pub trait Sink: Send {
    /// Stores every event of `batch` (whose new series keys follow those
    /// of earlier batches). On an error nothing of the batch is kept past
    /// the event that failed.
    fn store(&mut self, batch: &EventBatch) -> Result<(), String>;

    /// Called once when the input is drained (the stream seals its open
    /// chunks).
    fn finish(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// Events held.
    fn len(&self) -> u64;

    /// True when empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The wrapping sum of every held event's timestamp, read back from
    /// the layout itself.
    fn timestamp_sum(&self) -> Result<i64, String>;

    /// What the sink has to say about its holdings.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A new, empty sink of `kind` for events shaped by `schema`.
pub fn open_sink(
    kind: SinkKind,
    schema: &Schema,
    keyed: bool,
    stream: StreamConfig,
) -> Result<Box<dyn Sink>, String> {
    Ok(match kind {
        SinkKind::Dict | SinkKind::Slots => Box::new(
            Objects::new(schema, keyed, kind == SinkKind::Slots).map_err(|e| e.to_string())?,
        ),
        SinkKind::Record => Box::new(Records::new(schema, keyed)),
        SinkKind::Columns => Box::new(Columns {
            schema: schema.clone(),
            keys: Vec::new(),
            blocks: Vec::new(),
        }),
        SinkKind::Stream => Box::new(StreamSink {
            stream: Stream::new(schema.clone(), stream),
            ids: Vec::new(),
            first_seal: Vec::new(),
            pending_first: 0,
            batch_ids: Vec::new(),
            cuts: Vec::new(),
        }),
    })
}

/// The object model's class for events: attributes `series` (when keyed),
/// `timestamp`, then the fields — with `__slots__` when `slots` — and the
/// attribute names, interned. Field names that are not identifiers (or
/// clash) are replaced by `f0`, `f1`… for slots, which need identifiers.
pub fn event_class(
    schema: &Schema,
    keyed: bool,
    slots: bool,
) -> Result<(Class, Vec<Str>), ModelError> {
    let named = |generic: bool| -> Vec<String> {
        keyed
            .then(|| "series".to_owned())
            .into_iter()
            .chain(std::iter::once("timestamp".to_owned()))
            .chain(schema.fields().iter().enumerate().map(|(i, f)| {
                if generic {
                    format!("f{i}")
                } else {
                    f.name.clone()
                }
            }))
            .collect()
    };
    let build = |names: &[String]| {
        let builder = Class::builder("Event");
        if slots {
            builder.slots(names.iter().map(String::as_str)).build()
        } else {
            builder.build()
        }
    };
    let mut names = named(false);
    let class = match build(&names) {
        Ok(class) if !has_duplicates(&names) => class,
        _ => {
            names = named(true);
            build(&names)?
        }
    };
    Ok((class, names.iter().map(|n| Str::intern(n)).collect()))
}

fn has_duplicates(names: &[String]) -> bool {
    names
        .iter()
        .enumerate()
        .any(|(i, n)| names[..i].contains(n))
}

/// Events per storage block of the object, record and column sinks.
///
/// Sinks grow block by block instead of doubling one vector: a doubling
/// copies everything held so far (a stall that grows with the data, seen
/// as latency) and leaves up to half its capacity unused (seen as bytes).
pub const BLOCK_EVENTS: usize = 4096;

/// Values in fixed-capacity blocks: appending never moves what is held.
#[derive(Debug)]
struct Blocks<T> {
    blocks: Vec<Vec<T>>,
    per_block: usize,
}

impl<T> Blocks<T> {
    fn new(per_block: usize) -> Self {
        Self {
            blocks: Vec::new(),
            per_block: per_block.max(1),
        }
    }

    /// The block to append to, a new one when the last is full.
    fn open(&mut self) -> &mut Vec<T> {
        if self.blocks.last().is_none_or(|b| b.len() >= self.per_block) {
            self.blocks.push(Vec::with_capacity(self.per_block));
        }
        self.blocks.last_mut().expect("a block was just ensured")
    }

    fn push(&mut self, value: T) {
        self.open().push(value);
    }

    /// Every block but the last is full.
    fn len(&self) -> usize {
        self.blocks.last().map_or(0, |last| {
            (self.blocks.len() - 1) * self.per_block + last.len()
        })
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }
}

/// Dict or slots objects.
struct Objects {
    class: Class,
    names: Vec<Str>,
    keyed: bool,
    /// One shared string per series key.
    keys: Vec<Value>,
    objects: Blocks<Instance>,
}

impl Objects {
    fn new(schema: &Schema, keyed: bool, slots: bool) -> Result<Self, ModelError> {
        let (class, names) = event_class(schema, keyed, slots)?;
        Ok(Self {
            class,
            names,
            keyed,
            keys: Vec::new(),
            objects: Blocks::new(BLOCK_EVENTS),
        })
    }

    fn ts_name(&self) -> &Str {
        &self.names[usize::from(self.keyed)]
    }
}

impl Sink for Objects {
    fn store(&mut self, batch: &EventBatch) -> Result<(), String> {
        let e = &batch.events;
        self.keys
            .extend(e.keys.iter().map(|k| Value::Str(Str::new(k))));
        for (i, (&s, &t)) in e.series.iter().zip(&e.timestamps).enumerate() {
            let mut object = Instance::new(&self.class);
            let mut names = self.names.iter();
            let mut set = |value: Value| match names.next() {
                Some(name) => object.set_attr(name, value).map_err(|e| e.to_string()),
                None => Err("more values than attributes".to_owned()),
            };
            if self.keyed {
                let key = self
                    .keys
                    .get(s as usize)
                    .ok_or_else(|| format!("series {s} has no key"))?;
                set(key.clone())?;
            }
            set(Value::Int(t))?;
            for column in &e.columns {
                set(match column.get(i) {
                    Some(Num::F64(x)) => Value::Float(x),
                    Some(Num::I64(x)) => Value::Int(x),
                    None => return Err(format!("event {i} is missing a field")),
                })?;
            }
            self.objects.push(object);
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        self.objects.len() as u64
    }

    fn timestamp_sum(&self) -> Result<i64, String> {
        let name = self.ts_name().as_str();
        self.objects.iter().try_fold(0i64, |sum, o| {
            match o.get_attr(name).map_err(|e| e.to_string())? {
                Value::Int(t) => Ok(sum.wrapping_add(*t)),
                other => Err(format!("a stored timestamp is {other:?}")),
            }
        })
    }

    fn notes(&self) -> Vec<String> {
        vec![format!(
            "{} objects of class Event ({}), attributes {}, referenced from blocks of {} \
             pointers",
            self.objects.len(),
            if self.class.has_dict() {
                "__dict__"
            } else {
                "__slots__"
            },
            self.names
                .iter()
                .map(Str::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            BLOCK_EVENTS
        )]
    }
}

/// Fixed-width rows of 8-byte words: series id (when keyed), timestamp,
/// then each field's bits.
struct Records {
    keyed: bool,
    width: usize,
    keys: Vec<String>,
    /// Whole rows per block: a row never straddles two.
    words: Blocks<u64>,
}

impl Records {
    fn new(schema: &Schema, keyed: bool) -> Self {
        let width = usize::from(keyed) + 1 + schema.fields().len();
        Self {
            keyed,
            width,
            keys: Vec::new(),
            words: Blocks::new(BLOCK_EVENTS * width),
        }
    }
}

impl Sink for Records {
    fn store(&mut self, batch: &EventBatch) -> Result<(), String> {
        let e = &batch.events;
        self.keys.extend(e.keys.iter().cloned());
        for (i, (&s, &t)) in e.series.iter().zip(&e.timestamps).enumerate() {
            let row = self.words.open();
            if self.keyed {
                row.push(u64::from(s));
            }
            row.push(t as u64);
            for column in &e.columns {
                row.push(match column {
                    Column::F64(v) => v[i].to_bits(),
                    Column::I64(v) => v[i] as u64,
                });
            }
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        (self.words.len() / self.width) as u64
    }

    fn timestamp_sum(&self) -> Result<i64, String> {
        let at = usize::from(self.keyed);
        Ok(self
            .words
            .blocks
            .iter()
            .flat_map(|block| block.chunks_exact(self.width))
            .fold(0i64, |sum, row| sum.wrapping_add(row[at] as i64)))
    }

    fn notes(&self) -> Vec<String> {
        vec![format!(
            "{} records of {} bytes in blocks of {}, {} series keys",
            self.len(),
            self.width * 8,
            BLOCK_EVENTS,
            self.keys.len()
        )]
    }
}

/// One vector per column, in blocks of [`BLOCK_EVENTS`] events (record
/// batches, as Arrow calls them).
struct Columns {
    schema: Schema,
    keys: Vec<String>,
    blocks: Vec<Events>,
}

impl Sink for Columns {
    fn store(&mut self, batch: &EventBatch) -> Result<(), String> {
        let theirs = &batch.events;
        self.keys.extend(theirs.keys.iter().cloned());
        let mut from = 0;
        while from < theirs.len() {
            if self.blocks.last().is_none_or(|b| b.len() >= BLOCK_EVENTS) {
                let block = Events::with_capacity(self.schema.clone(), Vec::new(), BLOCK_EVENTS);
                self.blocks.push(block);
            }
            let block = self.blocks.last_mut().expect("a block was just ensured");
            let to = theirs.len().min(from + BLOCK_EVENTS - block.len());
            block.series.extend_from_slice(&theirs.series[from..to]);
            block
                .timestamps
                .extend_from_slice(&theirs.timestamps[from..to]);
            for (column, values) in block.columns.iter_mut().zip(&theirs.columns) {
                column.extend_range(values, from..to);
            }
            from = to;
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        // Every block but the last is full.
        self.blocks.last().map_or(0, |last| {
            ((self.blocks.len() - 1) * BLOCK_EVENTS + last.len()) as u64
        })
    }

    fn timestamp_sum(&self) -> Result<i64, String> {
        Ok(self
            .blocks
            .iter()
            .flat_map(|b| &b.timestamps)
            .fold(0i64, |sum, &t| sum.wrapping_add(t)))
    }

    fn notes(&self) -> Vec<String> {
        vec![format!(
            "{} column blocks of up to {} events, {} series keys",
            self.blocks.len(),
            BLOCK_EVENTS,
            self.keys.len()
        )]
    }
}

/// The compressed event stream.
struct StreamSink {
    stream: Stream,
    /// The stream's id for each series, by the pipeline's series number.
    ids: Vec<SeriesId>,
    /// Per series: events to go before its first, early seal (0: done).
    /// Sensors report in turn, so without this every series' chunk would
    /// fill, and be sealed, in the same instant — a stall of one seal per
    /// series, seen as latency. Early first seals spread them out.
    first_seal: Vec<usize>,
    /// Series whose early first seal is still to come.
    pending_first: usize,
    /// Scratch: this batch's series ids, and where it is cut for seals.
    batch_ids: Vec<SeriesId>,
    cuts: Vec<usize>,
}

/// Where in its first chunk series `k` is sealed early: spread over the
/// chunk by the golden ratio, so any number of series spread evenly.
fn first_seal_at(k: usize, chunk_len: usize) -> usize {
    let phase = (k as f64 * 0.618_033_988_749_895).fract();
    ((1.0 - phase) * chunk_len as f64).ceil().max(1.0) as usize
}

impl Sink for StreamSink {
    fn store(&mut self, batch: &EventBatch) -> Result<(), String> {
        let e = &batch.events;
        let chunk_len = self.stream.config().chunk_len;
        for key in &e.keys {
            self.first_seal
                .push(first_seal_at(self.ids.len(), chunk_len));
            self.pending_first += 1;
            self.ids.push(self.stream.series(key));
        }
        self.batch_ids.clear();
        for &s in &e.series {
            let id = self
                .ids
                .get(s as usize)
                .ok_or_else(|| format!("series {s} has no key"))?;
            self.batch_ids.push(*id);
        }
        // Events after which a series' early first chunk is complete.
        self.cuts.clear();
        if self.pending_first > 0 {
            for (i, &s) in e.series.iter().enumerate() {
                if let Some(left) = self.first_seal.get_mut(s as usize)
                    && *left > 0
                {
                    *left -= 1;
                    if *left == 0 {
                        self.cuts.push(i);
                        self.pending_first -= 1;
                    }
                }
            }
        }
        let mut from = 0;
        for &cut in &self.cuts {
            self.stream
                .append_columns(&self.batch_ids, &e.timestamps, &e.columns, from..cut + 1)
                .map_err(|e| e.to_string())?;
            self.stream
                .seal_series(self.batch_ids[cut])
                .map_err(|e| e.to_string())?;
            from = cut + 1;
        }
        self.stream
            .append_columns(&self.batch_ids, &e.timestamps, &e.columns, from..e.len())
            .map_err(|e| e.to_string())
    }

    fn finish(&mut self) -> Result<(), String> {
        self.stream.seal().map_err(|e| e.to_string())
    }

    fn len(&self) -> u64 {
        self.stream.len() as u64
    }

    fn timestamp_sum(&self) -> Result<i64, String> {
        let mut sum = 0i64;
        for &id in &self.ids {
            let batch = self
                .stream
                .scan(id, i64::MIN, i64::MAX)
                .map_err(|e| e.to_string())?;
            sum = batch
                .timestamps
                .iter()
                .fold(sum, |sum, &t| sum.wrapping_add(t));
        }
        Ok(sum)
    }

    fn notes(&self) -> Vec<String> {
        let bytes = self.stream.bytes();
        let names = self
            .stream
            .schema()
            .fields()
            .iter()
            .map(|f| f.name.as_str());
        let fields: Vec<String> = names
            .zip(&bytes.fields)
            .map(|(name, b)| format!("{name} {b}"))
            .collect();
        let codecs: Vec<String> = self
            .stream
            .codec_use()
            .into_iter()
            .map(|(column, counts)| {
                let used: Vec<String> = counts
                    .iter()
                    .map(|(codec, n)| format!("{codec} ×{n}"))
                    .collect();
                format!("{column}: {}", used.join(", "))
            })
            .collect();
        vec![
            format!(
                "{} sealed chunks of up to {} events; encoded bytes: timestamps {}, {}, \
                 open heads {}, keys {}",
                self.stream.sealed_chunks(),
                self.stream.config().chunk_len,
                bytes.timestamps,
                fields.join(", "),
                bytes.head,
                bytes.keys
            ),
            format!("codecs chosen per chunk: {}", codecs.join("; ")),
        ]
    }
}
