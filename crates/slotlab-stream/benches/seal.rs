//! Benchmark: sealing and decoding the stream under each codec policy, on
//! every synthetic source and the real data in `data/`, side by side in one
//! run, with the bytes each policy keeps against the exhaustive `smallest`
//! (`sampled`, the default, must stay within 2% of it).
//!
//! ```text
//! cargo bench -p slotlab-stream --bench seal
//! ```
//!
//! Environment: `SLOTLAB_BENCH_N` (events per synthetic source, default
//! 4000000), `SLOTLAB_BENCH_REPEAT` (runs, median reported; default 5),
//! `SLOTLAB_BENCH_CHUNK` (events per chunk, default the stream's 65536),
//! `SLOTLAB_BENCH_ONLY` (comma-separated dataset or policy names to run,
//! e.g. `sensors,hand`; default all; without `smallest` the byte ratio is
//! not computed).
//!
//! Seal = appending every event and sealing every chunk
//! (`Events::to_stream`); decode = scanning every series whole into one
//! reused batch (`Stream::scan_into`). Speed is judged here, never in
//! tests.

use slotlab_stream::source::lines::LineOptions;
use slotlab_stream::source::{Events, Lesson, Sensors, SyntheticSource, Ticks, read_file};
use slotlab_stream::{CodecPolicy, Stream, StreamConfig};
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "common/goal.rs"]
mod goal;
use goal::goal;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse::<f64>().ok())
        .map_or(default, |v| v as usize)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Seal time, decode time and the stream, each time the median of `runs`.
fn measure(events: &Events, config: StreamConfig, runs: usize) -> (Duration, Duration, Stream) {
    let mut seal = Vec::new();
    let mut stream = None;
    for _ in 0..runs {
        let start = Instant::now();
        let s = events
            .to_stream(config)
            .expect("the stream takes the events");
        seal.push(start.elapsed());
        stream = Some(s);
    }
    let stream = stream.expect("at least one run");
    let ids: Vec<_> = events
        .keys
        .iter()
        .filter_map(|k| stream.find_series(k))
        .collect();
    // One batch, cleared and refilled for every series, as a reader that
    // keeps its buffer does: the figure is the codecs' speed, not the cost
    // of fresh pages for a new batch every time.
    let mut batch = slotlab_stream::Batch::empty(stream.schema());
    let mut decode = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let mut decoded = 0;
        for &id in &ids {
            batch.clear();
            stream
                .scan_into(id, i64::MIN, i64::MAX, &mut batch)
                .expect("decodes");
            decoded += std::hint::black_box(&batch).len();
        }
        decode.push(start.elapsed());
        assert_eq!(decoded, events.len());
    }
    (median(seal), median(decode), stream)
}

fn main() {
    let n = env_usize("SLOTLAB_BENCH_N", 4_000_000);
    let runs = env_usize("SLOTLAB_BENCH_REPEAT", 5).max(1);
    let chunk_len = env_usize("SLOTLAB_BENCH_CHUNK", StreamConfig::default().chunk_len);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/seattle-temps-2010.csv");
    let mut datasets: Vec<(&str, Events)> = vec![
        ("lesson", Lesson::default().generate(n)),
        ("sensors", Sensors::default().generate(n)),
        ("ticks", Ticks::default().generate(n)),
    ];
    match read_file(&data, None, LineOptions::default()) {
        Ok(read) => datasets.push(("seattle-temps-2010", read.events)),
        Err(e) => println!("{}: {e}; skipped", data.display()),
    }
    println!(
        "seal benchmark: {n} events per synthetic source, chunks of {chunk_len}, median of {runs} runs, one thread"
    );
    println!(
        "{:<20} {:<12} {:>10} {:>12} {:>12} {:>14}",
        "dataset", "policy", "B/event", "vs smallest", "seal M/s", "decode M/s"
    );
    let policies = [
        ("smallest", CodecPolicy::Smallest),
        ("sampled", CodecPolicy::Sampled),
        ("hand", CodecPolicy::HandWritten),
        ("pco", CodecPolicy::Pco),
    ];
    let only: Vec<String> = std::env::var("SLOTLAB_BENCH_ONLY")
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let datasets: Vec<_> = datasets
        .into_iter()
        .filter(|(name, _)| wanted(name))
        .collect();
    let policy_named = only.iter().any(|o| policies.iter().any(|(p, _)| p == o));
    let mut slowest_decode = f64::INFINITY;
    let mut worst_sampled: Option<f64> = None;
    let mut sensors_default = 0.0;
    for (name, events) in &datasets {
        let count = events.len() as f64;
        let mut smallest_bytes = f64::NAN;
        for (policy_name, codecs) in policies {
            if policy_named && !wanted(policy_name) {
                continue;
            }
            let config = StreamConfig { chunk_len, codecs };
            let (seal, decode, stream) = measure(events, config, runs);
            let bytes = stream.bytes().total() as f64 / count;
            if codecs == CodecPolicy::Smallest {
                smallest_bytes = bytes;
            }
            let ratio = bytes / smallest_bytes;
            let seal_m = count / seal.as_secs_f64() / 1e6;
            let decode_m = count / decode.as_secs_f64() / 1e6;
            println!(
                "{name:<20} {policy_name:<12} {bytes:>10.4} {ratio:>11.3}x {seal_m:>12.1} {decode_m:>14.1}"
            );
            if codecs == CodecPolicy::Sampled && ratio.is_finite() {
                worst_sampled = Some(worst_sampled.map_or(ratio, |w: f64| w.max(ratio)));
            }
            if codecs == CodecPolicy::default() && *name == "sensors" {
                sensors_default = seal_m;
            }
            slowest_decode = slowest_decode.min(decode_m);
        }
    }
    println!();
    goal(
        "sealing >= 50M events/s, sensors, default policy",
        sensors_default,
        50.0,
        true,
    );
    if let Some(worst) = worst_sampled {
        goal(
            "sampled choice within 2% of smallest's bytes on every dataset (worst, in %)",
            (worst - 1.0) * 100.0,
            2.0,
            false,
        );
    }
    goal(
        "decoding >= 200M events/s under every policy (slowest)",
        slowest_decode,
        200.0,
        true,
    );
}
