//! The stream as a durable store in a directory.
//!
//! - `LOCK`: held (an advisory lock) while a writer has the store open, so
//!   two writers cannot; the system drops it when a process dies, so a
//!   `LOCK` file a dead writer left is no obstacle.
//! - `MANIFEST`: the format version, the schema, chunking and the list of
//!   segments (JSON, replaced atomically).
//! - `seg-NNNNNNNN.seg`: sealed chunks, appended, each checksummed and
//!   tagged with its series and the index of its first event. A segment
//!   is closed at [`StoreOptions::segment_bytes`] and a new one begun;
//!   retention drops whole segments, oldest first.
//! - `wal.log`: the series and the events not yet in a segment, as
//!   checksummed records (see `wal.rs`), one per appended batch.
//!
//! An event is durable once the WAL record holding it is fsync'd
//! ([`SyncPolicy`]). When the WAL passes [`StoreOptions::wal_bytes`] it is
//! checkpointed: the segment synced, then the WAL replaced by one holding
//! only the open heads. Opening loads the segments, then replays the WAL
//! into the open heads, skipping events a segment holds; a torn tail (a
//! record cut short, a bad checksum on the last record, zeros) is cut and
//! said; anything corrupt before it stops the open with the file and
//! offset. A clean [`Store::close`] seals the heads, syncs the segment and
//! empties the WAL.

use crate::{Schema, SeriesId, Stream, StreamConfig};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod append;
mod error;
mod options;
mod recover;
mod segments;
mod wal;

pub use error::StoreError;
pub use options::{Retention, StoreOptions, SyncPolicy};
pub use segments::STORE_VERSION;
use segments::{Manifest, SegmentInfo};

/// What opening found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recovery {
    /// Events read from sealed chunks in the segments.
    pub from_segment: usize,
    /// Events replayed from the WAL into open heads.
    pub replayed: usize,
    /// Bytes of a torn WAL tail cut (never reported durable).
    pub wal_cut_bytes: u64,
    /// Bytes of a torn segment tail cut (their events are in the WAL).
    pub segment_cut_bytes: u64,
    /// Segments.
    pub segments: usize,
    /// Segment files a crash left half made or half dropped, removed.
    pub leftovers: usize,
}

/// What retention has dropped since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dropped {
    /// Segments removed.
    pub segments: usize,
    /// Their events.
    pub events: u64,
    /// Their timestamps' sum (wrapping), so a writer can still check what
    /// it stored against what it was given.
    pub timestamp_sum: i64,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Bytes of the store files in `dir` on disk now.
pub fn disk_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name == "MANIFEST" || name == "wal.log" || name.ends_with(".seg")
        })
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// The directory `dir` made if missing, and its `LOCK` taken (the system
/// drops it when the process dies).
fn lock(dir: &Path) -> Result<File, StoreError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join("LOCK");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    if lock.try_lock().is_err() {
        return Err(StoreError::Locked(dir.to_owned()));
    }
    Ok(lock)
}

/// Whether `dir` holds a store (its MANIFEST).
pub fn is_store(dir: &Path) -> bool {
    segments::manifest_path(dir).is_file()
}

/// A store's layout as it stands on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Per segment: its file and bytes.
    pub segments: Vec<(PathBuf, u64)>,
    /// The WAL's bytes.
    pub wal_bytes: u64,
}

/// A stream kept in a directory.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    /// Held while a writer has the store (none when only reading).
    _lock: Option<File>,
    stream: Stream,
    options: StoreOptions,
    /// The segments, oldest first; the last is written to.
    segments: Vec<SegmentInfo>,
    active: Option<File>,
    wal: Option<File>,
    /// Bytes in the WAL file (written or gathered).
    wal_len: u64,
    /// The WAL's length that calls for the next checkpoint: the option,
    /// or twice what the last checkpoint left (the open heads) when that
    /// is more — else heads larger than the option would be checkpointed
    /// after every batch.
    next_checkpoint: u64,
    /// Sealed chunks in memory already in a segment, per series.
    persisted: Vec<usize>,
    /// Per series: the index after its last chunk in a segment.
    sealed_through: Vec<u64>,
    /// Events appended per series (its next event's index).
    counts: Vec<u64>,
    last_sync: Instant,
    appended: u64,
    durable: u64,
    /// WAL records not yet written (one write per [`WAL_BUFFER`] bytes or
    /// per sync, not per batch).
    pending: Vec<u8>,
    grouping: wal::Grouping,
    dropped: Dropped,
    broken: bool,
    /// Checkpoints since the store was opened.
    checkpoints: u64,
    /// How far outside sources have been applied (name → sequence).
    positions: std::collections::BTreeMap<String, u64>,
    /// A segment was closed since retention last ran.
    retention_due: bool,
}

