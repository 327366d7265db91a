//! Parquet files as a source (what `slotlab export` writes, or any flat
//! Parquet file): the timestamp column found by the same names as the line
//! reader's (or `ts_field`), the series column by `series_field`, every
//! other numeric column a field — DOUBLE/FLOAT as floats, INT64/INT32 as
//! integers, as the file types them. A row with a null, or a timestamp
//! before its series' last, is rejected and counted.

use super::lines::{BadLine, FileEvents, LineOptions, LineProblem, TIMESTAMP_NAMES};
use super::{Events, SourceError};
use crate::{Field, FieldKind, Num, Schema};
use parquet::basic::Type as Physical;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Row, RowAccessor};
use rustc_hash::FxHashMap;
use std::path::Path;

/// How one column is read.
#[derive(Debug, Clone, Copy)]
enum Read {
    Long,
    Int,
    Double,
    Float,
}

impl Read {
    fn of(physical: Physical) -> Option<Self> {
        match physical {
            Physical::INT64 => Some(Read::Long),
            Physical::INT32 => Some(Read::Int),
            Physical::DOUBLE => Some(Read::Double),
            Physical::FLOAT => Some(Read::Float),
            _ => None,
        }
    }

    fn value(self, row: &Row, i: usize) -> Option<Num> {
        match self {
            Read::Long => row.get_long(i).ok().map(Num::I64),
            Read::Int => row.get_int(i).ok().map(|v| Num::I64(i64::from(v))),
            Read::Double => row.get_double(i).ok().map(Num::F64),
            Read::Float => row.get_float(i).ok().map(|v| Num::F64(f64::from(v))),
        }
    }
}

/// Reads the Parquet file at `path` into events.
pub fn read_parquet(path: &Path, options: &LineOptions) -> Result<FileEvents, SourceError> {
    let name = || path.display().to_string();
    let parquet_error = |source| SourceError::Parquet {
        path: name(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|source| SourceError::Open {
        path: name(),
        source,
    })?;
    let reader = SerializedFileReader::new(file).map_err(parquet_error)?;
    let descr = reader.metadata().file_metadata().schema_descr_ptr();
    let names: Vec<String> = descr
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let find = |wanted: &str| names.iter().position(|n| n.eq_ignore_ascii_case(wanted));
    let ts_at = match &options.ts_field {
        Some(field) => names.iter().position(|n| n == field),
        None => TIMESTAMP_NAMES.iter().find_map(|w| find(w)),
    };
    let header = |problem| SourceError::Stopped {
        path: name(),
        stop: super::lines::LineStop::Header { line: 0, problem },
    };
    let Some(ts_at) = ts_at else {
        return Err(header(super::lines::HeaderProblem::NoTimestamp {
            names: names.clone(),
            wanted: match &options.ts_field {
                Some(f) => vec![f.clone()],
                None => TIMESTAMP_NAMES.iter().map(|s| (*s).to_owned()).collect(),
            },
        }));
    };
    let series_at = find(&options.series_field).filter(|&i| i != ts_at);
    let ts_read = Read::of(descr.column(ts_at).physical_type()).unwrap_or(Read::Long);
    let mut fields = Vec::new();
    let mut reads = Vec::new();
    for (i, column) in descr.columns().iter().enumerate() {
        if i == ts_at || Some(i) == series_at {
            continue;
        }
        let Some(read) = Read::of(column.physical_type()) else {
            continue;
        };
        let kind = match read {
            Read::Long | Read::Int => FieldKind::I64,
            Read::Double | Read::Float => FieldKind::F64,
        };
        fields.push(Field::new(column.name(), kind));
        reads.push((i, read));
    }
    let schema = Schema::new(fields).map_err(|e| match e {
        crate::StreamError::Schema(s) => header(super::lines::HeaderProblem::Schema(s)),
        _ => header(super::lines::HeaderProblem::Schema(
            crate::SchemaError::NoFields,
        )),
    })?;
    let mut events = Events::with_capacity(schema, Vec::new(), 0);
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut last: Vec<i64> = Vec::new();
    let (mut rejected, mut bad) = (0u64, Vec::new());
    let rows = reader.get_row_iter(None).map_err(parquet_error)?;
    for (index, row) in rows.enumerate() {
        let row = row.map_err(parquet_error)?;
        let line = index as u64 + 1;
        let mut reject = |problem| {
            rejected += 1;
            if bad.len() < super::lines::BAD_LINES_KEPT {
                bad.push(BadLine { line, problem });
            }
        };
        let Some(Num::I64(ts)) = ts_read.value(&row, ts_at) else {
            reject(LineProblem::Missing(names[ts_at].clone()));
            continue;
        };
        let key = match series_at {
            None => String::new(),
            Some(i) => match (row.get_string(i), row.get_long(i)) {
                (Ok(s), _) => s.clone(),
                (_, Ok(n)) => n.to_string(),
                _ => {
                    reject(LineProblem::Missing(names[i].clone()));
                    continue;
                }
            },
        };
        let values: Option<Vec<Num>> = reads.iter().map(|&(i, read)| read.value(&row, i)).collect();
        let Some(values) = values else {
            reject(LineProblem::Missing("a field (null)".to_owned()));
            continue;
        };
        let id = match ids.get(&key) {
            Some(&id) => id,
            None => {
                let id = last.len() as u32;
                ids.insert(key.clone(), id);
                last.push(i64::MIN);
                events.keys.push(key.clone());
                id
            }
        };
        if ts < last[id as usize] {
            reject(LineProblem::Backwards {
                timestamp: ts,
                last: last[id as usize],
                series: key,
            });
            continue;
        }
        last[id as usize] = ts;
        events.series.push(id);
        events.batch.timestamps.push(ts);
        for (column, value) in events.batch.columns.iter_mut().zip(values) {
            column.push(value);
        }
    }
    if events.is_empty() {
        return Err(SourceError::Empty {
            path: name(),
            rejected,
        });
    }
    Ok(FileEvents {
        events,
        rejected,
        bad,
        timestamp_field: names[ts_at].clone(),
        naive_times_as_utc: false,
        rejects: Vec::new(),
    })
}
