//! The write path: events appended to the stream and logged in the WAL
//! (one record per batch, with a position when one is given), sealed
//! chunks written to the segment once their events are synced.

use super::segments;
use super::{Store, StoreError, SyncPolicy, WAL_BUFFER, io, wal};
use crate::{Batch, Num, SeriesId};
use std::io::Write as _;

impl Store {
    /// Appends one event (as a batch of one; for tests and tools — a
    /// writer of many events appends batches).
    pub fn append(
        &mut self,
        id: SeriesId,
        timestamp: i64,
        values: &[Num],
    ) -> Result<(), StoreError> {
        // Columns as the values come: the stream checks them against the
        // schema, as it checks any batch.
        let one = Batch {
            timestamps: vec![timestamp],
            columns: values
                .iter()
                .map(|&v| {
                    let mut c = crate::Column::new(v.kind());
                    c.push(v);
                    c
                })
                .collect(),
        };
        self.append_batch(&[id], &one, 0..1)
    }

    /// Appends `rows` of a batch, row `i` of series `ids[i]`: to the stream
    /// (full heads sealed, their chunks written to the segment), then in
    /// one WAL record. Durable when the WAL is next synced, as the policy
    /// says. The events before one the stream refuses are kept (and
    /// logged); the error is returned.
    pub fn append_batch(
        &mut self,
        ids: &[SeriesId],
        batch: &Batch,
        rows: std::ops::Range<usize>,
    ) -> Result<(), StoreError> {
        self.append_batch_at(ids, batch, rows, None)
    }

    /// [`Store::append_batch`], recording in the same WAL record that an
    /// outside source `name` (a broker partition) has been applied up to
    /// `seq`: durable with the events, never without them
    /// ([`Store::position`] reads it back, after a crash too).
    pub fn append_batch_at(
        &mut self,
        ids: &[SeriesId],
        batch: &Batch,
        rows: std::ops::Range<usize>,
        position: Option<(&str, u64)>,
    ) -> Result<(), StoreError> {
        if self.broken {
            return Err(StoreError::Broken);
        }
        let before = self.stream.len;
        let refused = self.stream.append_columns(ids, batch, rows.clone()).err();
        let taken = self.stream.len - before;
        if let Some((name, seq)) = position {
            self.positions.insert(name.to_owned(), seq);
        }
        self.guarded(|s| s.log(ids, batch, rows.start..rows.start + taken, position))?;
        match refused {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// Logs rows the stream took, and syncs (which persists sealed chunks,
    /// rolling segments), checkpoints or applies retention as due.
    pub(super) fn log(
        &mut self,
        ids: &[SeriesId],
        batch: &Batch,
        rows: std::ops::Range<usize>,
        position: Option<(&str, u64)>,
    ) -> Result<(), StoreError> {
        let n = rows.len() as u64;
        let before = self.pending.len();
        wal::events(
            &mut self.pending,
            &mut self.grouping,
            ids,
            batch,
            rows,
            &mut self.counts,
            position,
        );
        self.wal_len += (self.pending.len() - before) as u64;
        self.appended += n;
        if self.pending.len() >= WAL_BUFFER {
            self.flush_wal()?;
        }
        let due = match self.options.sync {
            SyncPolicy::Always => true,
            SyncPolicy::Interval(every) => self.last_sync.elapsed() >= every,
            SyncPolicy::Never => false,
        };
        if self.wal_len >= self.next_checkpoint {
            self.checkpoint()?;
        } else if due {
            self.sync()?;
        }
        if std::mem::take(&mut self.retention_due) {
            self.retain()?;
        }
        Ok(())
    }

    /// Writes chunks sealed since the last call to the active segment,
    /// rolling to a new one when it is full. Called once the WAL records of
    /// their events are synced (or are being checkpointed).
    pub(super) fn persist(&mut self) -> Result<(), StoreError> {
        let mut out = Vec::new();
        let Some(info) = self.segments.last_mut() else {
            return Ok(());
        };
        for (i, s) in self.stream.series.iter().enumerate() {
            if s.sealed.len() == self.persisted[i] {
                continue;
            }
            if !info.chunks.contains_key(&(i as u32)) {
                segments::frame_series(i as u32, &s.key, &mut out);
            }
            for chunk in s.sealed.iter().skip(self.persisted[i]) {
                segments::frame_chunk(i as u32, self.sealed_through[i], chunk, &mut out);
                info.add(i as u32, chunk);
                self.sealed_through[i] += chunk.count as u64;
            }
            self.persisted[i] = s.sealed.len();
        }
        if out.is_empty() {
            return Ok(());
        }
        info.bytes += out.len() as u64;
        let number = info.number;
        let full = info.bytes >= self.options.segment_bytes;
        let path = segments::segment_path(&self.dir, number);
        if let Some(active) = self.active.as_mut() {
            active.write_all(&out).map_err(io(&path))?;
        }
        if full {
            self.roll()?;
            // Retention runs on the write path (`log`), never from inside a
            // sync, checkpoint or close that wrote this chunk.
            self.retention_due = true;
        }
        Ok(())
    }

    /// Writes the gathered WAL records (not yet synced).
    pub(super) fn flush_wal(&mut self) -> Result<(), StoreError> {
        if !self.pending.is_empty() {
            let path = self.dir.join("wal.log");
            if let Some(wal) = self.wal.as_mut() {
                wal.write_all(&self.pending).map_err(io(&path))?;
            }
            self.pending.clear();
        }
        Ok(())
    }
}
