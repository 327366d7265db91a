//! A column block per batch.

use super::{BLOCK_EVENTS, Sink, SinkError};
use crate::ingest::EventBatch;
use slotlab_stream::Schema;
use slotlab_stream::source::Events;

/// One vector per column, in blocks of [`BLOCK_EVENTS`] events (record
/// batches, as Arrow calls them).
pub(super) struct Columns {
    schema: Schema,
    keys: Vec<String>,
    blocks: Vec<Events>,
}

impl Columns {
    pub(super) fn new(schema: &Schema) -> Self {
        Self {
            schema: schema.clone(),
            keys: Vec::new(),
            blocks: Vec::new(),
        }
    }
}

impl Sink for Columns {
    fn store(&mut self, batch: &EventBatch) -> Result<(), SinkError> {
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
                .batch
                .timestamps
                .extend_from_slice(&theirs.batch.timestamps[from..to]);
            for (column, values) in block.batch.columns.iter_mut().zip(&theirs.batch.columns) {
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

    fn timestamp_sum(&self) -> Result<i64, SinkError> {
        Ok(self
            .blocks
            .iter()
            .flat_map(|b| &b.batch.timestamps)
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
