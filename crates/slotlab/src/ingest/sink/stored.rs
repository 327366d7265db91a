//! The compressed event stream kept in a durable store (`ingest --store`):
//! every event goes through the store's write-ahead log, chunks sealed
//! into its segment; the run's end closes it.

use super::{Sink, SinkError};
use crate::ingest::EventBatch;
use slotlab_stream::store::{Store, StoreOptions, SyncPolicy};
use slotlab_stream::{Schema, SeriesId, Stream, StreamConfig};
use std::path::PathBuf;

/// Where and how a run stores durably.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSpec {
    /// The store's directory.
    pub dir: PathBuf,
    /// Sync, segments, retention.
    pub options: StoreOptions,
}

/// The stream sink over a store.
pub(super) struct StoreSink {
    store: Option<Store>,
    /// After the close: the stream, every event durable.
    closed: Option<Stream>,
    ids: Vec<SeriesId>,
    /// Scratch: this batch's series ids.
    batch_ids: Vec<SeriesId>,
    dir: PathBuf,
    options: StoreOptions,
    /// Events, and their timestamps' sum, there before this run.
    before: u64,
    sum_before: i64,
    /// Events durable when the run ended, before the close.
    durable_at_end: u64,
    /// What retention dropped in the run.
    dropped: slotlab_stream::store::Dropped,
    /// Set when a write failed: events durable (synced) by then.
    failed_at: Option<u64>,
}

/// Every stored timestamp's (wrapping) sum.
fn held_sum(stream: &Stream) -> Result<i64, SinkError> {
    let ids: Vec<SeriesId> = stream
        .series_keys()
        .filter_map(|k| stream.find_series(k))
        .collect();
    super::timestamp_sum(stream, &ids, &[])
}

impl StoreSink {
    pub(super) fn open(
        spec: &StoreSpec,
        schema: &Schema,
        config: StreamConfig,
    ) -> Result<Self, SinkError> {
        let (store, _) = Store::open(&spec.dir, schema, config, spec.options)?;
        Ok(Self {
            before: store.stream().len() as u64,
            sum_before: held_sum(store.stream())?,
            store: Some(store),
            closed: None,
            ids: Vec::new(),
            batch_ids: Vec::new(),
            dir: spec.dir.clone(),
            options: spec.options,
            durable_at_end: 0,
            dropped: Default::default(),
            failed_at: None,
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
            self.ids.push(store.series(key)?);
        }
        super::stream_ids(&self.ids, &e.series, &mut self.batch_ids)?;
        let result = store.append_batch(&self.batch_ids, &e.batch, 0..e.len());
        self.dropped = store.dropped();
        if let Err(slotlab_stream::store::StoreError::Stream(_)) | Ok(()) = &result {
            return Ok(result?);
        }
        self.failed_at = Some(store.durable());
        Ok(result?)
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        if self.failed_at.is_some() {
            return Ok(()); // said where it failed; nothing more is written
        }
        if let Some(mut store) = self.store.take() {
            self.durable_at_end = store.durable();
            store.sync()?;
            self.closed = Some(store.close()?);
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        (self.stream().map_or(0, |s| s.len() as u64) + self.dropped.events)
            .saturating_sub(self.before)
    }

    fn timestamp_sum(&self) -> Result<i64, SinkError> {
        match self.stream() {
            Some(stream) => Ok(held_sum(stream)?
                .wrapping_add(self.dropped.timestamp_sum)
                .wrapping_sub(self.sum_before)),
            None => Ok(0),
        }
    }

    fn notes(&self) -> Vec<String> {
        let total = self.stream().map_or(0, Stream::len) as u64;
        let bytes = slotlab_stream::store::disk_bytes(&self.dir);
        if let Some(durable) = self.failed_at {
            return vec![format!(
                "durable store {}: writing stopped at an error; {} events of this run were \
                 durable (synced) before it and are kept — reopening the store recovers them, \
                 and any later events that reached the disk whole, and cuts a torn tail",
                self.dir.display(),
                durable.saturating_sub(self.before),
            )];
        }
        let mut note = format!(
            "durable store {}: {} events durable when intake ended (WAL {}), all {} durable \
             after the close (heads sealed into the segment, WAL emptied; {} there before); \
             {} bytes on disk = {:.4} B/event",
            self.dir.display(),
            self.durable_at_end.saturating_sub(self.before),
            sync_words(self.options.sync),
            total,
            self.before,
            bytes,
            bytes as f64 / total.max(1) as f64
        );
        if self.dropped.segments > 0 {
            note.push_str(&format!(
                "; retention dropped {} segments ({} events; the check above counts them from \
                 the sums taken as they went)",
                self.dropped.segments, self.dropped.events
            ));
        }
        vec![note]
    }
}

/// How the store syncs, in words.
pub fn sync_words(sync: SyncPolicy) -> String {
    match sync {
        SyncPolicy::Always => "synced after every batch".to_owned(),
        SyncPolicy::Interval(d) => format!("synced every {} ms", d.as_millis()),
        SyncPolicy::Never => "synced only at checkpoints and the close".to_owned(),
    }
}
