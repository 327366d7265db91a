//! The store stage's sinks, one per layout. Each holds every event it is
//! given and can read them back, so a run can check what it stored.

mod columns;
mod objects;
mod records;
mod stored;
mod stream;

use super::EventBatch;
use crate::model::{Class, Layout, ModelError, Str};
use columns::Columns;
use objects::Objects;
pub use objects::event_object;
use records::Records;
use slotlab_stream::{Schema, StreamConfig};
use stored::StoreSink;
pub use stored::{StoreSpec, sync_words};
use stream::StreamSink;

/// How readings or events are held: the layouts slotlab compares. The
/// lesson's exercise builds its readings in the first five
/// ([`Storage::LESSON`]); ingestion stores events in all six.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Storage {
    /// One object-model instance per event, attributes in a hash table of
    /// its own (the lesson's description of `__dict__`).
    Table,
    /// One object-model instance per event, attributes in a `__dict__` as
    /// CPython 3.11 keeps it: keys shared by the class, values in the
    /// instance.
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

impl Storage {
    /// The layouts of the lesson's exercise, in the order of its story:
    /// objects and records (the stream holds events, not readings one by
    /// one).
    pub const LESSON: [Storage; 5] = [
        Storage::Table,
        Storage::Dict,
        Storage::Slots,
        Storage::Record,
        Storage::Columns,
    ];

    /// Every sink, in the order `--sink all` runs them.
    pub const ALL: [Storage; 6] = [
        Storage::Table,
        Storage::Dict,
        Storage::Slots,
        Storage::Record,
        Storage::Columns,
        Storage::Stream,
    ];

    /// Its name on the command line and in reports: `table`, `dict`,
    /// `slots`, `record`, `columns`, `stream`.
    pub fn name(self) -> &'static str {
        match self {
            Storage::Table => "table",
            Storage::Dict => "dict",
            Storage::Slots => "slots",
            Storage::Record => "record",
            Storage::Columns => "columns",
            Storage::Stream => "stream",
        }
    }

    /// The object-model layout, for the first three.
    pub fn model(self) -> Option<crate::model::Layout> {
        match self {
            Storage::Table => Some(crate::model::Layout::Table),
            Storage::Dict => Some(crate::model::Layout::Dict),
            Storage::Slots => Some(crate::model::Layout::Slots),
            Storage::Record | Storage::Columns | Storage::Stream => None,
        }
    }

    /// How it holds an event, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Storage::Table => {
                "an object-model instance per event, attributes in a hash table of its own"
            }
            Storage::Dict => {
                "an object-model instance per event, attributes in a CPython 3.11 __dict__ (keys shared by the class, values in the instance)"
            }
            Storage::Slots => "an object-model instance per event with __slots__",
            Storage::Record => {
                "a fixed-width record per event (series id, timestamp, 8 bytes per field) in one vector"
            }
            Storage::Columns => "one vector per column (series ids, timestamps, each field)",
            Storage::Stream => "the compressed event stream (per-series chunks sealed by codecs)",
        }
    }
}

impl std::fmt::Display for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the store stage puts events.
pub trait Sink: Send {
    /// Stores every event of `batch` (whose new series keys follow those
    /// of earlier batches). On an error nothing of the batch is kept past
    /// the event that failed.
    fn store(&mut self, batch: &EventBatch) -> Result<(), SinkError>;

