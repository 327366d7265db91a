//! Keeping a store in shape while it is written: checkpointing the WAL,
//! rolling to a new segment, dropping old segments (retention).

use super::segments::{self, Manifest, SegmentInfo};
use super::{Store, StoreError, io, wal};
use std::io::Write as _;
use std::time::Instant;

impl Store {
    /// The segment syncs, then the WAL is replaced by one holding only the
    /// series and the open heads (every sealed event is in a synced
    /// segment). Every appended event is durable after it.
    pub(super) fn checkpoint(&mut self) -> Result<(), StoreError> {
        self.guarded(Self::try_checkpoint)
    }

    /// Runs a write; a failure leaves the store broken (what is on disk
    /// may be half written: only a reopen, which cuts a torn tail, can go
    /// on from there).
    pub(super) fn guarded(
        &mut self,
        write: impl FnOnce(&mut Self) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let result = write(self);
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    /// Syncs the segment being written, if there is one.
    fn sync_active(&self) -> Result<(), StoreError> {
        if let (Some(active), Some(info)) = (self.active.as_ref(), self.segments.last()) {
            let path = segments::segment_path(&self.dir, info.number);
            active.sync_data().map_err(io(&path))?;
        }
        Ok(())
    }

    fn try_checkpoint(&mut self) -> Result<(), StoreError> {
        // The WAL synced (and the sealed chunks it covers written), then the
        // segment synced: every sealed event is durable there before the
        // WAL that holds it is replaced.
        self.sync()?;
        self.sync_active()?;
        let mut out = Vec::new();
        for (i, s) in self.stream.series.iter().enumerate() {
            wal::series(&mut out, i as u32, self.sealed_through[i], &s.key);
        }
        for (name, &seq) in &self.positions {
            wal::position(&mut out, name, seq);
        }
        for (i, s) in self.stream.series.iter().enumerate() {
            debug_assert_eq!(self.sealed_through[i] + s.head.len() as u64, self.counts[i]);
            wal::head(&mut out, i as u32, self.sealed_through[i], &s.head);
        }
        let path = self.dir.join("wal.log");
        let mut tmp = segments::new_file(&self.dir)?;
        tmp.write_all(&out)
            .and_then(|()| tmp.as_file().sync_data())
            .map_err(io(&path))?;
        let file = tmp.persist(&path).map_err(|e| io(&path)(e.error))?;
        segments::sync_dir(&self.dir)?;
        self.wal = Some(file);
        self.wal_len = out.len() as u64;
        self.next_checkpoint = self.options.wal_bytes.max(2 * self.wal_len);
        self.checkpoints += 1;
        self.pending.clear();
        self.durable = self.appended;
        self.last_sync = Instant::now();
        Ok(())
    }

    fn manifest(&self) -> Manifest {
        Manifest {
            schema: self.stream.schema.clone(),
            config: self.stream.config,
            segments: self.segments.iter().map(|s| s.number).collect(),
        }
    }

    /// Syncs the active segment and begins the next: its file made, then
    /// listed in the MANIFEST.
    pub(super) fn roll(&mut self) -> Result<(), StoreError> {
        self.guarded(Self::try_roll)
    }

    fn try_roll(&mut self) -> Result<(), StoreError> {
        self.sync_active()?;
        let number = self.segments.last().map_or(1, |s| s.number + 1);
        let path = segments::segment_path(&self.dir, number);
        let file = std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        self.segments.push(SegmentInfo::new(number));
        self.manifest().write(&self.dir)?;
        self.active = Some(file);
        Ok(())
    }

    /// Drops the oldest segments retention no longer keeps (never the
    /// active one): the WAL checkpointed first, so it holds none of their
    /// events, then the MANIFEST without them, then their files.
    pub(super) fn retain(&mut self) -> Result<(), StoreError> {
        let keep = self.options.retain;
        if keep.age.is_none() && keep.bytes.is_none() {
            return Ok(());
        }
        let newest = self.stream.series.iter().filter_map(|s| s.last).max();
        let mut total: u64 = self.segments.iter().map(|s| s.bytes).sum();
        let mut drop = 0;
        while drop + 1 < self.segments.len() {
            let seg = &self.segments[drop];
            let old = match (keep.age, newest, seg.max_ts) {
                (Some(age), Some(newest), Some(max)) => max < newest.saturating_sub(age),
                _ => false,
            };
            let big = keep.bytes.is_some_and(|limit| total > limit);
            if !(old || big) {
                break;
            }
            total -= seg.bytes;
            drop += 1;
        }
        if drop == 0 {
            return Ok(());
        }
        // The checkpoint may roll (a new segment at the end): the oldest
        // `drop` stay the ones to go.
        self.checkpoint()?;
        let gone: Vec<SegmentInfo> = self.segments.drain(..drop).collect();
        self.guarded(|s| s.manifest().write(&s.dir))?;
        for seg in gone {
            let path = segments::segment_path(&self.dir, seg.number);
            self.guarded(|_| std::fs::remove_file(&path).map_err(io(&path)))?;
            for (&series, &n) in &seg.chunks {
                let sum = self.stream.front_timestamp_sum(series as usize, n)?;
                self.dropped.timestamp_sum = self.dropped.timestamp_sum.wrapping_add(sum);
                self.stream.drop_front(series as usize, n);
                self.persisted[series as usize] -= n;
            }
            self.dropped.segments += 1;
            self.dropped.events += seg.events;
        }
        Ok(())
    }
}
