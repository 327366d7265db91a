//! The stream as a durable store in a directory (first slice of the store:
//! one segment, no retention yet).
//!
//! - `LOCK`: held (an advisory lock) while a store is open, so two writers
//!   cannot open one; the system drops it when a process dies.
//! - `MANIFEST`: the format version, the schema and chunking (JSON,
//!   replaced atomically).
//! - `chunks.seg`: sealed chunks, appended, each framed and checksummed as
//!   in a saved file, preceded by its series id.
//! - `wal.log`: every series named and every event appended since the last
//!   checkpoint, as checksummed records (`len u32`, `crc u32`, body).
//!
//! An event is durable once the WAL record holding it is fsync'd
//! ([`SyncPolicy`]). Opening loads the segment's chunks, then replays the
//! WAL into the open heads, skipping events the segment already holds; a
//! torn tail (a record cut short, or a bad checksum on the last record) is
//! cut and said; anything corrupt before it stops the open with the file
//! and offset. A clean [`Store::close`] seals the heads into chunks, syncs
//! the segment and empties the WAL.

use crate::{FieldKind, Num, Schema, SeriesId, Stream, StreamConfig, StreamError};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The store format this build writes and reads.
pub const STORE_VERSION: u32 = 1;

/// When appended events are made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPolicy {
    /// fsync after every append.
    Always,
    /// fsync when this long has passed since the last (group commit).
    Interval(Duration),
    /// Only on close.
    Never,
}

/// Why a store could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file system refused.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// Another process has the store open.
    #[error("{0} is open in another process (its LOCK is held)")]
    Locked(PathBuf),
    /// A store of another format version.
    #[error("{path}: store format version {found}; this slotlab reads version {STORE_VERSION}")]
    Version {
        /// The manifest.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// The manifest cannot be read, or says another schema than asked.
    #[error("{path}: {problem}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Something corrupt before the end of a file (not a torn tail).
    #[error("{path}: corrupt at byte {offset}: {problem}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where.
        offset: u64,
        /// What.
        problem: String,
    },
    /// The stream refused an event.
    #[error(transparent)]
    Stream(#[from] StreamError),
}

/// What opening found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recovery {
    /// Events read from sealed chunks in the segment.
    pub from_segment: usize,
    /// Events replayed from the WAL into open heads.
    pub replayed: usize,
    /// Bytes of a torn WAL tail cut (never reported durable).
    pub wal_cut_bytes: u64,
    /// Bytes of a torn segment tail cut (their events are in the WAL).
    pub segment_cut_bytes: u64,
}

/// The WAL's good records (offset, body) and where the good part ends.
type WalRecords<'a> = (Vec<(usize, &'a [u8])>, usize);

const SERIES_RECORD: u8 = 1;
const EVENT_RECORD: u8 = 2;

/// A stream kept in a directory.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    _lock: File,
    stream: Stream,
    wal: File,
    segment: File,
    /// Sealed chunks already in the segment, per series.
    persisted: Vec<usize>,
    /// Events appended per series (its next event's index).
    counts: Vec<u64>,
    sync: SyncPolicy,
    last_sync: Instant,
    appended: u64,
    durable: u64,
    scratch: Vec<u8>,
    /// WAL records not yet written (one write per [`WAL_BUFFER`] bytes or
    /// per sync, not per event).
    pending: Vec<u8>,
}

/// WAL bytes gathered before a write.
const WAL_BUFFER: usize = 1 << 20;

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

fn manifest_text(schema: &Schema, config: StreamConfig) -> String {
    let fields: Vec<serde_json::Value> = schema
        .fields()
        .iter()
        .map(|f| serde_json::json!([f.name, f.kind.to_string()]))
        .collect();
    serde_json::json!({
        "version": STORE_VERSION,
        "fields": fields,
        "chunk_len": config.chunk_len,
        "codecs": format!("{:?}", config.codecs),
    })
    .to_string()
}

/// One WAL record's body framed: `len u32`, `crc u32`, body.
fn frame(body: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
}

