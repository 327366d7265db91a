//! Opening a store after whatever happened to it: the segment's chunks
//! loaded (a torn tail cut), then the WAL replayed into the open heads,
//! skipping what the segment holds (a torn tail cut, corruption before it
//! named with its offset).

use super::{EVENT_RECORD, Recovery, SERIES_RECORD, Store, StoreError, WalRecords, io};
use crate::chunk::{ChunkProblem, SealedChunk};
use crate::{FieldKind, Num, SeriesId};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

impl Store {
    /// Reads the WAL's records: (offset, body) until the first that does
    /// not check out; where the good part ends.
    fn wal_records<'a>(bytes: &'a [u8], path: &Path) -> Result<WalRecords<'a>, StoreError> {
        let mut records = Vec::new();
        let mut at = 0usize;
        while at < bytes.len() {
            let word = |i: usize| {
                bytes
                    .get(i..i + 4)
                    .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()))
            };
            let (Some(len), Some(crc)) = (word(at), word(at + 4)) else {
                break; // torn: the frame is cut
            };
            let end = at + 8 + len as usize;
            let Some(body) = bytes.get(at + 8..end) else {
                break; // torn: the body is cut
            };
            if crc32fast::hash(body) != crc {
                if end == bytes.len() {
                    break; // torn: the last record, half written
                }
                return Err(StoreError::Corrupt {
                    path: path.to_owned(),
                    offset: at as u64,
                    problem: "a WAL record's checksum does not match, with records after it".into(),
                });
            }
            records.push((at, body));
            at = end;
        }
        Ok((records, at))
    }

    /// Loads what the files hold (read from the store's own handles, then
    /// cut back to what checked out), leaving both handles at their end.
    pub(super) fn recover(&mut self) -> Result<Recovery, StoreError> {
        let seg_path = self.dir.join("chunks.seg");
        let wal_path = self.dir.join("wal.log");
        let mut wal_bytes = Vec::new();
        self.wal
            .read_to_end(&mut wal_bytes)
            .map_err(io(&wal_path))?;
        let (records, good) = Self::wal_records(&wal_bytes, &wal_path)?;
        let mut recovery = Recovery {
            wal_cut_bytes: (wal_bytes.len() - good) as u64,
            ..Recovery::default()
        };
        // Series first: chunks in the segment may name series the WAL named.
        for (_, body) in &records {
            if body.first() == Some(&SERIES_RECORD) {
                let key = std::str::from_utf8(body.get(5..).unwrap_or_default()).unwrap_or("");
                self.add_series(key);
            }
        }
        let mut seg_bytes = Vec::new();
        self.segment
            .read_to_end(&mut seg_bytes)
            .map_err(io(&seg_path))?;
        let mut at = 0usize;
        while at < seg_bytes.len() {
            let read = SealedChunk::read_from(
                &seg_bytes[at..],
                &self.stream.schema,
                self.stream.config.chunk_len,
            );
            match read {
                Ok((id, chunk, used)) => {
                    self.push_sealed(id, chunk, &seg_path, at)?;
                    at += used;
                }
                Err(ChunkProblem::Truncated { .. }) => break,
                // A bad checksum on the last frame is a torn write; earlier
                // it is corruption.
                Err(ChunkProblem::Checksum { .. })
                    if seg_bytes
                        .get(at..at + 4)
                        .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()) as usize)
                        .is_some_and(|len| at + 8 + len >= seg_bytes.len()) =>
                {
                    break;
                }
                Err(problem) => {
                    // A bad chunk is the tail unless a good one follows it;
                    // a torn write leaves nothing good after it.
                    return Err(StoreError::Corrupt {
                        path: seg_path,
                        offset: at as u64,
                        problem: problem.to_string(),
                    });
                }
            }
        }
        recovery.segment_cut_bytes = (seg_bytes.len() - at) as u64;
        recovery.from_segment = self.stream.len;
        self.segment.set_len(at as u64).map_err(io(&seg_path))?;
        self.segment.seek(SeekFrom::End(0)).map_err(io(&seg_path))?;
        // Then the events the segment does not hold.
        let fields = self.stream.schema.fields().len();
        let mut values = Vec::with_capacity(fields);
        for (offset, body) in &records {
            if body.first() != Some(&EVENT_RECORD) {
                continue;
            }
            let word = |i: usize| {
                body.get(i..i + 8)
                    .map(|b| <[u8; 8]>::try_from(b).unwrap_or_default())
            };
            let (Some(id4), Some(index), Some(ts)) = (
                body.get(1..5)
                    .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default())),
                word(5).map(u64::from_le_bytes),
                word(13).map(i64::from_le_bytes),
            ) else {
                return Err(StoreError::Corrupt {
                    path: wal_path,
                    offset: *offset as u64,
                    problem: "an event record too short".into(),
                });
            };
            let series = id4 as usize;
            if index < self.counts.get(series).copied().unwrap_or(0) {
                continue; // already in a sealed chunk of the segment
            }
            values.clear();
            for (f, field) in self.stream.schema.fields().iter().enumerate() {
                let raw = word(21 + 8 * f).unwrap_or_default();
                values.push(match field.kind {
                    FieldKind::F64 => Num::F64(f64::from_le_bytes(raw)),
                    FieldKind::I64 => Num::I64(i64::from_le_bytes(raw)),
                });
            }
            self.stream.append(SeriesId(id4), ts, &values)?;
            self.counts[series] += 1;
            recovery.replayed += 1;
        }
        self.wal.set_len(good as u64).map_err(io(&wal_path))?;
        self.wal.seek(SeekFrom::End(0)).map_err(io(&wal_path))?;
        // Chunks the replay sealed go to the segment.
        self.persist()?;
        Ok(recovery)
    }

    fn push_sealed(
        &mut self,
        id: u32,
        chunk: SealedChunk,
        path: &Path,
        at: usize,
    ) -> Result<(), StoreError> {
        let corrupt = |problem: &str| StoreError::Corrupt {
            path: path.to_owned(),
            offset: at as u64,
            problem: problem.to_owned(),
        };
        let i = id as usize;
        let s = self
            .stream
            .series
            .get_mut(i)
            .ok_or_else(|| corrupt("a chunk of a series never named"))?;
        if s.last.is_some_and(|last| chunk.min_ts < last) {
            return Err(corrupt("a chunk out of time order"));
        }
        s.last = Some(chunk.max_ts);
        self.stream.len += chunk.count;
        self.counts[i] += chunk.count as u64;
        s.sealed.push_back(chunk);
        self.persisted[i] += 1;
        Ok(())
    }
}
