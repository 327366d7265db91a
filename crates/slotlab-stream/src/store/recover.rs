//! Opening a store after whatever happened to it: the segments' chunks
//! loaded (a torn tail of the last cut), then the WAL replayed into the
//! open heads, skipping what the segments hold (a torn tail cut,
//! corruption before it named with its offset).

use super::segments::{self, SegmentInfo, SegmentRecord};
use super::wal::{self, Record};
use super::{Recovery, Store, StoreError, io};
use crate::SeriesId;
use rustc_hash::FxHashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// A file's bytes, and (when writing) its handle.
fn read_file(path: &Path, write: bool) -> Result<(Vec<u8>, Option<File>), StoreError> {
    let mut bytes = Vec::new();
    if write {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(io(path))?;
        file.read_to_end(&mut bytes).map_err(io(path))?;
        return Ok((bytes, Some(file)));
    }
    match std::fs::File::open(path) {
        Ok(mut file) => file.read_to_end(&mut bytes).map_err(io(path))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(io(path)(e)),
    };
    Ok((bytes, None))
}

/// Cuts `file` back to `good` bytes and leaves it at its end.
fn cut(file: &mut File, good: usize, path: &Path) -> Result<(), StoreError> {
    file.set_len(good as u64).map_err(io(path))?;
    file.seek(SeekFrom::End(0)).map_err(io(path))?;
    Ok(())
}

fn corrupt(path: &Path, offset: usize, problem: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: path.to_owned(),
        offset: offset as u64,
        problem: problem.into(),
    }
}

/// Series names as the files give them: id → key, each id once.
#[derive(Default)]
struct Names {
    keys: Vec<Option<String>>,
    ids: FxHashMap<String, u32>,
}

impl Names {
    fn add(&mut self, id: u32, key: &str, path: &Path, offset: usize) -> Result<(), StoreError> {
        let i = id as usize;
        if self.keys.len() <= i {
            self.keys.resize(i + 1, None);
        }
        let clash = match (&self.keys[i], self.ids.get(key)) {
            (Some(known), _) if known != key => true,
            (_, Some(&other)) if other != id => true,
            _ => false,
        };
        if clash {
            return Err(corrupt(
                path,
                offset,
                format!("series {id} named twice ({key:?})"),
            ));
        }
        self.keys[i] = Some(key.to_owned());
        self.ids.insert(key.to_owned(), id);
        Ok(())
    }
}

