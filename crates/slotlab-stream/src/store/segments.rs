//! The manifest and the segment files: which segments the store holds,
//! each segment's records, rolling to a new segment and dropping old ones.
//!
//! A segment record is framed as `len u32`, `crc u32`, body — the series'
//! index of the chunk's first event (`u64`) and the chunk as a saved file
//! frames it. Every change to the segment list replaces the MANIFEST
//! atomically; a crash between that and the file's creation or removal
//! leaves a file the next writer removes (an empty segment after the
//! listed ones, or a segment before them).

use super::{StoreError, io};
use crate::chunk::{ChunkProblem, SealedChunk};
use crate::{CodecPolicy, Field, FieldKind, Schema, StreamConfig};
use rustc_hash::FxHashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The store format this build writes and reads.
pub const STORE_VERSION: u32 = 2;

/// What the MANIFEST says.
#[derive(Debug, Clone)]
pub(super) struct Manifest {
    pub schema: Schema,
    pub config: StreamConfig,
    /// The segments' numbers, oldest first.
    pub segments: Vec<u32>,
}

pub(super) fn manifest_path(dir: &Path) -> PathBuf {
    dir.join("MANIFEST")
}

pub(super) fn segment_path(dir: &Path, number: u32) -> PathBuf {
    dir.join(format!("seg-{number:08}.seg"))
}

/// A segment file's number, from its name.
fn segment_number(name: &str) -> Option<u32> {
    name.strip_prefix("seg-")?
        .strip_suffix(".seg")?
        .parse()
        .ok()
}

fn policy_name(policy: CodecPolicy) -> String {
    format!("{policy:?}")
}

impl Manifest {
    fn text(&self) -> String {
        let fields: Vec<serde_json::Value> = self
            .schema
            .fields()
            .iter()
            .map(|f| serde_json::json!([f.name, f.kind.to_string()]))
            .collect();
        serde_json::json!({
            "version": STORE_VERSION,
            "fields": fields,
            "chunk_len": self.config.chunk_len,
            "codecs": policy_name(self.config.codecs),
            "segments": self.segments,
        })
        .to_string()
    }

    /// The MANIFEST in `dir`, if there is one.
    pub fn read(dir: &Path) -> Result<Option<Manifest>, StoreError> {
        let path = manifest_path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        let bad = |problem: String| StoreError::Manifest {
            path: path.clone(),
            problem,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let found = value["version"].as_u64().unwrap_or(0) as u32;
        if found != STORE_VERSION {
            return Err(StoreError::Version { path, found });
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
            fields.push(Field::new(name, kind));
        }
        let schema = Schema::new(fields).map_err(|e| bad(e.to_string()))?;
        let chunk_len = value["chunk_len"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| bad("no chunk length".into()))?;
        let codecs = CodecPolicy::ALL
            .into_iter()
            .find(|p| value["codecs"].as_str() == Some(&policy_name(*p)))
            .ok_or_else(|| bad(format!("unknown codec policy {}", value["codecs"])))?;
        let mut segments = Vec::new();
        for n in value["segments"].as_array().into_iter().flatten() {
            let n = n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|&n| segments.last().is_none_or(|&last| n > last))
                .ok_or_else(|| bad("segments are not increasing numbers".into()))?;
            segments.push(n);
        }
        Ok(Some(Manifest {
            schema,
            config: StreamConfig { chunk_len, codecs },
            segments,
        }))
    }

    /// Whether a store of this manifest takes events of `schema` and
    /// `config`.
    pub fn matches(&self, schema: &Schema, config: StreamConfig) -> bool {
        self.schema.fields() == schema.fields()
            && self.config.chunk_len == config.chunk_len
            && self.config.codecs == config.codecs
    }

    /// Replaces the MANIFEST in `dir` with this one, atomically and durably.
    pub fn write(&self, dir: &Path) -> Result<(), StoreError> {
        let path = manifest_path(dir);
        let mut tmp = new_file(dir)?;
        tmp.write_all(self.text().as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(io(&path))?;
        tmp.persist(&path).map_err(|e| io(&path)(e.error))?;
        sync_dir(dir)
    }
}

/// A temporary file in `dir`, to be renamed over one of the store's, with
/// the permissions a new file gets (not the 0600 of a temporary one).
pub(super) fn new_file(dir: &Path) -> Result<tempfile::NamedTempFile, StoreError> {
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::Permissions::from_mode(0o644);
        tmp.as_file()
            .set_permissions(mode)
            .map_err(io(tmp.path()))?;
    }
    Ok(tmp)
}

