//! `inspect`, `query` and `export`: a saved stream read back.

use crate::cli;
use crate::output::{self, Target};
use anyhow::Context as _;
use slotlab::report;
use std::process::ExitCode;
use std::time::Instant;

/// Whether `path` is a store (a directory) or a saved stream file (it
/// starts `SLOTSTRM`).
pub(crate) fn is_stream_or_store(path: &std::path::Path) -> bool {
    slotlab_stream::store::is_store(path)
        || std::fs::metadata(path).is_ok_and(|m| m.is_file())
            && std::fs::File::open(path)
                .is_ok_and(|mut f| slotlab_stream::source::blocks::is_saved_stream(&mut f))
}

/// Reads a saved stream whole; a damaged one is an error naming the chunk.
pub(crate) fn load_stream(
    path: &std::path::Path,
) -> anyhow::Result<(slotlab_stream::Stream, usize)> {
    use slotlab_stream::store::{Store, disk_bytes, is_store};
    if is_store(path) {
        // Read as the files stand, without the writer's lock: a writer may
        // be at work, and reading changes nothing.
        let (stream, recovery) = Store::read(path)?;
        let torn = recovery.wal_cut_bytes + recovery.segment_cut_bytes;
        if torn > 0 {
            eprintln!(
                "note: {}: {torn} bytes at the end of its files are a write in progress or torn \
                 (never reported durable), left out and left as they are",
                path.display(),
            );
        }
        return Ok((stream, disk_bytes(path) as usize));
    }
    // Only a regular file: a device or FIFO could be read for ever.
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!(
            "{}: not a saved stream file (a directory, device or pipe)",
            path.display()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let stream =
        slotlab_stream::Stream::load(&bytes).with_context(|| format!("{}", path.display()))?;
    Ok((stream, bytes.len()))
}

pub(crate) fn inspect_command(args: &cli::InspectArgs) -> anyhow::Result<ExitCode> {
    use slotlab_stream::store::{STORE_VERSION, Store, is_store};
    let (stream, size) = load_stream(&args.path)?;
    let mut text = report::stored::inspect(&stream, size)?;
    if is_store(&args.path) {
        let layout = Store::layout(&args.path)?;
        let sizes: Vec<String> = layout
            .segments
            .iter()
            .map(|(path, bytes)| {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                format!("{name} {bytes} B")
            })
            .collect();
        text.push_str(&format!(
            "store (format version {STORE_VERSION}): {} segments ({}), WAL {} B (events not yet \
             in a segment: the open heads)\n",
            layout.segments.len(),
            sizes.join(", "),
            layout.wal_bytes
        ));
        text.push_str(&format!(
            "every record's checksum checked on load ({} chunks){}\n",
            stream.sealed_chunks(),
            if args.verify {
                ""
            } else {
                "; --verify decodes every chunk too"
            }
        ));
    } else {
        text.push_str(&format!(
            "every checksum checked ({} chunks, each decoded once on load)\n",
            stream.sealed_chunks()
        ));
    }
    if args.verify {
        let keys: Vec<String> = stream.series_keys().map(str::to_owned).collect();
        for key in &keys {
            let id = stream.find_series(key).context("a series vanished")?;
            let summary = stream.series_summary(id)?;
            let decoded = stream.scan(id, i64::MIN, i64::MAX)?.len();
            if decoded != summary.events {
                anyhow::bail!(
                    "series {key:?}: {decoded} events decoded, the chunks say {}",
                    summary.events
                );
            }
        }
        text.push_str(&format!(
            "verified: every series decoded whole, {} events, as the chunks say\n",
            stream.len()
        ));
    }
    output::emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

/// A timestamp flag: an integer as stored, or ISO-8601 (epoch ms).
fn timestamp_flag(text: &str, flag: &str) -> anyhow::Result<i64> {
    slotlab_stream::source::time::parse_timestamp(text).with_context(|| flag.to_owned())
}

/// The series and time range a query or export asks for.
fn selection(
    stream: &slotlab_stream::Stream,
    path: &std::path::Path,
    select: &cli::SelectArgs,
) -> anyhow::Result<(Vec<slotlab_stream::SeriesId>, i64, i64)> {
    let keys = &select.series;
    let from = select
        .from
        .as_deref()
        .map(|t| timestamp_flag(t, "--from"))
        .transpose()?;
    let to = select
        .to
        .as_deref()
        .map(|t| timestamp_flag(t, "--to"))
        .transpose()?;
    let (from, to) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
    if from > to {
        anyhow::bail!("--from is after --to: nothing can be in that range");
    }
    let series = if keys.is_empty() {
        stream
            .series_keys()
            .filter_map(|k| stream.find_series(k))
            .collect::<Vec<_>>()
    } else {
        keys.iter()
            .map(|k| {
                stream
                    .find_series(k)
                    .with_context(|| format!("--series: no series {k:?} in {}", path.display()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    Ok((series, from, to))
}

pub(crate) fn export_command(args: &cli::ExportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !matches!(ext.as_str(), "parquet" | "csv" | "ndjson" | "jsonl") {
        anyhow::bail!(
            "--out: {}: write .parquet, .csv or .ndjson (the format comes from the extension)",
            args.out.display()
        );
    }
    let out = Target::check(&args.out, "--out")?;
    let (stream, _) = load_stream(&args.path)?;
    let (series, from, to) = selection(&stream, &args.path, &args.select)?;
    let started = Instant::now();
    let (bytes, events) = if ext == "parquet" {
        // Room for about what it takes (Parquet takes ~2× the stream's
        // bytes), so the buffer is not copied as it grows.
        let mut bytes = Vec::with_capacity(stream.bytes().total().saturating_mul(2));
        let done = slotlab_stream::export::write_parquet(&stream, &series, from, to, &mut bytes)?;
        (bytes, done.events)
    } else {
        let format = if ext == "csv" {
            report::stored::RowFormat::Csv
        } else {
            report::stored::RowFormat::Ndjson
        };
        let fields: Vec<usize> = (0..stream.schema().fields().len()).collect();
        let text = report::stored::events(&stream, &series, &fields, from, to, format)?;
        let events = text.lines().count() - usize::from(ext == "csv");
        (text.into_bytes(), events)
    };
    let seconds = started.elapsed().as_secs_f64();
    out.write(&bytes)?;
    if !quiet {
        eprintln!(
            "wrote {} ({} events, {} bytes = {:.3} B/event; encoding {:.1}M events/s, timed in this run)",
            out.path().display(),
            events,
            bytes.len(),
            bytes.len() as f64 / events.max(1) as f64,
            events as f64 / seconds.max(1e-9) / 1e6
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn query_command(args: &cli::QueryArgs) -> anyhow::Result<ExitCode> {
    use report::stored::{Agg, RowFormat};
    let out = Target::check_opt(args.out.as_deref(), "--out")?;
    let (stream, _) = load_stream(&args.path)?;
    let (series, from, to) = selection(&stream, &args.path, &args.select)?;
    let names = stream.schema().fields();
    let fields: Vec<usize> = if args.fields.is_empty() {
        (0..names.len()).collect()
    } else {
        args.fields
            .iter()
            .map(|f| {
                stream.schema().index_of(f).with_context(|| {
                    let known: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
                    format!("--fields: no field {f:?} (the fields are {known:?})")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let format = match args.format {
        cli::RowFormatChoice::Csv => RowFormat::Csv,
        cli::RowFormatChoice::Ndjson => RowFormat::Ndjson,
        cli::RowFormatChoice::Table => RowFormat::Table,
    };
    let text = if args.agg.is_empty() {
        report::stored::events(&stream, &series, &fields, from, to, format)?
    } else {
        let every = match args.every.as_deref() {
            None => None,
            Some(text) => Some(match text.trim().parse::<i64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    let d =
                        cli::parse_duration(text).map_err(|e| anyhow::anyhow!("--every: {e}"))?;
                    i64::try_from(d.as_millis()).context("--every is too long")?
                }
            }),
        };
        let aggs: Vec<Agg> = args
            .agg
            .iter()
            .map(|a| match a {
                cli::AggChoice::Count => Agg::Count,
                cli::AggChoice::Sum => Agg::Sum,
                cli::AggChoice::Min => Agg::Min,
                cli::AggChoice::Max => Agg::Max,
                cli::AggChoice::Mean => Agg::Mean,
                cli::AggChoice::First => Agg::First,
                cli::AggChoice::Last => Agg::Last,
            })
            .collect();
        let (text, how) =
            report::stored::aggregates(&stream, &series, &fields, from, to, every, &aggs, format)?;
        eprintln!("{how}");
        text
    };
    output::emit(&text, out.as_ref())?;
    Ok(ExitCode::SUCCESS)
}
