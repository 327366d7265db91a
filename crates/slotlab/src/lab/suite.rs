//! Every experiment at once, for the HTML report: compare, gc, access,
//! sweep and ingest, with shared settings, as named sections.

use super::experiment::{self, Context, Experiment};
use super::{LabError, access, compare, gc, ingest_bench, sweep};
use crate::ingest::{IngestConfig, SourceSpec, Stop, Storage};
use crate::measure::Suite;
use slotlab_stream::source::Sensors;

/// The report's experiments, for a context of N objects: compare, gc,
/// access, sweep (1e3 to N, four sizes) and ingest (N sensor events into
/// every sink). `bandwidth_probe_bytes` is compare's memory-bandwidth
/// probe (`None`: skip it).
pub fn experiments(n: u64, bandwidth_probe_bytes: Option<usize>) -> Vec<Box<dyn Experiment>> {
    let mut ingest_config =
        IngestConfig::new(SourceSpec::Sensors(Sensors::default()), Storage::Stream);
    ingest_config.events = Some(n);
    vec![
        Box::new(compare::Compare {
            bandwidth_probe_bytes,
        }),
        Box::new(gc::Gc),
        Box::new(access::Access),
        Box::new(sweep::Sweep {
            sizes: sweep::sizes(1000, n.max(1000), 4),
            cases: sweep::DEFAULT_CASES.to_vec(),
        }),
        Box::new(ingest_bench::IngestBench::new(
            ingest_config,
            Storage::ALL.to_vec(),
            Stop::new(),
        )),
    ]
}

/// Runs every experiment of the report in `cx`, a section each.
pub fn run(cx: &mut Context<'_>, bandwidth_probe_bytes: Option<usize>) -> Result<Suite, LabError> {
    let title = format!("report N={}", cx.n);
    experiment::run_all(&title, &mut experiments(cx.n, bandwidth_probe_bytes), cx)
}
