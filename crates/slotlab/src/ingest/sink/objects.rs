//! Objects of the model (table, dict or slots layout): one instance per
//! event.

use super::{BLOCK_EVENTS, Blocks, Sink, SinkError, event_class};
use crate::ingest::EventBatch;
use crate::model::{Class, Instance, Layout, ModelError, Str, Value};
use slotlab_stream::source::Events;
use slotlab_stream::{Num, Schema};

/// Objects of one layout.
pub(super) struct Objects {
    class: Class,
    names: Vec<Str>,
    keyed: bool,
    /// One shared string per series key.
    keys: Vec<Value>,
    objects: Blocks<Instance>,
}

impl Objects {
    pub(super) fn new(schema: &Schema, keyed: bool, layout: Layout) -> Result<Self, ModelError> {
        let (class, names) = event_class(schema, keyed, layout)?;
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

/// Event `i` of `events` as an object of `class`: its series key (when
/// `keys` are given: one shared string per series), its timestamp, then
/// each field, set by the `names` [`event_class`] gave. The one place
/// events become objects: the object sinks and the stream experiment's
/// objects row both build them here.
#[inline]
pub fn event_object(
    class: &Class,
    names: &[Str],
    keys: Option<&[Value]>,
    events: &Events,
    i: usize,
) -> Result<Instance, SinkError> {
    let mut object = Instance::new(class);
    let mut names = names.iter();
    let mut set = |value: Value| match names.next() {
        Some(name) => object.set_attr(name, value).map_err(SinkError::from),
        None => Err(SinkError::ExtraValues),
    };
    if let Some(keys) = keys {
        let s = events.series[i];
        let key = keys.get(s as usize).ok_or(SinkError::UnknownSeries(s))?;
        set(key.clone())?;
    }
    set(Value::Int(events.batch.timestamps[i]))?;
    for column in &events.batch.columns {
        set(match column.get(i) {
            Some(Num::F64(x)) => Value::Float(x),
            Some(Num::I64(x)) => Value::Int(x),
            None => return Err(SinkError::MissingField(i)),
        })?;
    }
    Ok(object)
}

impl Sink for Objects {
    fn store(&mut self, batch: &EventBatch) -> Result<(), SinkError> {
        let e = &batch.events;
        self.keys
            .extend(e.keys.iter().map(|k| Value::Str(Str::new(k))));
        let keys = self.keyed.then_some(self.keys.as_slice());
        for i in 0..e.len() {
            let object = event_object(&self.class, &self.names, keys, e, i)?;
            self.objects.push(object);
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        self.objects.len() as u64
    }

    fn timestamp_sum(&self) -> Result<i64, SinkError> {
        let name = self.ts_name().as_str();
        self.objects
            .iter()
            .try_fold(0i64, |sum, o| match o.get_attr(name)? {
                Value::Int(t) => Ok(sum.wrapping_add(t)),
                other => Err(SinkError::NotATimestamp(other.type_name())),
            })
    }

    fn notes(&self) -> Vec<String> {
        vec![format!(
            "{} objects of class Event ({}), attributes {}, referenced from blocks of {} \
             pointers",
            self.objects.len(),
            match self.class.layout() {
                Layout::Table => "__dict__ as a hash table per instance",
                Layout::Dict => "__dict__ as CPython 3.11 keeps it: keys shared, values inline",
                Layout::Slots => "__slots__",
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
