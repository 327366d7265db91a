//! `slotlab compare` end to end, through the built binary.

use assert_cmd::Command;

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

const SMALL: [&str; 8] = [
    "compare",
    "--n",
    "2000",
    "--repeat",
    "1",
    "--warmup",
    "0",
    "--no-bandwidth",
];

fn stdout_of(args: &[&str]) -> String {
    let out = slotlab().args(SMALL).args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&stdout_of(&all)).unwrap()
}

#[test]
fn the_table_puts_rust_and_cpython_side_by_side_with_claims() {
    let table = stdout_of(&[]);
    assert!(table.starts_with("N = 2,000 objects per row\n"), "{table}");
    for needle in [
        "┆ table ",
        "┆ dict ",
        "┆ slots ",
        "(untraced)",
        "(tracemalloc)",
        "dataclass(slots)",
        "typing.NamedTuple",
        "time ÷ CPython slots",
        "bytes ÷ CPython dict",
        "Claims and goals, checked against these figures:",
        "Significant memory reduction",
        "Measured: ",
    ] {
        assert!(table.contains(needle), "missing {needle:?} in\n{table}");
    }
}

#[test]
fn json_has_every_row_ratios_and_claims() {
    let value = json_of(&[]);
    let rows = value["measurements"].as_array().unwrap();
    // 5 Rust layouts + 8 CPython cases in 2 modes (3.11 skips none).
    assert_eq!(rows.len(), 21);
    let rust_slots = rows
        .iter()
        .find(|m| m["implementation"] == "rust" && m["layout"] == "slots")
        .unwrap();
    assert_eq!(rust_slots["bytes_per_object"], 32.0);
    let ratio = rust_slots["extra"]["bytes_vs_cpython_slots"]
        .as_f64()
        .unwrap();
    assert!(ratio > 0.0 && ratio < 1.0, "{ratio}");
    let sums: Vec<f64> = rows
        .iter()
        .map(|m| m["extra"]["sum"].as_f64().unwrap())
        .collect();
    assert!(
        sums.iter().all(|s| *s == sums[0]),
        "every runtime computed the same sum: {sums:?}"
    );
    let claims = value["claims"].as_array().unwrap();
    assert_eq!(claims[0]["claim"], "Significant memory reduction");
    assert!(["held", "not_held"].contains(&claims[0]["verdict"].as_str().unwrap()));
}

#[test]
fn rust_only_and_python_only() {
    let rust = json_of(&["--rust-only"]);
    let rows = rust["measurements"].as_array().unwrap();
    assert!(rows.iter().all(|m| m["implementation"] == "rust") && rows.len() == 5);
    let python = json_of(&["--python-only"]);
    let rows = python["measurements"].as_array().unwrap();
    assert!(rows.iter().all(|m| m["implementation"] != "rust") && rows.len() == 16);
}

#[test]
fn csv_and_markdown() {
    let csv = stdout_of(&["--rust-only", "--format", "csv"]);
    assert!(
        csv.starts_with("experiment,implementation,layout,n,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 6);
    let md = stdout_of(&["--rust-only", "--format", "md"]);
    assert!(md.contains("| implementation | layout |"), "{md}");
}

#[test]
fn a_missing_python_is_a_clear_error() {
    let out = slotlab()
        .args(SMALL)
        .args(["--python", "/nonexistent/python3.11"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.starts_with("error: cannot run the Python interpreter '/nonexistent/python3.11'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--python PATH") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn rust_only_and_python_only_exclude_each_other() {
    slotlab()
        .args(SMALL)
        .args(["--rust-only", "--python-only"])
        .assert()
        .failure()
        .code(2);
}

#[test]
fn records_are_judged_against_the_measured_bandwidth() {
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .args([
            "compare",
            "--n",
            "2000",
            "--repeat",
            "1",
            "--warmup",
            "0",
            "--rust-only",
        ])
        .args(["--format", "json"])
        .assert()
        .success();
    let value: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let notes = value["notes"].as_array().unwrap();
    assert!(
        notes[0].as_str().unwrap().starts_with("memory bandwidth "),
        "{notes:?}"
    );
    let rows = value["measurements"].as_array().unwrap();
    for layout in ["record", "columns"] {
        let row = rows.iter().find(|m| m["layout"] == layout).unwrap();
        assert!(
            row["extra"]["bandwidth_fraction"].as_f64().unwrap() > 0.0,
            "{layout}"
        );
        assert!(
            row["extra"]["time_vs_bandwidth"].as_f64().unwrap() > 0.0,
            "{layout}"
        );
    }
}
