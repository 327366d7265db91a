//! A stream written out as Parquet, through the Apache `parquet` crate:
//! one row per event — `series` (a dictionary-encoded string),
//! `timestamp` (INT64, delta-encoded, as stored), one column per field
//! (DOUBLE byte-stream-split, or INT64 delta-encoded) — in row groups of up
//! to [`ROW_GROUP_EVENTS`] events, zstd-compressed, with statistics.
//! DuckDB, pyarrow/pandas and Spark read it.

use crate::{Batch, Column, FieldKind, SeriesId, Stream, StreamError};
use parquet::basic::{
    Compression, ConvertedType, Encoding, Repetition, Type as Physical, ZstdLevel,
};
use parquet::column::writer::{ColumnCloseResult, ColumnWriter, get_column_writer};
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::properties::{WriterProperties, WriterPropertiesPtr};
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::types::{ColumnDescPtr, ColumnPath, Type};
use std::sync::Arc;

/// Events per row group.
pub const ROW_GROUP_EVENTS: usize = 1 << 20;

/// Why a stream could not be written as Parquet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Reading the stream failed.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// The Parquet writer refused.
    #[error("parquet")]
    Parquet(#[from] parquet::errors::ParquetError),
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    /// Events (rows).
    pub events: usize,
    /// Row groups.
    pub row_groups: usize,
}

/// Rows gathered for row groups (the buffers kept from group to group:
/// fresh ones each time cost more in page faults than the encoding).
struct Rows {
    /// The series column as runs: a key and how many rows in a row.
    series: Vec<(ByteArray, usize)>,
    events: Batch,
}

impl Rows {
    /// Drops the first `n` rows (written).
    fn drain(&mut self, n: usize) {
        let mut left = n;
        while left > 0 {
            let Some(run) = self.series.first_mut() else {
                break;
            };
            if run.1 > left {
                run.1 -= left;
                break;
            }
            left -= run.1;
            self.series.remove(0);
        }
        self.events.timestamps.drain(..n);
        for c in &mut self.events.columns {
            match c {
                Column::F64(v) => drop(v.drain(..n)),
                Column::I64(v) => drop(v.drain(..n)),
            }
        }
    }
}

/// Writes the events of `series` with `from <= timestamp <= to` as a
/// Parquet file into `out`.
pub fn write_parquet(
    stream: &Stream,
    series: &[SeriesId],
    from: i64,
    to: i64,
    out: &mut Vec<u8>,
) -> Result<Exported, ExportError> {
    write_grouped(stream, series, (from, to), out, ROW_GROUP_EVENTS)
}

/// [`write_parquet`] in row groups of `group` events.
fn write_grouped(
    stream: &Stream,
    series: &[SeriesId],
    (from, to): (i64, i64),
    out: &mut Vec<u8>,
    group: usize,
) -> Result<Exported, ExportError> {
    let schema = stream.schema();
    let mut fields = vec![
        Arc::new(
            Type::primitive_type_builder("series", Physical::BYTE_ARRAY)
                .with_repetition(Repetition::REQUIRED)
                .with_converted_type(ConvertedType::UTF8)
                .build()?,
        ),
        Arc::new(
            Type::primitive_type_builder("timestamp", Physical::INT64)
                .with_repetition(Repetition::REQUIRED)
                .build()?,
        ),
    ];
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(group))
        .set_column_dictionary_enabled(ColumnPath::from("timestamp"), false)
        .set_column_encoding(ColumnPath::from("timestamp"), Encoding::DELTA_BINARY_PACKED);
    for field in schema.fields() {
        let (physical, encoding) = match field.kind {
            FieldKind::F64 => (Physical::DOUBLE, Encoding::BYTE_STREAM_SPLIT),
            FieldKind::I64 => (Physical::INT64, Encoding::DELTA_BINARY_PACKED),
        };
        fields.push(Arc::new(
            Type::primitive_type_builder(&field.name, physical)
                .with_repetition(Repetition::REQUIRED)
                .build()?,
        ));
        let path = ColumnPath::from(vec![field.name.clone()]);
        props = props
            .set_column_dictionary_enabled(path.clone(), false)
            .set_column_encoding(path, encoding);
    }
    let message = Arc::new(
        Type::group_type_builder("events")
            .with_fields(fields)
            .build()?,
    );
    let mut writer = SerializedFileWriter::new(out, message, Arc::new(props.build()))?;
    let mut rows = Rows {
        series: Vec::new(),
        events: Batch::empty(schema),
    };
    let mut exported = Exported {
        events: 0,
        row_groups: 0,
    };
    // Each series decoded straight into the rows; full groups written.
    for &id in series {
        let key = ByteArray::from(stream.series_summary(id)?.key.as_str());
        stream.scan_into(id, from, to, &mut rows.events)?;
        let held: usize = rows.series.iter().map(|r| r.1).sum();
        rows.series.push((key, rows.events.len() - held));
        let mut done = 0;
        while rows.events.len() - done >= group {
            write_group(&mut writer, &rows, done..done + group, &mut exported)?;
            done += group;
        }
        rows.drain(done);
    }
    if !rows.events.is_empty() || exported.row_groups == 0 {
        write_group(&mut writer, &rows, 0..rows.events.len(), &mut exported)?;
    }
    writer.close()?;
    Ok(exported)
}

