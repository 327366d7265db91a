//! slotlab's NDJSON reader against SIMD JSON parsers, one thread, on the
//! same file (the one `bench/files/run` writes, or any NDJSON file whose
//! lines hold `time`, `sensor`, `temperature`, `humidity`):
//!
//! ```text
//! cargo run --release --manifest-path bench/json/Cargo.toml -- FILE
//! ```
//!
//! Every reader turns each line into the same four values (an integer
//! timestamp, a borrowed series key, two floats); lines per second is the
//! median of five passes over the file held in memory. slotlab's figure is
//! its whole line reader (`LineReader::read_block`: every rule checked,
//! events built and numbered by series); the others only extract values.

use serde::Deserialize;
use slotlab_stream::source::lines::{InputFormat, LineOptions, LineReader};
use std::time::Instant;

#[derive(Deserialize)]
struct Line<'a> {
    time: i64,
    #[serde(borrow)]
    sensor: &'a str,
    temperature: f64,
    humidity: f64,
}

/// One line's values folded into a checksum (so no reader is optimized away).
fn fold(sum: &mut f64, time: i64, sensor: &str, a: f64, b: f64) {
    *sum += time as f64 * 1e-12 + sensor.len() as f64 + a + b;
}

/// Every line through `parse`, folded.
fn typed<'a>(lines: &[&'a [u8]], parse: impl Fn(&'a [u8]) -> Line<'a>) -> f64 {
    let mut sum = 0.0;
    for &line in lines {
        let l = parse(line);
        fold(&mut sum, l.time, l.sensor, l.temperature, l.humidity);
    }
    sum
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: slotlab-json-bench FILE");
    let text = std::fs::read(&path).expect("the file reads");
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    println!(
        "{path}: {} lines, {:.0} MB; one thread, median of 5 passes",
        lines.len(),
        text.len() as f64 / 1e6
    );
    let measure = |name: &str, pass: &dyn Fn() -> f64| -> f64 {
        let mut times = Vec::new();
        let mut check = 0.0;
        for _ in 0..5 {
            let start = Instant::now();
            check = std::hint::black_box(pass());
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let rate = lines.len() as f64 / times[2] / 1e6;
        println!("  {name:<46} {rate:>7.2} M lines/s   (check {check:.3e})");
        rate
    };
    let slotlab = measure("slotlab LineReader (every rule, events built)", &|| {
        let options = LineOptions {
            series_field: "sensor".into(),
            ..LineOptions::default()
        };
        let mut reader = LineReader::new(InputFormat::Ndjson, options);
        let mut sum = 0.0;
        let mut first = 1u64;
        // Blocks of whole lines, about 256 KiB each, as the pipeline reads.
        let mut start = 0;
        while start < text.len() {
            let end = (start + (1 << 18)).min(text.len());
            let end = text[end..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(text.len(), |p| end + p + 1);
            let mut out = None;
            reader
                .read_block(first, &text[start..end], &mut out)
                .expect("good lines");
            if let Some(events) = out {
                sum += events.len() as f64;
            }
            first += text[start..end].iter().filter(|&&b| b == b'\n').count() as u64;
            start = end;
        }
        sum
    });
    let others = [
        measure("serde_json into a borrowed struct", &|| {
            typed(&lines, |line| serde_json::from_slice(line).expect("json"))
        }),
        measure("sonic-rs into a borrowed struct", &|| {
            typed(&lines, |line| sonic_rs::from_slice(line).expect("json"))
        }),
        measure("sonic-rs object iterator (keys found at run time)", &|| {
            use sonic_rs::JsonValueTrait;
            let mut sum = 0.0;
            for line in &lines {
                let (mut time, mut a, mut b, mut key) = (0i64, 0.0, 0.0, 0usize);
                for entry in sonic_rs::to_object_iter(*line) {
                    let (k, v) = entry.expect("json");
                    match &*k {
                        "time" => time = v.as_i64().unwrap_or(0),
                        "sensor" => key = v.as_str().map_or(0, str::len),
                        "temperature" => a = v.as_f64().unwrap_or(0.0),
                        "humidity" => b = v.as_f64().unwrap_or(0.0),
                        _ => {}
                    }
                }
                sum += time as f64 * 1e-12 + key as f64 + a + b;
            }
            sum
        }),
        measure("simd-json into a borrowed struct (line copied)", &|| {
            let mut sum = 0.0;
            let mut buf = Vec::new();
            for line in &lines {
                buf.clear();
                buf.extend_from_slice(line);
                let l: Line<'_> = simd_json::serde::from_slice(&mut buf).expect("json");
                fold(&mut sum, l.time, l.sensor, l.temperature, l.humidity);
            }
            sum
        }),
    ];
    let best = others.iter().copied().fold(0.0, f64::max);
    println!(
        "  slotlab's whole reader / fastest value extraction: {:.2}x",
        slotlab / best
    );
}
