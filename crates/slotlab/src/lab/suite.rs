//! Every experiment at once, for the HTML report: compare, gc, access,
//! sweep and ingest, with shared settings, as named sections.

use super::{LabError, access, compare, gc, ingest, sweep};
use crate::measure::{Clock, RepeatPlan, Section, Suite};

/// Settings shared by every experiment of the suite.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// N for compare, gc and access; the sweep's largest N.
    pub n: u64,
    /// Warm-ups and repetitions.
    pub plan: RepeatPlan,
    /// CPython interpreter, if any.
    pub python: Option<String>,
    /// Bytes for compare's memory-bandwidth probe (`None`: skip it).
    pub bandwidth_probe_bytes: Option<usize>,
}

/// Runs compare, gc, access, sweep (1e3 to `n`, four sizes) and ingest
/// (`n` sensor events into every sink); `on_step`
/// gets a label before each unit of work (ingest: once a second).
pub fn run(
    config: &SuiteConfig,
    clock: &dyn Clock,
    on_step: &mut dyn FnMut(&str),
) -> Result<Suite, LabError> {
    let mut sections = Vec::new();
    let compare_config = compare::CompareConfig {
        n: config.n,
        plan: config.plan,
        rust: true,
        python: config.python.clone(),
        bandwidth_probe_bytes: config.bandwidth_probe_bytes,
    };
    let compared = compare::run(&compare_config, clock, &mut |s| {
        on_step(&format!("compare: {}", s.label()))
    })?;
    sections.push(Section {
        experiment: "compare".to_owned(),
        results: compared,
    });
    let gc_config = gc::GcConfig {
        n: config.n,
        plan: config.plan,
        rust: true,
        python: config.python.clone(),
    };
    let collected = gc::run(&gc_config, clock, &mut |s| on_step(&format!("gc: {s}")))?;
    sections.push(Section {
        experiment: "gc".to_owned(),
        results: collected,
    });
    let access_config = access::AccessConfig {
        n: config.n,
        plan: config.plan,
        rust: true,
        python: config.python.clone(),
    };
    let accessed = access::run(&access_config, clock, &mut |s| {
        on_step(&format!("access: {s}"))
    })?;
    sections.push(Section {
        experiment: "access".to_owned(),
        results: accessed,
    });
    let sweep_config = sweep::SweepConfig {
        sizes: sweep::sizes(1000, config.n.max(1000), 4),
        plan: config.plan,
        rust: true,
        python: config.python.clone(),
        cases: sweep::DEFAULT_CASES.to_vec(),
    };
    let swept = sweep::run(&sweep_config, clock, &mut |s| {
        on_step(&format!("sweep: {}", s.label()))
    })?;
    sections.push(Section {
        experiment: "sweep".to_owned(),
        results: swept,
    });
    let mut ingest_config = crate::ingest::IngestConfig::new(
        crate::ingest::SourceSpec::Sensors(slotlab_stream::source::Sensors::default()),
        crate::ingest::SinkKind::Stream,
    );
    ingest_config.events = Some(config.n);
    let ingested = ingest::run(
        &ingest_config,
        &crate::ingest::SinkKind::ALL,
        &crate::ingest::Stop::new(),
        &mut |sink, _| on_step(&format!("ingest: {sink}")),
    )?;
    sections.push(Section {
        experiment: "ingest".to_owned(),
        results: ingested.results,
    });
    Ok(Suite { sections })
}
