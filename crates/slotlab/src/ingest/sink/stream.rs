//! The compressed event stream.

use super::{Sink, SinkError};
use crate::ingest::EventBatch;
use slotlab_stream::{Schema, SeriesId, Stream, StreamConfig};

/// The compressed event stream.
pub(super) struct StreamSink {
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
    /// Threads sealing the open heads at the end.
    seal_threads: usize,
}

/// Where in its first chunk series `k` is sealed early: spread over the
/// chunk by the golden ratio, so any number of series spread evenly.
fn first_seal_at(k: usize, chunk_len: usize) -> usize {
    let phase = (k as f64 * 0.618_033_988_749_895).fract();
    ((1.0 - phase) * chunk_len as f64).ceil().max(1.0) as usize
}

impl StreamSink {
    pub(super) fn new(schema: &Schema, config: StreamConfig, seal_threads: usize) -> Self {
        Self {
            stream: Stream::new(schema.clone(), config),
            ids: Vec::new(),
            first_seal: Vec::new(),
            pending_first: 0,
            batch_ids: Vec::new(),
            cuts: Vec::new(),
            seal_threads,
        }
    }
}

impl Sink for StreamSink {
    fn store(&mut self, batch: &EventBatch) -> Result<(), SinkError> {
        let e = &batch.events;
        let chunk_len = self.stream.config().chunk_len;
        for key in &e.keys {
            self.first_seal
                .push(first_seal_at(self.ids.len(), chunk_len));
            self.pending_first += 1;
            self.ids.push(self.stream.series(key));
        }
        super::stream_ids(&self.ids, &e.series, &mut self.batch_ids)?;
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
        // Grouped by series (a run ends on an error, so which events of
        // the batch were kept then does not matter).
        let mut from = 0;
        for &cut in &self.cuts {
            self.stream
                .append_grouped(&self.batch_ids, &e.batch, from..cut + 1)?;
            self.stream.seal_series(self.batch_ids[cut])?;
            from = cut + 1;
        }
        self.stream
            .append_grouped(&self.batch_ids, &e.batch, from..e.len())?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        Ok(self.stream.seal_on(self.seal_threads)?)
    }

    fn len(&self) -> u64 {
        self.stream.len() as u64
    }

    fn timestamp_sum(&self) -> Result<i64, SinkError> {
        super::timestamp_sum(&self.stream, &self.ids, &[])
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
