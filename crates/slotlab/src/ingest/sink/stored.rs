//! The compressed event stream kept in a durable store (`ingest --store`):
//! every event goes through the store's write-ahead log, chunks sealed
//! into its segment; the run's end closes it.

use super::{Sink, SinkError};
use crate::ingest::EventBatch;
use slotlab_stream::store::{Store, SyncPolicy};
use slotlab_stream::{Num, Schema, SeriesId, Stream, StreamConfig};
use std::path::PathBuf;

/// Where and how a run stores durably.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSpec {
    /// The store's directory.
    pub dir: PathBuf,
    /// When appended events are synced.
    pub sync: SyncPolicy,
}

/// The stream sink over a store.
pub(super) struct StoreSink {
    store: Option<Store>,
    /// After the close: the stream, every event durable.
    closed: Option<Stream>,
    ids: Vec<SeriesId>,
    /// Events each of `ids` held before this run (left out of the check).
    held_before: Vec<usize>,
    /// Scratch: one event's values.
    values: Vec<Num>,
    dir: PathBuf,
    sync: SyncPolicy,
    /// Events there before this run.
    before: u64,
    /// Events durable when the run ended, before the close.
    durable_at_end: u64,
}

impl StoreSink {
    pub(super) fn open(
        spec: &StoreSpec,
        schema: &Schema,
        config: StreamConfig,
    ) -> Result<Self, SinkError> {
        let (store, _) = Store::open(&spec.dir, schema, config, spec.sync)?;
        Ok(Self {
            before: store.appended(),
            store: Some(store),
            closed: None,
            ids: Vec::new(),
            held_before: Vec::new(),
            values: Vec::new(),
            dir: spec.dir.clone(),
            sync: spec.sync,
            durable_at_end: 0,
        })
    }

    fn stream(&self) -> Option<&Stream> {
        self.store
            .as_ref()
            .map(Store::stream)
            .or(self.closed.as_ref())
    }
}

impl Sink for StoreSink {
    fn store(&mut self, batch: &EventBatch) -> Result<(), SinkError> {
        let Some(store) = self.store.as_mut() else {
            return Err(SinkError::StoppedEarly);
        };
        let e = &batch.events;
        for key in &e.keys {
            let id = store.series(key)?;
            self.held_before
                .push(store.stream().series_summary(id)?.events);
            self.ids.push(id);
        }
        for (i, (&s, &t)) in e.series.iter().zip(&e.batch.timestamps).enumerate() {
            let id = *self
                .ids
                .get(s as usize)
                .ok_or(SinkError::UnknownSeries(s))?;
            self.values.clear();
            self.values
                .extend(e.batch.columns.iter().filter_map(|c| c.get(i)));
            store.append(id, t, &self.values)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        if let Some(mut store) = self.store.take() {
            self.durable_at_end = store.durable();
            store.sync()?;
            self.closed = Some(store.close()?);
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        self.stream()
            .map_or(0, |s| s.len() as u64)
            .saturating_sub(self.before)
    }

    fn timestamp_sum(&self) -> Result<i64, SinkError> {
        match self.stream() {
            Some(stream) => super::timestamp_sum(stream, &self.ids, &self.held_before),
            None => Ok(0),
        }
    }

    fn notes(&self) -> Vec<String> {
        let total = self.stream().map_or(0, Stream::len) as u64;
        let bytes = slotlab_stream::store::disk_bytes(&self.dir);
        vec![format!(
            "durable store {}: {} events durable when intake ended (WAL {}), all {} durable \
             after the close (heads sealed into the segment, WAL emptied; {} there before); \
             {} bytes on disk = {:.4} B/event",
            self.dir.display(),
            self.durable_at_end.saturating_sub(self.before),
            match self.sync {
                SyncPolicy::Always => "synced after every event".to_owned(),
                SyncPolicy::Interval(d) => format!("synced every {} ms", d.as_millis()),
                SyncPolicy::Never => "synced only at the close".to_owned(),
            },
            total,
            self.before,
            bytes,
            bytes as f64 / total.max(1) as f64
        )]
    }
}
