//! A stream written out as Parquet, through the Apache `parquet` crate:
//! one row per event — `series` (a dictionary-encoded string),
//! `timestamp` (INT64, delta-encoded, as stored), one column per field
//! (DOUBLE byte-stream-split, or INT64 delta-encoded) — in row groups of up
//! to [`ROW_GROUP_EVENTS`] events, zstd-compressed, with statistics.
//! DuckDB, pyarrow/pandas and Spark read it.

use crate::{Column, FieldKind, SeriesId, Stream, StreamError};
use parquet::basic::{
    Compression, ConvertedType, Encoding, Repetition, Type as Physical, ZstdLevel,
};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnPath, Type};
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

/// Rows gathered for one row group.
struct Rows {
    series: Vec<ByteArray>,
    timestamps: Vec<i64>,
    columns: Vec<Column>,
}

impl Rows {
    fn new(stream: &Stream) -> Self {
        Self {
            series: Vec::new(),
            timestamps: Vec::new(),
            columns: stream
                .schema()
                .fields()
                .iter()
                .map(|f| Column::new(f.kind))
                .collect(),
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
        .set_max_row_group_row_count(Some(ROW_GROUP_EVENTS))
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
    let mut rows = Rows::new(stream);
    let mut exported = Exported {
        events: 0,
        row_groups: 0,
    };
    for &id in series {
        let key = ByteArray::from(stream.series_summary(id)?.key.as_str());
        let batch = stream.scan(id, from, to)?;
        rows.series.extend(std::iter::repeat_n(key, batch.len()));
        rows.timestamps.extend_from_slice(&batch.timestamps);
        for (mine, theirs) in rows.columns.iter_mut().zip(&batch.columns) {
            mine.extend_from(theirs);
        }
        while rows.timestamps.len() >= ROW_GROUP_EVENTS {
            let rest = split_rows(&mut rows, ROW_GROUP_EVENTS, stream);
            write_group(&mut writer, &rows, &mut exported)?;
            rows = rest;
        }
    }
    if !rows.timestamps.is_empty() || exported.row_groups == 0 {
        write_group(&mut writer, &rows, &mut exported)?;
    }
    writer.close()?;
    Ok(exported)
}

/// Keeps the first `at` rows in `rows`; the rest returned.
fn split_rows(rows: &mut Rows, at: usize, stream: &Stream) -> Rows {
    let mut rest = Rows::new(stream);
    rest.series = rows.series.split_off(at);
    rest.timestamps = rows.timestamps.split_off(at);
    for (mine, theirs) in rest.columns.iter_mut().zip(&mut rows.columns) {
        *mine = match theirs {
            Column::F64(v) => Column::F64(v.split_off(at)),
            Column::I64(v) => Column::I64(v.split_off(at)),
        };
    }
    rest
}

fn write_group(
    writer: &mut SerializedFileWriter<&mut Vec<u8>>,
    rows: &Rows,
    exported: &mut Exported,
) -> Result<(), ExportError> {
    let mut group = writer.next_row_group()?;
    let mut index = 0;
    while let Some(mut column) = group.next_column()? {
        match index {
            0 => {
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&rows.series, None, None)?;
            }
            1 => {
                column
                    .typed::<Int64Type>()
                    .write_batch(&rows.timestamps, None, None)?;
            }
            i => match &rows.columns[i - 2] {
                Column::F64(v) => {
                    column.typed::<DoubleType>().write_batch(v, None, None)?;
                }
                Column::I64(v) => {
                    column.typed::<Int64Type>().write_batch(v, None, None)?;
                }
            },
        }
        column.close()?;
        index += 1;
    }
    group.close()?;
    exported.events += rows.timestamps.len();
    exported.row_groups += 1;
    Ok(())
}
