//! Fixed-width rows of 8-byte words.

use super::{BLOCK_EVENTS, Blocks, Sink, SinkError};
use crate::ingest::EventBatch;
use slotlab_stream::{Column, Schema};

/// Fixed-width rows of 8-byte words: series id (when keyed), timestamp,
/// then each field's bits.
pub(super) struct Records {
    keyed: bool,
    width: usize,
    keys: Vec<String>,
    /// Whole rows per block: a row never straddles two.
    words: Blocks<u64>,
}

impl Records {
    pub(super) fn new(schema: &Schema, keyed: bool) -> Self {
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
    fn store(&mut self, batch: &EventBatch) -> Result<(), SinkError> {
        let e = &batch.events;
        self.keys.extend(e.keys.iter().cloned());
        for (i, (&s, &t)) in e.series.iter().zip(&e.batch.timestamps).enumerate() {
            let row = self.words.open();
            if self.keyed {
                row.push(u64::from(s));
            }
            row.push(t as u64);
            for column in &e.batch.columns {
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

    fn timestamp_sum(&self) -> Result<i64, SinkError> {
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
