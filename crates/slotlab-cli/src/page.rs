//! `report`: every experiment (or saved results) on one HTML page.

use crate::cli::ReportArgs;
use crate::output::Target;
use crate::progress::Progress;
use crate::{python_hint, settings};
use anyhow::Context as _;
use slotlab::lab::experiment::Context;
use slotlab::lab::suite;
use slotlab::measure::{MonotonicClock, Suite, bandwidth, system};
use slotlab::report;
use std::process::ExitCode;

pub(crate) fn report_command(args: &ReportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let json = Target::check_opt(args.json.as_deref(), "--json")?;
    let out = Target::check(&args.out, "--out")?;
    let (suite, about) = if args.from.is_empty() {
        measure_suite(args, quiet)?
    } else {
        load_suite(args)?
    };
    if let Some(target) = &json {
        let text = serde_json::to_string_pretty(&suite).context("cannot encode the results")?;
        target.write(text)?;
    }
    let page = report::html::render_html(&about, &suite)?;
    out.write(page)?;
    if !quiet {
        eprintln!("wrote {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs every experiment; the suite and a line saying how.
fn measure_suite(args: &ReportArgs, quiet: bool) -> anyhow::Result<(Suite, String)> {
    let settings = settings(args.n, &args.repeat, true, Some(&args.python_side));
    let bandwidth_probe_bytes = (!args.no_bandwidth).then(bandwidth::default_probe_bytes);
    let clock = MonotonicClock::new();
    let mut progress = Progress::new(quiet);
    let started = std::time::Instant::now();
    let suite = {
        let mut cx = Context::new(&settings, &clock, &mut progress)
            .map_err(|e| python_hint(e, settings.rust))?;
        suite::run(&mut cx, bandwidth_probe_bytes)?
    };
    progress.finish();
    let about = format!(
        "Measured in this run: N = {} ({} measured runs after {} warm-up per case), {} cores \
         ({}), allocator {}, slotlab {}; {:.0} s in all.",
        args.n,
        args.repeat.repeat,
        args.repeat.warmup,
        system::cores(),
        system::cpu_model().unwrap_or_else(|| "unknown CPU".to_owned()),
        slotlab::measure::alloc::backing_allocator().unwrap_or("unknown"),
        env!("CARGO_PKG_VERSION"),
        started.elapsed().as_secs_f64()
    );
    Ok((suite, about))
}

/// Reads every `--from` file into one suite; the suite and a line saying
/// where it came from.
fn load_suite(args: &ReportArgs) -> anyhow::Result<(Suite, String)> {
    let mut suite = Suite::default();
    for path in &args.from {
        if crate::stored::is_stream_or_store(path) {
            let started = std::time::Instant::now();
            let (stream, size) = crate::stored::load_stream(path)?;
            suite.sections.push(report::stored::store_section(
                &stream,
                size,
                &path.display().to_string(),
                started.elapsed(),
            ));
            continue;
        }
        // Only a regular file: a device or FIFO could be read for ever.
        let meta = std::fs::metadata(path)
            .with_context(|| format!("cannot read --from {}", path.display()))?;
        if !meta.is_file() {
            anyhow::bail!(
                "--from {}: not a file of saved results, a saved stream or a store",
                path.display()
            );
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --from {}", path.display()))?;
        let loaded = Suite::from_json(&text).with_context(|| {
            format!(
                "--from {}: not slotlab results (expected a report --json file, a command's \
                 --format json output, a saved stream or a store)",
                path.display()
            )
        })?;
        suite.sections.extend(loaded.sections);
    }
    let files: Vec<String> = args.from.iter().map(|p| p.display().to_string()).collect();
    let about = format!("Rendered from saved results: {}.", files.join(", "));
    Ok((suite, about))
}