/// Makes a directory's entries (files created, renamed, removed) durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir))
}

/// Segment files in `dir` the manifest does not list: those a crash left
/// (an empty one after the listed, any before them) to remove, or the
/// first that cannot be explained.
pub(super) fn leftovers(dir: &Path, listed: &[u32]) -> Result<Vec<PathBuf>, StoreError> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let Some(n) = entry.file_name().to_str().and_then(segment_number) else {
            continue;
        };
        if listed.binary_search(&n).is_ok() {
            continue;
        }
        let path = entry.path();
        let len = entry.metadata().map_err(io(&path))?.len();
        let before = listed.first().is_some_and(|&first| n < first);
        let after_empty = listed.last().is_none_or(|&last| n > last) && len == 0;
        if !(before || after_empty) {
            return Err(StoreError::UnexpectedSegment(path));
        }
        found.push(path);
    }
    Ok(found)
}

/// What a segment holds, kept while it is in the store.
#[derive(Debug, Clone, Default)]
pub(super) struct SegmentInfo {
    pub number: u32,
    /// Bytes in its file.
    pub bytes: u64,
    /// Its newest event's timestamp.
    pub max_ts: Option<i64>,
    /// Chunks per series.
    pub chunks: FxHashMap<u32, usize>,
    /// Events in all.
    pub events: u64,
}

impl SegmentInfo {
    pub fn new(number: u32) -> Self {
        Self {
            number,
            ..Self::default()
        }
    }

    /// Notes a chunk written to (or read from) the segment.
    pub fn add(&mut self, series: u32, chunk: &SealedChunk) {
        *self.chunks.entry(series).or_default() += 1;
        self.events += chunk.count as u64;
        self.max_ts = Some(self.max_ts.map_or(chunk.max_ts, |m| m.max(chunk.max_ts)));
    }
}

const SERIES: u8 = 1;
const CHUNK: u8 = 3;

/// Names series `id` in a segment (before its first chunk there, so a
/// segment never needs the WAL to say whose its chunks are).
pub(super) fn frame_series(id: u32, key: &str, out: &mut Vec<u8>) {
    super::wal::frame(out, |b| {
        b.push(SERIES);
        b.extend_from_slice(&id.to_le_bytes());
        b.extend_from_slice(key.as_bytes());
    });
}

/// Frames chunk `chunk` of `series`, its first event the series' `first`.
pub(super) fn frame_chunk(series: u32, first: u64, chunk: &SealedChunk, out: &mut Vec<u8>) {
    super::wal::frame(out, |b| {
        b.push(CHUNK);
        b.extend_from_slice(&first.to_le_bytes());
        chunk.write_to(series, b);
    });
}

/// One record read back from a segment.
pub(super) enum SegmentRecord {
    Series {
        id: u32,
        key: String,
    },
    Chunk {
        offset: usize,
        series: u32,
        first: u64,
        chunk: SealedChunk,
    },
}

/// A segment's records and where its good part ends (a torn tail after
/// it), or corruption before the tail: its offset and what is wrong.
pub(super) fn read_segment(
    bytes: &[u8],
    config: StreamConfig,
    schema: &Schema,
) -> Result<(Vec<SegmentRecord>, usize), (usize, String)> {
    let (records, good) = super::wal::records(bytes).map_err(|at| {
        (
            at,
            "a record's checksum does not match, with records after it".into(),
        )
    })?;
    let mut out = Vec::with_capacity(records.len());
    for (offset, body) in records {
        let short = || (offset, "a record too short".to_owned());
        let word4 = |at: usize| {
            body.get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
        };
        match body.first() {
            Some(&SERIES) => {
                let id = word4(1).ok_or_else(short)?;
                let key = std::str::from_utf8(&body[5..])
                    .map_err(|_| (offset, "a series key not UTF-8".to_owned()))?;
                out.push(SegmentRecord::Series {
                    id,
                    key: key.to_owned(),
                });
            }
            Some(&CHUNK) => {
                let first = body
                    .get(1..9)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_le_bytes)
                    .ok_or_else(short)?;
                let (series, chunk, used) =
                    SealedChunk::read_from(&body[9..], schema, config.chunk_len, false)
                        .map_err(|p: ChunkProblem| (offset, p.to_string()))?;
                if used != body.len() - 9 {
                    return Err((offset, "bytes after the chunk in its record".into()));
                }
                out.push(SegmentRecord::Chunk {
                    offset,
                    series,
                    first,
                    chunk,
                });
            }
            _ => return Err((offset, "a record of an unknown kind".into())),
        }
    }
    Ok((out, good))
}
