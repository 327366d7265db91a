//! A saved stream read back: what it holds (`inspect`) and what a query
//! asks of it (`query`), rendered.

use crate::measure::system::human_bytes;
use crate::measure::{Measurement, Results, Runtime, Section, TimeStats};
use slotlab_stream::{Aggregate, Num, SeriesId, Stream, StreamError};
use std::fmt::Write;
use std::time::Duration;

/// How query rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFormat {
    /// Comma-separated, a header row first.
    Csv,
    /// One JSON object per line.
    Ndjson,
    /// Aligned columns for a terminal.
    Table,
}

/// An aggregate a query may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    /// Events.
    Count,
    /// Sum of values.
    Sum,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Sum over count.
    Mean,
    /// The value at the earliest timestamp.
    First,
    /// The value at the latest timestamp.
    Last,
}

impl Agg {
    /// Its column name.
    pub fn name(self) -> &'static str {
        match self {
            Agg::Count => "count",
            Agg::Sum => "sum",
            Agg::Min => "min",
            Agg::Max => "max",
            Agg::Mean => "mean",
            Agg::First => "first",
            Agg::Last => "last",
        }
    }

    fn of(self, a: &Aggregate) -> String {
        match self {
            Agg::Count => a.count.to_string(),
            Agg::Sum => format!("{}", a.sum),
            Agg::Min => format!("{}", a.min),
            Agg::Max => format!("{}", a.max),
            Agg::Mean => a.mean().map_or_else(String::new, |m| format!("{m}")),
            Agg::First => a.first.map_or_else(String::new, |(_, v)| format!("{v}")),
            Agg::Last => a.last.map_or_else(String::new, |(_, v)| format!("{v}")),
        }
    }
}

/// A saved stream or store, read back from `source` in `read`, as a
/// report section (`store`): a row per column — on disk, timestamps, each
/// field, the series keys, the open head — its bytes and bytes per event,
/// and the codecs each column's chunks use in the notes.
pub fn store_section(stream: &Stream, file_bytes: usize, source: &str, read: Duration) -> Section {
    let n = stream.len() as u64;
    let bytes = stream.bytes();
    let method = format!(
        "read back from {source} whole, once (as its files stand, without a writer's lock); \
         bytes = what each column's sealed chunks hold encoded (the open head raw, 8 B a value; \
         on disk: every file), per event; time = reading it back"
    );
    let time = TimeStats::from_samples(&[read]);
    let row = |layout: &str, b: usize| {
        Measurement::new(
            "store",
            Runtime::Rust,
            layout,
            n,
            0,
            time.clone(),
            method.clone(),
        )
        .with_peak(b as u64)
    };
    let mut measurements = vec![
        row("on disk", file_bytes),
        row("timestamps", bytes.timestamps),
    ];
    for (field, b) in stream.schema().fields().iter().zip(&bytes.fields) {
        measurements.push(row(&field.name, *b));
    }
    measurements.push(row("series keys", bytes.keys));
    if bytes.head > 0 {
        measurements.push(row("open head", bytes.head));
    }
    let mut notes = vec![format!(
        "{source}: {} events in {} series, {} sealed chunks of up to {} events",
        stream.len(),
        stream.series_keys().count(),
        stream.sealed_chunks(),
        stream.config().chunk_len
    )];
    for (column, uses) in stream.codec_use() {
        let used: Vec<String> = uses.iter().map(|(c, k)| format!("{c} ×{k}")).collect();
        notes.push(format!("codecs for {column}: {}", used.join(", ")));
    }
    Section {
        experiment: "store".to_owned(),
        results: Results {
            measurements,
            notes,
            ..Results::default()
        },
    }
}