/// WAL bytes gathered before a write.
const WAL_BUFFER: usize = 1 << 20;

impl Store {
    /// Opens the existing store in `dir` for writing, its schema and
    /// chunking read from its MANIFEST.
    pub fn open_existing(
        dir: &Path,
        options: StoreOptions,
    ) -> Result<(Store, Recovery), StoreError> {
        let manifest = Manifest::read(dir)?.ok_or_else(|| {
            io(&segments::manifest_path(dir))(std::io::ErrorKind::NotFound.into())
        })?;
        Self::open(dir, &manifest.schema, manifest.config, options)
    }

    /// Checks, before any work, that a writer could open the store in `dir`
    /// now: the directory made if missing, its `LOCK` free, its MANIFEST
    /// (if any) of this format version. Nothing is held afterwards.
    pub fn preflight(dir: &Path) -> Result<(), StoreError> {
        let _lock = lock(dir)?;
        Manifest::read(dir).map(drop)
    }

    /// Reads the store in `dir` without writing anything or taking its
    /// lock (a writer may be at work): the stream as the files stand, a
    /// torn tail left where it is.
    pub fn read(dir: &Path) -> Result<(Stream, Recovery), StoreError> {
        let manifest = Manifest::read(dir)?.ok_or_else(|| {
            io(&segments::manifest_path(dir))(std::io::ErrorKind::NotFound.into())
        })?;
        let mut store = Self::new(dir, None, &manifest, StoreOptions::default());
        let recovery = store.recover(&manifest.segments, false)?;
        Ok((store.stream, recovery))
    }

