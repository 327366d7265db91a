//! `slotlab lesson` (also `slotlab seed`, its earlier name) end to end,
//! through the built binary.

use assert_cmd::Command;
use predicates::prelude::*;

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

const SMALL: [&str; 6] = ["--n", "1000", "--repeat", "1", "--warmup", "0"];

#[test]
fn prints_both_blocks_in_the_lessons_format() {
    let out = slotlab().arg("seed").args(SMALL).assert().success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "TABLE CLASS");
    assert!(
        lines[1].starts_with("Time: ") && lines[1].ends_with(" seconds"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("Peak memory: ") && lines[2].ends_with(" MB"),
        "{stdout}"
    );
    assert_eq!(lines[4], "DICT CLASS");
    assert_eq!(lines[8], "SLOTS CLASS");
    // 1000 slots readings are 32,000 bytes: round(32000 / 2**20, 2) == 0.03.
    assert_eq!(lines[10], "Peak memory: 0.03 MB");
    assert_eq!(lines[12], "RECORD CLASS");
    assert_eq!(lines[16], "COLUMNS CLASS");
    // 1000 records are 16,000 bytes: round(16000 / 2**20, 2) == 0.02.
    assert_eq!(lines[18], "Peak memory: 0.02 MB");
    assert!(
        stdout.contains("Measured: one window = build N readings"),
        "{stdout}"
    );
}

#[test]
fn lesson_and_its_old_name_seed_run_the_same_exercise() {
    let headings = |command: &str| {
        let out = slotlab()
            .arg(command)
            .args(SMALL)
            .args(["--layout", "slots"])
            .assert()
            .success();
        let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
        (lines[0].clone(), lines[2].clone())
    };
    let lesson = headings("lesson");
    assert_eq!(
        lesson,
        ("SLOTS CLASS".to_owned(), "Peak memory: 0.03 MB".to_owned())
    );
    assert_eq!(headings("seed"), lesson);
}

#[test]
fn json_carries_the_full_measurement() {
    let out = slotlab()
        .args(["seed", "--layout", "slots", "--format", "json"])
        .args(SMALL)
        .assert()
        .success();
    let value: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let measurements = value["measurements"].as_array().unwrap();
    assert_eq!(measurements.len(), 1);
    let m = &measurements[0];
    assert_eq!(m["layout"], "slots");
    assert_eq!(m["implementation"], "rust");
    assert_eq!(m["n"], 1000);
    assert_eq!(m["repetitions"], 1);
    assert_eq!(m["peak_bytes"], 32_000);
    assert_eq!(m["bytes_per_object"], 32.0);
    assert_eq!(m["allocations"], 1001);
    let expected_sum = (0..1000).fold(0.0, |acc, i| acc + f64::from(i) * 0.1);
    assert_eq!(m["extra"]["sum"], expected_sum);
    for key in ["min_s", "median_s", "max_s"] {
        assert!(m["time"][key].as_f64().unwrap() > 0.0, "{key}");
    }
}

#[test]
fn out_writes_a_file_in_the_format_its_name_asks_for() {
    let dir = tempfile_dir();
    let path = dir.join("result.json");
    slotlab()
        .args(["seed", "--out"])
        .arg(&path)
        .args(SMALL)
        .assert()
        .success()
        .stdout("");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(value["measurements"].as_array().unwrap().len(), 5);
    std::fs::remove_dir_all(dir).unwrap();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("slotlab-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bad flag: non-zero exit, an `error:` line naming the problem, no panic.
fn rejects(args: &[&str], says: &str) {
    let out = slotlab().arg("seed").args(args).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert!(
        stderr.contains(says),
        "{args:?} should say {says:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

#[test]
fn bad_counts_are_refused_clearly() {
    rejects(&["--n", "0"], "N must be at least 1");
    rejects(&["--n", "-5"], "N must be a positive whole number");
    rejects(&["--n", "abc"], "expected a whole number");
    rejects(&["--n", "1.5"], "whole number");
    rejects(&["--n", "99999999999999999999999"], "too large");
    rejects(&["--repeat", "0"], "--repeat");
}

#[test]
fn an_n_that_cannot_fit_in_memory_is_refused_with_both_figures() {
    rejects(&["--n", "1e15"], "needs about");
    rejects(&["--n", "1e15", "--layout", "slots"], "available");
}

#[test]
fn unknown_layout_and_format_are_refused() {
    rejects(
        &["--layout", "shape"],
        "invalid value 'shape' for '--layout",
    );
    rejects(&["--format", "xml"], "invalid value 'xml' for '--format");
    rejects(&["--out", "result.xyz"], "cannot tell the format");
}

#[test]
fn an_unwritable_out_path_is_an_error_not_a_panic() {
    rejects(
        &[
            "--out",
            "/nonexistent-dir/r.json",
            "--n",
            "10",
            "--repeat",
            "1",
        ],
        "--out: /nonexistent-dir/r.json: no directory /nonexistent-dir",
    );
}

#[test]
fn help_explains_what_is_measured() {
    slotlab()
        .args(["seed", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("tracking allocator"))
        .stdout(predicate::str::contains("1e6"));
}