    /// Called once when the input is drained (the stream seals its open
    /// chunks).
    fn finish(&mut self) -> Result<(), SinkError> {
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
    fn timestamp_sum(&self) -> Result<i64, SinkError>;

    /// What the sink has to say about its holdings.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Why a sink could not store or read back an event.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The object model refused an attribute.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The stream refused an event or could not seal a chunk.
    #[error(transparent)]
    Stream(#[from] slotlab_stream::StreamError),
    /// An event had more values than the class has attributes.
    #[error("more values than attributes")]
    ExtraValues,
    /// An event's series was never named in a batch.
    #[error("series {0} has no key")]
    UnknownSeries(u32),
    /// An event lacked one of the schema's fields.
    #[error("event {0} is missing a field")]
    MissingField(usize),
    /// An object read back held something other than an int timestamp.
    #[error("a stored timestamp is a {0}, not an int")]
    NotATimestamp(&'static str),
    /// The store stage ended before the parse stage had handed it every
    /// accepted event.
    #[error("the store stage stopped before the input was drained")]
    StoppedEarly,
    /// The durable store refused.
    #[error(transparent)]
    Store(StoreFailure),
}

/// A store error, shared (a sink error is cloned into how a run ended).
#[derive(Debug, Clone)]
pub struct StoreFailure(pub std::sync::Arc<slotlab_stream::store::StoreError>);

impl PartialEq for StoreFailure {
    /// The same failure, not an equal one (`io::Error` is not comparable).
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Display for StoreFailure {
    /// The error and its causes (an I/O error's path, then what the system
    /// said), as one line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)?;
        let mut cause = std::error::Error::source(&*self.0);
        while let Some(c) = cause {
            write!(f, ": {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

/// Its causes are in its text.
impl std::error::Error for StoreFailure {}

impl From<slotlab_stream::store::StoreError> for SinkError {
    fn from(e: slotlab_stream::store::StoreError) -> Self {
        SinkError::Store(StoreFailure(std::sync::Arc::new(e)))
    }
}

/// The stream's series id of each event in `out`, from the pipeline's
/// series numbers (`series`) and the ids given to them (`ids`).
fn stream_ids(
    ids: &[slotlab_stream::SeriesId],
    series: &[u32],
    out: &mut Vec<slotlab_stream::SeriesId>,
) -> Result<(), SinkError> {
    out.clear();
    for &s in series {
        out.push(*ids.get(s as usize).ok_or(SinkError::UnknownSeries(s))?);
    }
    Ok(())
}

/// The sum of the timestamps of `ids` in `stream`, each series' first
/// `skip[i]` events left out (those a store held before this run), for the
/// read-back check.
fn timestamp_sum(
    stream: &slotlab_stream::Stream,
    ids: &[slotlab_stream::SeriesId],
    skip: &[usize],
) -> Result<i64, SinkError> {
    let mut sum = 0i64;
    let mut timestamps = Vec::new();
    for (i, &id) in ids.iter().enumerate() {
        timestamps.clear();
        stream.timestamps_into(id, &mut timestamps)?;
        let from = skip.get(i).copied().unwrap_or(0);
        sum = timestamps[from.min(timestamps.len())..]
            .iter()
            .fold(sum, |sum, &t| sum.wrapping_add(t));
    }
    Ok(sum)
}

/// A new, empty sink of `kind` for events shaped by `schema`.
pub fn open_sink(
    kind: Storage,
    schema: &Schema,
    keyed: bool,
    stream: StreamConfig,
    seal_threads: usize,
    store: Option<&StoreSpec>,
) -> Result<Box<dyn Sink>, SinkError> {
    if let (Storage::Stream, Some(spec)) = (kind, store) {
        return Ok(Box::new(StoreSink::open(spec, schema, stream)?));
    }
    Ok(match kind {
        Storage::Table | Storage::Dict | Storage::Slots => {
            let layout = kind.model().unwrap_or(Layout::Slots);
            Box::new(Objects::new(schema, keyed, layout)?)
        }
        Storage::Record => Box::new(Records::new(schema, keyed)),
        Storage::Columns => Box::new(Columns::new(schema)),
        Storage::Stream => Box::new(StreamSink::new(schema, stream, seal_threads)),
    })
}

/// The object model's class for events, of `layout`: attributes `series`
/// (when keyed), `timestamp`, then the fields — as `__slots__` for the
/// slots layout — and the attribute names, interned. Field names that are
/// not identifiers (or clash) are replaced by `f0`, `f1`… for slots, which
/// need identifiers.
pub fn event_class(
    schema: &Schema,
    keyed: bool,
    layout: Layout,
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
        match layout {
            Layout::Slots => builder.slots(names.iter().map(String::as_str)).build(),
            Layout::Table => builder.table().build(),
            Layout::Dict => builder.build(),
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
pub(super) struct Blocks<T> {
    pub(super) blocks: Vec<Vec<T>>,
    per_block: usize,
}

impl<T> Blocks<T> {
    pub(super) fn new(per_block: usize) -> Self {
        Self {
            blocks: Vec::new(),
            per_block: per_block.max(1),
        }
    }

    /// The block to append to, a new one when the last is full.
    pub(super) fn open(&mut self) -> &mut Vec<T> {
        if self.blocks.last().is_none_or(|b| b.len() >= self.per_block) {
            self.blocks.push(Vec::with_capacity(self.per_block));
        }
        self.blocks.last_mut().expect("a block was just ensured")
    }

    pub(super) fn push(&mut self, value: T) {
        self.open().push(value);
    }

    /// Every block but the last is full.
    pub(super) fn len(&self) -> usize {
        self.blocks.last().map_or(0, |last| {
            (self.blocks.len() - 1) * self.per_block + last.len()
        })
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }
}
