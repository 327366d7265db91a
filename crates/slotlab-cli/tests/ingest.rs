//! `slotlab ingest` end to end, through the built binary.

mod common;

use assert_cmd::Command;
use std::time::Duration;

fn ingest(args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    let mut cmd = Command::cargo_bin("slotlab").unwrap();
    cmd.arg("ingest").args(args).args(["--format", "json"]);
    if let Some(text) = stdin {
        cmd.write_stdin(text);
    }
    let out = cmd.assert().success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn extra(row: &serde_json::Value, key: &str) -> f64 {
    row["extra"][key]
        .as_f64()
        .unwrap_or_else(|| panic!("no {key} in {row}"))
}

#[test]
fn every_sink_side_by_side_on_the_same_workload() {
    let value = ingest(&["--events", "30000", "--sink", "all"], None);
    let rows = value["measurements"].as_array().unwrap();
    let layouts: Vec<&str> = rows.iter().map(|m| m["layout"].as_str().unwrap()).collect();
    assert_eq!(
        layouts,
        ["table", "dict", "slots", "record", "columns", "stream"]
    );
    for row in rows {
        assert_eq!(row["experiment"], "ingest");
        assert_eq!(extra(row, "accepted"), 30000.0);
        assert_eq!(extra(row, "stored"), 30000.0);
        assert_eq!(extra(row, "dropped"), 0.0);
        assert_eq!(extra(row, "rejected"), 0.0);
        assert_eq!(extra(row, "verified"), 1.0);
        assert!(extra(row, "events_per_s") > 0.0);
        assert!(extra(row, "bytes_per_event") > 0.0);
        assert!(extra(row, "latency_p99_us") >= extra(row, "latency_p50_us"));
    }
    // The layouts differ as the lesson says: dict objects hold the most.
    let per_event = |i: usize| extra(&rows[i], "bytes_per_event");
    assert!(per_event(0) > per_event(1) && per_event(1) > per_event(2));
    let claims = value["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 3);
    let notes = value["notes"].to_string();
    assert!(notes.contains("Ranking by events/s"), "{notes}");
}

#[test]
fn stdin_lines_with_bad_ones_named_by_line() {
    let csv = "timestamp,series,price,size\n\
               2026-01-01T09:30:00Z,AAPL,190.5,100\n\
               2026-01-01T09:30:01Z,MSFT,oops,200\n\
               2026-01-01T09:30:02Z,AAPL,190.75,300\n";
    let value = ingest(
        &[
            "--source", "-", "--input", "csv", "--ints", "size", "--sink", "slots",
        ],
        Some(csv),
    );
    let row = &value["measurements"][0];
    assert_eq!(row["layout"], "slots");
    assert_eq!(extra(row, "accepted"), 2.0);
    assert_eq!(extra(row, "rejected"), 1.0);
    let notes = value["notes"].to_string();
    assert!(notes.contains("line 3: \\\"price\\\""), "{notes}");
    assert!(notes.contains("size (i64)"), "{notes}");
}

#[test]
fn strict_exits_non_zero_after_printing_the_report() {
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .args(["ingest", "--source", "-", "--strict", "--sink", "record"])
        .args(["--format", "json"])
        .write_stdin("{\"timestamp\": 1, \"v\": 1}\n{\"timestamp\": 2}\n")
        .assert()
        .failure();
    let value: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(extra(&value["measurements"][0], "stored"), 1.0);
    assert!(value["notes"].to_string().contains("line 2"));
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.starts_with("error: strict parsing stopped at line 2:"),
        "one error line: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_run_that_stores_nothing_fails_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (path, says) in [
        (
            file("empty.ndjson", b""),
            "nothing stored: the input held no events",
        ),
        (
            file("header.csv", b"timestamp,v\n"),
            "nothing stored: the input held no events",
        ),
        (
            file("garbage.ndjson", &garbage),
            "was rejected (the first: line 1",
        ),
        (
            file(
                "all-bad.ndjson",
                b"{\"timestamp\": \"soon\", \"v\": 1}\n{\"timestamp\": \"later\", \"v\": 2}\n",
            ),
            "every one of the 2 lines read was rejected",
        ),
    ] {
        let out = Command::cargo_bin("slotlab")
            .unwrap()
            .args([
                "--quiet", "ingest", "--sink", "record", "--format", "json", "--source",
            ])
            .arg(&path)
            .assert()
            .failure()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(
            stderr.starts_with("error: "),
            "{}: {stderr}",
            path.display()
        );
        assert!(stderr.contains(says), "{}: {stderr}", path.display());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        // The report is still printed.
        let value: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(extra(&value["measurements"][0], "stored"), 0.0);
    }
}

#[test]
fn sigterm_stops_intake_and_every_accepted_event_is_stored() {
    let bin = assert_cmd::cargo::cargo_bin("slotlab");
    let child = std::process::Command::new(bin)
        .args([
            "ingest",
            "--sink",
            "columns",
            "--duration",
            "60s",
            "--quiet",
        ])
        .args(["--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    common::sigterm(&child);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &value["measurements"][0];
    assert!(extra(row, "accepted") > 0.0);
    assert_eq!(extra(row, "accepted"), extra(row, "stored"));
    assert_eq!(extra(row, "verified"), 1.0);
    // It ended on the signal, not at the 60 s limit.
    assert!(value["notes"].to_string().contains("stopped on request"));
}

#[test]
fn a_second_sigterm_quits_and_says_what_is_abandoned() {
    let bin = assert_cmd::cargo::cargo_bin("slotlab");
    // A slow sink keeps the channels full, so draining takes seconds.
    let child = std::process::Command::new(bin)
        .args([
            "--quiet",
            "ingest",
            "--sink",
            "columns",
            "--duration",
            "60s",
        ])
        .args(["--store-delay", "200ms", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    for _ in 0..2 {
        common::sigterm(&child);
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: interrupted again"), "{stderr}");
    assert!(stderr.contains("not stored"), "{stderr}");
}

#[test]
fn sizes_too_large_for_the_machine_are_refused_before_anything_runs() {
    for (args, hint) in [
        (
            &["ingest", "--queue", "1e9"][..],
            "(lower --queue or --batch)",
        ),
        (
            &["ingest", "--batch", "1e8"][..],
            "(lower --queue or --batch)",
        ),
        (
            &["ingest", "--sensors", "1e9"][..],
            "(lower --sensors or --symbols)",
        ),
        (
            &["ingest", "--source", "ticks", "--symbols", "1e9"][..],
            "(lower --sensors or --symbols)",
        ),
        (
            &[
                "stream",
                "--rust-only",
                "--source",
                "sensors",
                "--sensors",
                "1e9",
            ][..],
            "(lower --sensors or --symbols)",
        ),
    ] {
        let out = Command::cargo_bin("slotlab")
            .unwrap()
            .arg("--quiet")
            .args(args)
            .timeout(Duration::from_secs(60))
            .assert()
            .failure()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(stderr.contains("is available"), "{args:?}: {stderr}");
        assert!(stderr.trim_end().ends_with(hint), "{args:?}: {stderr}");
    }
}

#[test]
fn unusable_flags_and_files_get_clear_errors() {
    let fails = |args: &[&str], says: &str| {
        let out = Command::cargo_bin("slotlab")
            .unwrap()
            .arg("ingest")
            .args(args)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    };
    fails(&["--source", "/nonexistent.ndjson"], "/nonexistent.ndjson");
    fails(&["--source", "x.csv", "--rate", "1e6"], "--rate");
    fails(&["--source", "-", "--sink", "all"], "read only once");
    fails(&["--rate", "fast"], "events per second");
    fails(&["--duration", "soon"], "10s");
}

/// The project's real CSV goes through `stream` and `ingest` with the same
/// events stored: one reader, one set of rules.
#[test]
fn the_real_csv_stores_the_same_events_through_stream_and_ingest() {
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/seattle-temps-2010.csv"
    );
    let ingested = ingest(&["--quiet", "--source", csv, "--sink", "record"], None);
    let row = &ingested["measurements"][0];
    assert_eq!(
        (extra(row, "stored"), extra(row, "rejected")),
        (8759.0, 0.0)
    );
    assert!(ingested["notes"].to_string().contains("taken as UTC"));
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .args([
            "--quiet",
            "stream",
            "--rust-only",
            "--verify",
            "--source",
            csv,
        ])
        .args(["--repeat", "1", "--warmup", "0", "--format", "json"])
        .assert()
        .success();
    let streamed: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(streamed["measurements"][0]["n"], 8759);
    assert!(streamed["notes"].to_string().contains("taken as UTC"));
}

/// Numbers a float would change are rejected and named, in both formats;
/// `--rejects` writes each rejected line with its number and reason.
#[test]
fn numbers_that_would_change_are_rejected_and_written_to_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("nums.csv");
    std::fs::write(
        &csv,
        "\u{feff}timestamp,v\n1,1e400\n2,1e-400\n3,123456789012345678901234567890\n4,9007199254740993\n5,2.5\n",
    )
    .unwrap();
    let ndjson = dir.path().join("nums.ndjson");
    std::fs::write(
        &ndjson,
        "\u{feff}{\"timestamp\": 1, \"v\": 1e-400}\n{\"timestamp\": 2, \"v\": 123456789012345678901234567890}\n\
         {\"timestamp\": 3, \"v\": 9007199254740993}\n{\"timestamp\": 4, \"v\": 2.5}\n",
    )
    .unwrap();
    for (input, bad) in [(&csv, 4.0), (&ndjson, 3.0)] {
        let rejects = dir.path().join("rejects.ndjson");
        let value = ingest(
            &[
                "--quiet",
                "--sink",
                "record",
                "--source",
                input.to_str().unwrap(),
                "--rejects",
                rejects.to_str().unwrap(),
            ],
            None,
        );
        let row = &value["measurements"][0];
        assert_eq!(
            (extra(row, "stored"), extra(row, "rejected")),
            (1.0, bad),
            "{}",
            input.display()
        );
        let written: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(written.len() as f64, bad);
        let reasons: String = written.iter().map(|w| w["reason"].to_string()).collect();
        assert!(reasons.contains("cannot be held exactly"), "{reasons}");
        assert!(
            reasons.contains("out of range for a 64-bit float"),
            "{reasons}"
        );
        assert!(
            written
                .iter()
                .all(|w| w["line"].as_u64().is_some() && w["text"].is_string())
        );
    }
}

#[test]
fn line_flags_are_refused_for_synthetic_sources() {
    for (args, flag) in [
        (&["ingest", "--ts-field", "t"][..], "--ts-field"),
        (&["ingest", "--ints", "v"][..], "--ints"),
        (&["stream", "--rust-only", "--strict"][..], "--strict"),
        (
            &["ingest", "--source", "x.csv", "--ts-field", ""][..],
            "--ts-field",
        ),
    ] {
        let out = Command::cargo_bin("slotlab")
            .unwrap()
            .args(args)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(
            stderr.starts_with(&format!("error: {flag}")),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn flags_that_do_not_apply_to_the_source_are_refused() {
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/seattle-temps-2010.csv"
    );
    for (args, says) in [
        (
            vec!["ingest", "--source", csv, "--sensors", "5"],
            "error: --sensors sizes the fleet of --source sensors",
        ),
        (
            vec!["ingest", "--source", csv, "--seed", "1"],
            "error: --seed",
        ),
        (
            vec!["ingest", "--source", csv, "--batch", "10"],
            "error: --batch",
        ),
        (
            vec!["ingest", "--source", "ticks", "--sensors", "5"],
            "error: --sensors",
        ),
        (
            vec!["stream", "--rust-only", "--source", csv, "--n", "10"],
            "error: --n",
        ),
        (
            vec![
                "stream",
                "--rust-only",
                "--source",
                "sensors",
                "--symbols",
                "3",
            ],
            "error: --symbols",
        ),
        (vec!["lesson", "--n", "_1"], "between digits"),
    ] {
        let out = Command::cargo_bin("slotlab")
            .unwrap()
            .args(&args)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    }
    // One number parser for every count flag.
    Command::cargo_bin("slotlab")
        .unwrap()
        .args([
            "--quiet", "lesson", "--layout", "slots", "--n", "10", "--repeat", "1e2", "--warmup",
            "0",
        ])
        .assert()
        .success();
}

/// `ingest --store DIR` keeps what the stream sink stores durably: read
/// back by `query`; the same seeded events again would go back in time
/// and are refused, the store kept as it was.
#[test]
fn ingest_into_a_durable_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("events");
    let value = ingest(
        &[
            "--quiet",
            "--events",
            "20000",
            "--sensors",
            "10",
            "--store",
            store.to_str().unwrap(),
        ],
        None,
    );
    let row = &value["measurements"][0];
    assert_eq!(row["layout"], "stream");
    assert_eq!(
        (extra(row, "stored"), extra(row, "verified")),
        (20000.0, 1.0)
    );
    assert!(
        value["notes"]
            .to_string()
            .contains("all 20000 durable after the close"),
        "{value}"
    );
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .arg("query")
        .arg(&store)
        .args(["--agg", "count", "--series", "sensor-003"])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout),
        "series,bucket,field,count\nsensor-003,all,celsius,2000\n"
    );
    let again = Command::cargo_bin("slotlab")
        .unwrap()
        .args([
            "--quiet",
            "ingest",
            "--events",
            "100",
            "--sensors",
            "10",
            "--store",
        ])
        .arg(&store)
        .assert()
        .failure()
        .code(1);
    let stderr = String::from_utf8_lossy(&again.get_output().stderr);
    assert!(stderr.contains("must not go backwards"), "{stderr}");
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .arg("inspect")
        .arg(&store)
        .assert()
        .success();
    assert!(
        String::from_utf8_lossy(&out.get_output().stdout).starts_with("20000 events in 10 series")
    );
    // Only the stream sink can be kept.
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .args(["ingest", "--sink", "dict", "--store"])
        .arg(dir.path().join("x"))
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).starts_with("error: --sink"));
}
