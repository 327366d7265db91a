//! Events read once (from a Parquet file) replayed as a source: the
//! ingestion pipeline takes them as it takes a generator's, in order.

use super::{Events, SyntheticSource};
use crate::Schema;

/// Events handed out in order, each once.
#[derive(Debug, Clone)]
pub struct Replay {
    events: std::sync::Arc<Events>,
    at: usize,
}

impl Replay {
    /// `events`, from the first.
    pub fn new(events: Events) -> Self {
        Self {
            events: std::sync::Arc::new(events),
            at: 0,
        }
    }
}

impl SyntheticSource for Replay {
    fn schema(&self) -> Schema {
        self.events.schema.clone()
    }

    fn keys(&self) -> Vec<String> {
        self.events.keys.clone()
    }

    fn remaining(&self) -> Option<u64> {
        Some((self.events.len() - self.at) as u64)
    }

    fn fill(&mut self, out: &mut Events, n: usize) {
        let end = (self.at + n).min(self.events.len());
        let (from, to) = (self.at, end);
        out.series.extend_from_slice(&self.events.series[from..to]);
        out.batch
            .timestamps
            .extend_from_slice(&self.events.batch.timestamps[from..to]);
        for (mine, theirs) in out.batch.columns.iter_mut().zip(&self.events.batch.columns) {
            mine.extend_range(theirs, from..to);
        }
        self.at = end;
    }
}