    /// The store's files on disk now.
    pub fn layout(dir: &Path) -> Result<Layout, StoreError> {
        let manifest = Manifest::read(dir)?.ok_or_else(|| {
            io(&segments::manifest_path(dir))(std::io::ErrorKind::NotFound.into())
        })?;
        let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).map_err(io(p));
        let mut segments = Vec::new();
        for &n in &manifest.segments {
            let path = segments::segment_path(dir, n);
            let bytes = len(&path)?;
            segments.push((path, bytes));
        }
        Ok(Layout {
            segments,
            wal_bytes: len(&dir.join("wal.log")).unwrap_or(0),
        })
    }

    fn new(dir: &Path, lock: Option<File>, manifest: &Manifest, options: StoreOptions) -> Store {
        let mut stream = Stream::new(manifest.schema.clone(), manifest.config);
        stream.set_chunk_span(options.chunk_span);
        Store {
            dir: dir.to_owned(),
            _lock: lock,
            stream,
            options,
            segments: Vec::new(),
            active: None,
            wal: None,
            wal_len: 0,
            next_checkpoint: options.wal_bytes,
            persisted: Vec::new(),
            sealed_through: Vec::new(),
            counts: Vec::new(),
            last_sync: Instant::now(),
            appended: 0,
            durable: 0,
            pending: Vec::new(),
            grouping: wal::Grouping::default(),
            dropped: Dropped::default(),
            broken: false,
            checkpoints: 0,
            positions: std::collections::BTreeMap::new(),
            retention_due: false,
        }
    }

    /// Opens the store in `dir` for writing (created, with `schema` and
    /// `config`, if it does not exist), recovering what a crash left.
    pub fn open(
        dir: &Path,
        schema: &Schema,
        config: StreamConfig,
        options: StoreOptions,
    ) -> Result<(Store, Recovery), StoreError> {
        let lock = lock(dir)?;
        let manifest = match Manifest::read(dir)? {
            Some(m) if !m.matches(schema, config) => {
                return Err(StoreError::Manifest {
                    path: segments::manifest_path(dir),
                    problem: format!(
                        "holds another schema or chunking ({} fields, chunks of {}, {:?} codecs)",
                        m.schema.fields().len(),
                        m.config.chunk_len,
                        m.config.codecs
                    ),
                });
            }
            Some(m) => m,
            None => {
                let m = Manifest {
                    schema: schema.clone(),
                    config,
                    segments: Vec::new(),
                };
                m.write(dir)?;
                m
            }
        };
        let leftovers = segments::leftovers(dir, &manifest.segments)?;
        for path in &leftovers {
            std::fs::remove_file(path).map_err(io(path))?;
        }
        let mut store = Self::new(dir, Some(lock), &manifest, options);
        let mut recovery = store.recover(&manifest.segments, true)?;
        recovery.leftovers = leftovers.len();
        store.appended = store.counts.iter().sum();
        store.durable = store.appended;
        if store.segments.is_empty() {
            store.roll()?;
        }
        store.retain()?;
        Ok((store, recovery))
    }

    /// A series in memory (and its counters), not yet in the WAL.
    fn add_series(&mut self, key: &str) -> SeriesId {
        if let Some(id) = self.stream.find_series(key) {
            return id;
        }
        self.persisted.push(0);
        self.sealed_through.push(0);
        self.counts.push(0);
        self.stream.series(key)
    }

    /// The series named `key`, named in the WAL when new.
    pub fn series(&mut self, key: &str) -> Result<SeriesId, StoreError> {
        if let Some(id) = self.stream.find_series(key) {
            return Ok(id);
        }
        let id = self.add_series(key);
        wal::series(&mut self.pending, id.0, 0, key);
        Ok(id)
    }

    /// Makes every appended event durable (fsync of the WAL); how many are.
    pub fn sync(&mut self) -> Result<u64, StoreError> {
        if self.broken {
            return Err(StoreError::Broken);
        }
        self.guarded(|s| {
            s.flush_wal()?;
            let path = s.dir.join("wal.log");
            match s.wal.as_ref() {
                Some(wal) => wal.sync_data().map_err(io(&path)),
                None => Ok(()),
            }
        })?;
        self.durable = self.appended;
        self.last_sync = Instant::now();
        // Only now may sealed chunks go to the segment: a chunk there whose
        // events' WAL record was lost would hold events ahead of the
        // positions recorded with them.
        self.guarded(Self::persist)?;
        Ok(self.durable)
    }

    /// Events covered by an fsync.
    pub fn durable(&self) -> u64 {
        self.durable
    }

    /// The stream as it stands.
    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// Events appended (durable or not yet), since the store was made.
    pub fn appended(&self) -> u64 {
        self.appended
    }

    /// What retention dropped since the store was opened.
    pub fn dropped(&self) -> Dropped {
        self.dropped
    }

    /// How far outside source `name` has been applied (the `seq` of the
    /// last [`Store::append_batch_at`] naming it), if ever.
    pub fn position(&self, name: &str) -> Option<u64> {
        self.positions.get(name).copied()
    }

    /// WAL checkpoints since the store was opened.
    pub fn checkpoints(&self) -> u64 {
        self.checkpoints
    }

    /// How the store is kept.
    pub fn options(&self) -> StoreOptions {
        self.options
    }

    /// Bytes of the store's files on disk now.
    pub fn disk_bytes(&self) -> u64 {
        disk_bytes(&self.dir)
    }

    /// Seals the open heads into chunks, syncs the segment and empties the
    /// WAL: a finished store is as compact as the stream in memory. The
    /// stream is handed back (every event in it now durable).
    pub fn close(mut self) -> Result<Stream, StoreError> {
        if self.broken {
            return Err(StoreError::Broken);
        }
        // No retention here (it runs on the write path and at open): what a
        // writer reported it dropped stays what was dropped.
        self.sync()?;
        self.stream.seal()?;
        self.checkpoint()?;
        Ok(self.stream)
    }
}

mod maintain;

#[cfg(test)]
mod tests;