/// Bytes of the store files in `dir` on disk now.
pub fn disk_bytes(dir: &Path) -> u64 {
    ["MANIFEST", "chunks.seg", "wal.log"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

/// Whether `dir` holds a store (its MANIFEST).
pub fn is_store(dir: &Path) -> bool {
    dir.join("MANIFEST").is_file()
}

impl Store {
    /// Opens the existing store in `dir`, its schema and chunking read
    /// from its MANIFEST.
    pub fn open_existing(dir: &Path, sync: SyncPolicy) -> Result<(Store, Recovery), StoreError> {
        let manifest = dir.join("MANIFEST");
        let bad = |problem: String| StoreError::Manifest {
            path: manifest.clone(),
            problem,
        };
        let text = std::fs::read_to_string(&manifest).map_err(io(&manifest))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let found = value["version"].as_u64().unwrap_or(0) as u32;
        if found != STORE_VERSION {
            return Err(StoreError::Version {
                path: manifest,
                found,
            });
        }
        let mut fields = Vec::new();
        for field in value["fields"].as_array().into_iter().flatten() {
            let (Some(name), Some(kind)) = (field[0].as_str(), field[1].as_str()) else {
                return Err(bad("a field without a name and kind".into()));
            };
            let kind = match kind {
                "f64" => FieldKind::F64,
                "i64" => FieldKind::I64,
                other => return Err(bad(format!("unknown field kind {other:?}"))),
            };
            fields.push(crate::Field::new(name, kind));
        }
        let schema = Schema::new(fields).map_err(|e| bad(e.to_string()))?;
        let chunk_len = value["chunk_len"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| bad("no chunk length".into()))?;
        let codecs = match value["codecs"].as_str() {
            Some("Smallest") => crate::CodecPolicy::Smallest,
            Some("HandWritten") => crate::CodecPolicy::HandWritten,
            Some("Pco") => crate::CodecPolicy::Pco,
            other => return Err(bad(format!("unknown codec policy {other:?}"))),
        };
        Self::open(dir, &schema, StreamConfig { chunk_len, codecs }, sync)
    }

    /// Opens the store in `dir` (created, with `schema` and `config`, if it
    /// does not exist), recovering what a crash left.
    pub fn open(
        dir: &Path,
        schema: &Schema,
        config: StreamConfig,
        sync: SyncPolicy,
    ) -> Result<(Store, Recovery), StoreError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let lock_path = dir.join("LOCK");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        if lock.try_lock().is_err() {
            return Err(StoreError::Locked(dir.to_owned()));
        }
        let manifest = dir.join("MANIFEST");
        let expected = manifest_text(schema, config);
        match std::fs::read_to_string(&manifest) {
            Ok(text) => {
                let value: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| StoreError::Manifest {
                        path: manifest.clone(),
                        problem: e.to_string(),
                    })?;
                let found = value["version"].as_u64().unwrap_or(0) as u32;
                if found != STORE_VERSION {
                    return Err(StoreError::Version {
                        path: manifest,
                        found,
                    });
                }
                if text != expected {
                    return Err(StoreError::Manifest {
                        path: manifest,
                        problem: format!("holds another schema or chunking: {text}"),
                    });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let tmp = dir.join("MANIFEST.new");
                std::fs::write(&tmp, &expected).map_err(io(&tmp))?;
                File::open(&tmp)
                    .and_then(|f| f.sync_all())
                    .map_err(io(&tmp))?;
                std::fs::rename(&tmp, &manifest).map_err(io(&manifest))?;
                File::open(dir)
                    .and_then(|f| f.sync_all())
                    .map_err(io(dir))?;
            }
            Err(e) => return Err(io(&manifest)(e)),
        }
        let open_rw = |path: &Path| {
            OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(path)
                .map_err(io(path))
        };
        let seg_path = dir.join("chunks.seg");
        let wal_path = dir.join("wal.log");
        let mut store = Store {
            dir: dir.to_owned(),
            _lock: lock,
            stream: Stream::new(schema.clone(), config),
            wal: open_rw(&wal_path)?,
            segment: open_rw(&seg_path)?,
            persisted: Vec::new(),
            counts: Vec::new(),
            sync,
            last_sync: Instant::now(),
            appended: 0,
            durable: 0,
            scratch: Vec::new(),
            pending: Vec::new(),
        };
        let recovery = store.recover()?;
        store.appended = store.counts.iter().sum();
        store.durable = store.appended;
        Ok((store, recovery))
    }

    /// A series in memory (and its counters), not yet in the WAL.
    fn add_series(&mut self, key: &str) -> SeriesId {
        if let Some(id) = self.stream.find_series(key) {
            return id;
        }
        self.persisted.push(0);
        self.counts.push(0);
        self.stream.series(key)
    }

    /// The series named `key`, named in the WAL when new.
    pub fn series(&mut self, key: &str) -> Result<SeriesId, StoreError> {
        if let Some(id) = self.stream.find_series(key) {
            return Ok(id);
        }
        let id = self.add_series(key);
        let mut body = vec![SERIES_RECORD];
        body.extend_from_slice(&id.0.to_le_bytes());
        body.extend_from_slice(key.as_bytes());
        frame(&body, &mut self.pending);
        Ok(id)
    }

    /// Appends one event: to the WAL, then to the stream (a full head is
    /// sealed and its chunk written to the segment). Durable when the WAL is
    /// next synced, as the policy says.
    pub fn append(
        &mut self,
        id: SeriesId,
        timestamp: i64,
        values: &[Num],
    ) -> Result<(), StoreError> {
        let series = id.index();
        let index = self
            .counts
            .get(series)
            .copied()
            .ok_or(StreamError::UnknownSeries(id.0))?;
        // The stream checks shape and order first: nothing bad reaches the WAL.
        self.stream.append(id, timestamp, values)?;
        self.scratch.clear();
        self.scratch.push(EVENT_RECORD);
        self.scratch.extend_from_slice(&id.0.to_le_bytes());
        self.scratch.extend_from_slice(&index.to_le_bytes());
        self.scratch.extend_from_slice(&timestamp.to_le_bytes());
        for v in values {
            match v {
                Num::F64(x) => self.scratch.extend_from_slice(&x.to_le_bytes()),
                Num::I64(x) => self.scratch.extend_from_slice(&x.to_le_bytes()),
            }
        }
        frame(&self.scratch, &mut self.pending);
        if self.pending.len() >= WAL_BUFFER {
            self.flush_wal()?;
        }
        self.counts[series] += 1;
        self.appended += 1;
        self.persist()?;
        let due = match self.sync {
            SyncPolicy::Always => true,
            SyncPolicy::Interval(every) => self.last_sync.elapsed() >= every,
            SyncPolicy::Never => false,
        };
        if due {
            self.sync()?;
        }
        Ok(())
    }

    /// Writes chunks sealed since the last call to the segment.
    fn persist(&mut self) -> Result<(), StoreError> {
        let mut out = Vec::new();
        for (i, s) in self.stream.series.iter().enumerate() {
            for chunk in s.sealed.iter().skip(self.persisted[i]) {
                chunk.write_to(i as u32, &mut out);
            }
            self.persisted[i] = s.sealed.len();
        }
        if !out.is_empty() {
            let path = self.dir.join("chunks.seg");
            self.segment.write_all(&out).map_err(io(&path))?;
        }
        Ok(())
    }

    /// Writes the gathered WAL records (not yet synced).
    fn flush_wal(&mut self) -> Result<(), StoreError> {
        if !self.pending.is_empty() {
            let path = self.dir.join("wal.log");
            self.wal.write_all(&self.pending).map_err(io(&path))?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Makes every appended event durable (fsync of the WAL); how many are.
    pub fn sync(&mut self) -> Result<u64, StoreError> {
        self.flush_wal()?;
        let path = self.dir.join("wal.log");
        self.wal.sync_data().map_err(io(&path))?;
        self.durable = self.appended;
        self.last_sync = Instant::now();
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

    /// The stream, the store closed without sealing anything more (for
    /// reading: its lock is released).
    pub fn into_stream(self) -> Stream {
        self.stream
    }

    /// Events appended (durable or not yet).
    pub fn appended(&self) -> u64 {
        self.appended
    }

    /// Bytes of the store's files on disk now.
    pub fn disk_bytes(&self) -> u64 {
        disk_bytes(&self.dir)
    }

    /// Seals the open heads into chunks, syncs the segment and empties the
    /// WAL: a finished store is as compact as the stream in memory. The
    /// stream is handed back (every event in it now durable).
    pub fn close(mut self) -> Result<Stream, StoreError> {
        self.flush_wal()?;
        self.stream.seal()?;
        self.persist()?;
        let seg = self.dir.join("chunks.seg");
        self.segment.sync_all().map_err(io(&seg))?;
        // Every event is in the synced segment now; the WAL keeps only the
        // series names (they come before any chunk that needs them).
        let mut out = Vec::new();
        for (i, key) in self.stream.series_keys().enumerate() {
            let mut body = vec![SERIES_RECORD];
            body.extend_from_slice(&(i as u32).to_le_bytes());
            body.extend_from_slice(key.as_bytes());
            frame(&body, &mut out);
        }
        let wal = self.dir.join("wal.log");
        let tmp = self.dir.join("wal.log.new");
        std::fs::write(&tmp, &out).map_err(io(&tmp))?;
        File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&tmp))?;
        std::fs::rename(&tmp, &wal).map_err(io(&wal))?;
        File::open(&self.dir)
            .and_then(|f| f.sync_all())
            .map_err(io(&self.dir))?;
        Ok(self.stream)
    }
}

mod recover;

#[cfg(test)]
mod tests;