impl Store {
    /// Loads what the files hold. Writing, a torn tail is cut, the WAL and
    /// the last segment stay open at their end, and chunks the replay
    /// sealed go to the segment; reading, nothing is touched.
    pub(super) fn recover(&mut self, listed: &[u32], write: bool) -> Result<Recovery, StoreError> {
        let schema = self.stream.schema.clone();
        let config = self.stream.config;
        let wal_path = self.dir.join("wal.log");
        let (wal_bytes, wal_file) = read_file(&wal_path, write)?;
        let (records, good) = wal::records(&wal_bytes).map_err(|at| {
            corrupt(
                &wal_path,
                at,
                "a WAL record's checksum does not match, with records after it",
            )
        })?;
        let records = records
            .into_iter()
            .map(|(at, body)| {
                wal::parse(body, &schema)
                    .map(|r| (at, r))
                    .map_err(|p| corrupt(&wal_path, at, p))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut recovery = Recovery {
            wal_cut_bytes: (wal_bytes.len() - good) as u64,
            segments: listed.len(),
            ..Recovery::default()
        };
        // The segments, read whole; only the last may have a torn tail.
        let mut names = Names::default();
        let mut loaded: Vec<(u32, PathBuf, Vec<SegmentRecord>)> = Vec::new();
        for (k, &n) in listed.iter().enumerate() {
            let path = segments::segment_path(&self.dir, n);
            let last = k + 1 == listed.len();
            if !path.is_file() {
                return Err(StoreError::MissingSegment(path));
            }
            let (bytes, file) = read_file(&path, write && last)?;
            let (seg_records, good) = segments::read_segment(&bytes, config, &schema)
                .map_err(|(at, problem)| corrupt(&path, at, problem))?;
            if good < bytes.len() {
                if !last {
                    return Err(corrupt(
                        &path,
                        good,
                        "a torn tail in a segment before the last",
                    ));
                }
                recovery.segment_cut_bytes = (bytes.len() - good) as u64;
            }
            if let Some(mut file) = file {
                cut(&mut file, good, &path)?;
                self.active = Some(file);
            }
            for r in &seg_records {
                if let SegmentRecord::Series { id, key } = r {
                    names.add(*id, key, &path, 0)?;
                }
            }
            let mut info = SegmentInfo::new(n);
            info.bytes = good as u64;
            self.segments.push(info);
            loaded.push((n, path, seg_records));
        }
        for (at, r) in &records {
            if let Record::Series { id, key, .. } = r {
                names.add(*id, key, &wal_path, *at)?;
            }
        }
        for (id, key) in names.keys.iter().enumerate() {
            let key = key
                .as_deref()
                .ok_or_else(|| corrupt(&wal_path, 0, format!("series {id} is never named")))?;
            self.add_series(key);
        }
        // Chunks, each series' in order, continuing its count.
        let mut seen = vec![false; names.keys.len()];
        for (k, (_, path, seg_records)) in loaded.into_iter().enumerate() {
            for r in seg_records {
                let SegmentRecord::Chunk {
                    offset,
                    series,
                    first,
                    chunk,
                } = r
                else {
                    continue;
                };
                let i = series as usize;
                let s = self
                    .stream
                    .series
                    .get_mut(i)
                    .ok_or_else(|| corrupt(&path, offset, "a chunk of a series never named"))?;
                if seen[i] && first != self.counts[i] {
                    return Err(corrupt(
                        &path,
                        offset,
                        format!(
                            "a chunk of series {i} from event {first}, after one ending at {}",
                            self.counts[i]
                        ),
                    ));
                }
                if s.last.is_some_and(|last| chunk.min_ts < last) {
                    return Err(corrupt(&path, offset, "a chunk out of time order"));
                }
                seen[i] = true;
                s.last = Some(chunk.max_ts);
                self.counts[i] = first + chunk.count as u64;
                self.stream.len += chunk.count;
                self.segments[k].add(series, &chunk);
                s.sealed.push_back(chunk);
            }
        }
        recovery.from_segment = self.stream.len;
        // A series whose chunks retention dropped starts where the WAL says.
        for (at, r) in &records {
            if let Record::Series { id, base, .. } = r {
                let i = *id as usize;
                if *base > self.counts[i] {
                    if seen[i] {
                        return Err(corrupt(
                            &wal_path,
                            *at,
                            format!(
                                "series {i}: the segments end before event {base}, sealed at the checkpoint"
                            ),
                        ));
                    }
                    self.counts[i] = *base;
                }
            }
        }
        for (i, s) in self.stream.series.iter().enumerate() {
            self.sealed_through[i] = self.counts[i];
            self.persisted[i] = s.sealed.len();
        }
        recovery.replayed = self.replay(&records, &wal_path)?;
        if let Some(mut file) = wal_file {
            cut(&mut file, good, &wal_path)?;
            self.wal = Some(file);
            self.wal_len = good as u64;
            // Chunks the replay sealed go to the segment.
            self.persist()?;
        }
        Ok(recovery)
    }

    /// The WAL's events the segments do not hold, into the open heads.
    fn replay(
        &mut self,
        records: &[(usize, Record<'_>)],
        path: &Path,
    ) -> Result<usize, StoreError> {
        let mut values = Vec::with_capacity(self.stream.schema.fields().len());
        let mut replayed = 0;
        for (at, r) in records {
            let runs = match r {
                Record::Events { runs, position } => {
                    if let Some((name, seq)) = position {
                        self.positions.insert((*name).to_owned(), *seq);
                    }
                    runs
                }
                Record::Position { name, seq } => {
                    self.positions.insert((*name).to_owned(), *seq);
                    continue;
                }
                Record::Series { .. } => continue,
            };
            for run in runs {
                let i = run.series as usize;
                if i >= self.counts.len() {
                    return Err(corrupt(path, *at, "events of a series never named"));
                }
                for k in 0..run.len() {
                    let index = run.first + k as u64;
                    if index < self.counts[i] {
                        continue; // in a sealed chunk already
                    }
                    if index > self.counts[i] {
                        return Err(corrupt(
                            path,
                            *at,
                            format!("series {i}: event {index} where {} was due", self.counts[i]),
                        ));
                    }
                    run.row(k, &self.stream.schema, &mut values);
                    self.stream
                        .append(SeriesId(run.series), run.timestamp(k), &values)
                        .map_err(|e| corrupt(path, *at, e.to_string()))?;
                    self.counts[i] += 1;
                    replayed += 1;
                }
            }
        }
        Ok(replayed)
    }
}