/// One column chunk encoded on its own, into memory: its bytes and what
/// the file's metadata says of it.
fn encode_column(
    descr: ColumnDescPtr,
    props: &WriterPropertiesPtr,
    write: impl FnOnce(&mut ColumnWriter<'_>) -> Result<(), ParquetError>,
) -> Result<(bytes::Bytes, ColumnCloseResult), ParquetError> {
    let mut buf = TrackedWrite::new(Vec::new());
    let close = {
        let pages = Box::new(SerializedPageWriter::new(&mut buf));
        let mut writer = get_column_writer(descr, props.clone(), pages);
        write(&mut writer)?;
        writer.close()?
    };
    Ok((bytes::Bytes::from(buf.into_inner()?), close))
}

/// Writes rows `range` as a row group: the series column (made from its
/// runs, then a dictionary lookup per row: the slowest) encoded on a
/// second thread while this one encodes the timestamps and the fields; the
/// chunks then go into the file in order.
fn write_group(
    writer: &mut SerializedFileWriter<&mut Vec<u8>>,
    rows: &Rows,
    range: std::ops::Range<usize>,
    exported: &mut Exported,
) -> Result<(), ExportError> {
    let descr = writer.schema_descr().clone();
    let props = writer.properties().clone();
    let r = range.clone();
    let (first, others) = std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            let mut keys = Vec::with_capacity(r.len());
            let mut at = 0;
            for (key, n) in &rows.series {
                let (a, b) = (at.max(r.start), (at + n).min(r.end));
                if a < b {
                    keys.extend(std::iter::repeat_n(key.clone(), b - a));
                }
                at += n;
            }
            encode_column(descr.column(0), &props, |w| match w {
                ColumnWriter::ByteArrayColumnWriter(w) => {
                    w.write_batch(&keys, None, None).map(drop)
                }
                _ => Err(ParquetError::General("series is not a byte array".into())),
            })
        });
        let mut others = Vec::new();
        let timestamps = encode_column(descr.column(1), &props, |w| match w {
            ColumnWriter::Int64ColumnWriter(w) => w
                .write_batch(&rows.events.timestamps[r.clone()], None, None)
                .map(drop),
            _ => Err(ParquetError::General("timestamp is not an int64".into())),
        });
        others.push(timestamps);
        for (i, column) in rows.events.columns.iter().enumerate() {
            let encoded = encode_column(descr.column(i + 2), &props, |w| match (w, column) {
                (ColumnWriter::DoubleColumnWriter(w), Column::F64(v)) => {
                    w.write_batch(&v[r.clone()], None, None).map(drop)
                }
                (ColumnWriter::Int64ColumnWriter(w), Column::I64(v)) => {
                    w.write_batch(&v[r.clone()], None, None).map(drop)
                }
                _ => Err(ParquetError::General("a field of another type".into())),
            });
            others.push(encoded);
        }
        let first = first
            .join()
            .unwrap_or_else(|_| Err(ParquetError::General("the series encoder panicked".into())));
        (first, others)
    });
    let mut group = writer.next_row_group()?;
    for encoded in std::iter::once(first).chain(others) {
        let (bytes, close) = encoded?;
        group.append_column(&bytes, close)?;
    }
    group.close()?;
    exported.events += range.len();
    exported.row_groups += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::lines::LineOptions;
    use crate::{CodecPolicy, Field, Num, Schema, StreamConfig};

    /// Row groups that cut series' runs anywhere read back as the stream:
    /// every series, timestamp and value, in order.
    #[test]
    fn small_row_groups_cutting_series_read_back_whole() {
        let schema = Schema::new(vec![
            Field::new("v", FieldKind::F64),
            Field::new("n", FieldKind::I64),
        ])
        .unwrap();
        let config = StreamConfig {
            chunk_len: 100,
            codecs: CodecPolicy::HandWritten,
        };
        let mut stream = Stream::new(schema, config);
        let lens = [1234usize, 7, 2500, 999];
        let ids: Vec<SeriesId> = (0..lens.len())
            .map(|s| stream.series(&format!("s{s}")))
            .collect();
        for (s, &n) in lens.iter().enumerate() {
            for i in 0..n as i64 {
                let v = Num::F64(i as f64 * 0.25 + s as f64);
                stream.append(ids[s], i * 10, &[v, Num::I64(-i)]).unwrap();
            }
        }
        let mut out = Vec::new();
        let done = write_grouped(&stream, &ids, (i64::MIN, i64::MAX), &mut out, 1000).unwrap();
        let total: usize = lens.iter().sum();
        assert_eq!(done.events, total);
        assert_eq!(done.row_groups, total.div_ceil(1000));
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &out).unwrap();
        let back = crate::source::parquet::read_parquet(file.path(), &LineOptions::default())
            .unwrap()
            .events;
        assert_eq!(back.series.len(), total);
        let mut at = 0;
        for (s, &n) in lens.iter().enumerate() {
            for i in 0..n {
                assert_eq!(back.keys[back.series[at] as usize], format!("s{s}"));
                assert_eq!(back.batch.timestamps[at], i as i64 * 10);
                assert_eq!(
                    back.batch.row(at),
                    [Num::F64(i as f64 * 0.25 + s as f64), Num::I64(-(i as i64))]
                );
                at += 1;
            }
        }
    }
}