/// What a saved stream holds: series, time ranges, chunks, codecs, bytes.
pub fn inspect(stream: &Stream, file_bytes: usize) -> Result<String, StreamError> {
    let mut out = String::new();
    let fields: Vec<String> = stream
        .schema()
        .fields()
        .iter()
        .map(|f| format!("{} ({})", f.name, f.kind))
        .collect();
    let config = stream.config();
    let _ = writeln!(
        out,
        "{} events in {} series, {} sealed chunks of up to {} events; fields: {}",
        stream.len(),
        stream.series_keys().count(),
        stream.sealed_chunks(),
        config.chunk_len,
        fields.join(", ")
    );
    let mut range: Option<(i64, i64)> = None;
    for key in stream.series_keys() {
        let Some(id) = stream.find_series(key) else {
            continue;
        };
        if let Some((a, b)) = stream.series_summary(id)?.range {
            range = Some(range.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
        }
    }
    if let Some((a, b)) = range {
        let _ = writeln!(out, "time range: {a} … {b} ({} … {})", iso(a), iso(b));
    }
    let bytes = stream.bytes();
    let per = |b: usize| b as f64 / stream.len().max(1) as f64;
    let _ = writeln!(
        out,
        "on disk {} = {:.4} B/reading; columns: timestamps {:.4}",
        human_bytes(file_bytes as f64),
        per(file_bytes),
        per(bytes.timestamps)
    );
    for (field, b) in stream.schema().fields().iter().zip(&bytes.fields) {
        let _ = writeln!(out, "  {}: {:.4} B/reading", field.name, per(*b));
    }
    for (column, uses) in stream.codec_use() {
        let used: Vec<String> = uses.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
        let _ = writeln!(out, "  codecs for {column}: {}", used.join(", "));
    }
    let keys: Vec<String> = stream.series_keys().map(str::to_owned).collect();
    let _ = writeln!(out, "series (key, events, chunks, first … last):");
    for key in keys.iter().take(50) {
        let Some(id) = stream.find_series(key) else {
            continue;
        };
        let s = stream.series_summary(id)?;
        let range = s
            .range
            .map_or_else(|| "empty".to_owned(), |(a, b)| format!("{a} … {b}"));
        let _ = writeln!(
            out,
            "  {:?}: {} events, {} chunks, {range}",
            s.key, s.events, s.chunks
        );
    }
    if keys.len() > 50 {
        let _ = writeln!(out, "  … and {} more series", keys.len() - 50);
    }
    Ok(out)
}

/// A timestamp read as epoch milliseconds, in ISO 8601 (UTC); `?` when
/// it is out of range.
fn iso(ms: i64) -> String {
    slotlab_stream::source::time::format_millis(ms).unwrap_or_else(|| "?".to_owned())
}

fn render(format: RowFormat, header: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    match format {
        RowFormat::Csv => {
            let _ = writeln!(out, "{}", header.join(","));
            for row in rows {
                let cells: Vec<String> = row
                    .iter()
                    .map(|c| {
                        if c.contains([',', '"', '\n']) {
                            format!("\"{}\"", c.replace('"', "\"\""))
                        } else {
                            c.clone()
                        }
                    })
                    .collect();
                let _ = writeln!(out, "{}", cells.join(","));
            }
        }
        RowFormat::Ndjson => {
            for row in rows {
                let object: serde_json::Map<String, serde_json::Value> = header
                    .iter()
                    .zip(row)
                    .map(|(k, v)| {
                        let value = v
                            .parse::<i64>()
                            .map(serde_json::Value::from)
                            .or_else(|_| v.parse::<f64>().map(serde_json::Value::from))
                            .unwrap_or_else(|_| serde_json::Value::from(v.as_str()));
                        (k.clone(), value)
                    })
                    .collect();
                let _ = writeln!(out, "{}", serde_json::Value::Object(object));
            }
        }
        RowFormat::Table => {
            let widths: Vec<usize> = (0..header.len())
                .map(|i| {
                    rows.iter()
                        .map(|r| r[i].len())
                        .chain([header[i].len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:>w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
            };
            let _ = writeln!(out, "{}", line(header));
            for row in rows {
                let _ = writeln!(out, "{}", line(row));
            }
        }
    }
    out
}

/// The events of `series` (every one when empty) with `from <= t <= to`,
/// the fields `fields` (indices) of each.
pub fn events(
    stream: &Stream,
    series: &[SeriesId],
    fields: &[usize],
    from: i64,
    to: i64,
    format: RowFormat,
) -> Result<String, StreamError> {
    let names = stream.schema().fields();
    let mut header = vec!["series".to_owned(), "timestamp".to_owned()];
    header.extend(fields.iter().map(|&f| names[f].name.clone()));
    let mut rows = Vec::new();
    for &id in series {
        let key = stream.series_summary(id)?.key;
        let batch = stream.scan(id, from, to)?;
        for (i, t) in batch.timestamps.iter().enumerate() {
            let mut row = vec![key.clone(), t.to_string()];
            for &f in fields {
                row.push(match batch.columns[f].get(i) {
                    Some(Num::F64(x)) => format!("{x}"),
                    Some(Num::I64(x)) => x.to_string(),
                    None => String::new(),
                });
            }
            rows.push(row);
        }
    }
    Ok(render(format, &header, &rows))
}

/// Aggregates per series, field and time bucket; the rows and a line
/// saying how many chunks answered from summaries and how many were
/// decoded.
#[allow(clippy::too_many_arguments)]
pub fn aggregates(
    stream: &Stream,
    series: &[SeriesId],
    fields: &[usize],
    from: i64,
    to: i64,
    every: Option<i64>,
    aggs: &[Agg],
    format: RowFormat,
) -> Result<(String, String), StreamError> {
    let names = stream.schema().fields();
    let mut header = vec!["series".to_owned(), "bucket".to_owned(), "field".to_owned()];
    header.extend(aggs.iter().map(|a| a.name().to_owned()));
    let mut rows = Vec::new();
    let (mut summaries, mut decoded, mut for_ends) = (0, 0, 0);
    let ends = aggs.iter().any(|a| matches!(a, Agg::First | Agg::Last));
    for &id in series {
        let key = stream.series_summary(id)?.key;
        for &f in fields {
            let b = stream.aggregate_every(Some(id), f, from, to, every, ends)?;
            summaries += b.from_summaries;
            decoded += b.decoded;
            for_ends += b.ends_decoded;
            for (start, a) in &b.buckets {
                // Without --every there is one bucket: the whole range.
                let bucket = if every.is_some() {
                    start.to_string()
                } else {
                    "all".to_owned()
                };
                let mut row = vec![key.clone(), bucket, names[f].name.clone()];
                row.extend(aggs.iter().map(|agg| agg.of(a)));
                rows.push(row);
            }
        }
    }
    let mut how = format!(
        "{summaries} chunk(s) answered from their summaries, {decoded} decoded (the range or a bucket boundary cuts them); open heads read as they are"
    );
    if ends {
        how.push_str(&format!(
            "; {for_ends} summary chunk(s) decoded as well for first/last (a bucket's first or last chunk)"
        ));
    }
    Ok((render(format, &header, &rows), how))
}
