//! `slotlab export` to Parquet, read back by a real DuckDB: the same
//! series, timestamps and values, bit for bit, as the stream holds.

use assert_cmd::Command;
use std::path::Path;

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

/// A Python that imports duckdb: `SLOTLAB_DUCKDB_PYTHON`, else python3.
/// Without one the test skips and says so, unless `SLOTLAB_REQUIRE_DUCKDB`
/// is set (CI installs DuckDB from PyPI into a virtual environment).
fn duckdb_python() -> Option<String> {
    let python = std::env::var("SLOTLAB_DUCKDB_PYTHON").unwrap_or_else(|_| "python3".into());
    let found = std::process::Command::new(&python)
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("SLOTLAB_REQUIRE_DUCKDB").is_none(),
            "DuckDB is required here ({python} cannot import duckdb)"
        );
        eprintln!("skipped: no DuckDB ({python} cannot import duckdb; pip install duckdb)");
        return None;
    }
    Some(python)
}

/// Compares DuckDB's reading of the Parquet file with the CSV export of
/// the same events, bit for bit; prints `same N`.
const COMPARE: &str = r#"
import csv, struct, sys, duckdb
parquet, text = sys.argv[1], sys.argv[2]
rows = duckdb.sql(f"select * from read_parquet('{parquet}')").fetchall()
with open(text) as f:
    reader = csv.reader(f)
    header = next(reader)
    want = [tuple([r[0], int(r[1])] + [float(x) for x in r[2:]]) for r in reader]
bits = lambda row: (row[0], row[1]) + tuple(struct.pack("<d", x) for x in row[2:])
assert len(rows) == len(want), (len(rows), len(want))
for got, exp in zip(rows, want):
    assert bits(got) == bits(exp), (got, exp)
print("same", len(rows))
"#;

fn save(dir: &Path, source: &[&str]) -> std::path::PathBuf {
    save_as(&dir.join("s.slotstream"), source)
}

/// `stream --source … --save PATH` (500-event chunks, Rust only, one run).
fn save_as(path: &Path, source: &[&str]) -> std::path::PathBuf {
    slotlab()
        .args([
            "--quiet",
            "stream",
            "--rust-only",
            "--repeat",
            "1",
            "--warmup",
            "0",
            "--chunk",
            "500",
        ])
        .args(source)
        .arg("--save")
        .arg(path)
        .assert()
        .success();
    path.to_owned()
}

#[test]
fn duckdb_reads_the_parquet_export_bit_for_bit() {
    let Some(python) = duckdb_python() else {
        return;
    };
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/seattle-temps-2010.csv"
    );
    for source in [
        &["--source", csv][..],
        &["--source", "sensors", "--sensors", "20", "--n", "30000"][..],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let saved = save(dir.path(), source);
        let parquet = dir.path().join("out.parquet");
        let text = dir.path().join("out.csv");
        for out in [&parquet, &text] {
            slotlab()
                .arg("export")
                .arg(&saved)
                .arg("--out")
                .arg(out)
                .assert()
                .success();
        }
        let run = std::process::Command::new(&python)
            .args(["-c", COMPARE])
            .arg(&parquet)
            .arg(&text)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "{source:?}: {stdout} {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let n = if source[1] == "sensors" {
            "30000"
        } else {
            "8759"
        };
        assert_eq!(stdout.trim(), format!("same {n}"), "{source:?}");
    }
}

#[test]
fn export_refuses_what_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let saved = save(dir.path(), &["--source", "lesson", "--n", "1000"]);
    for (out, says) in [
        (
            "x.xlsx",
            "error: --out: x.xlsx: write .parquet, .csv or .ndjson",
        ),
        ("missing/x.parquet", "error: --out"),
    ] {
        let run = slotlab()
            .current_dir(dir.path())
            .arg("export")
            .arg(&saved)
            .args(["--out", out])
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&run.get_output().stderr);
        assert!(stderr.starts_with(says), "{out}: {stderr}");
    }
}

/// What `export` writes comes back in through `--source FILE.parquet`:
/// the same events into `stream` and into `ingest`.
#[test]
fn parquet_comes_back_in_as_a_source() {
    let dir = tempfile::tempdir().unwrap();
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/seattle-temps-2010.csv"
    );
    let saved = save(dir.path(), &["--source", csv]);
    let parquet = dir.path().join("temps.parquet");
    slotlab()
        .arg("export")
        .arg(&saved)
        .arg("--out")
        .arg(&parquet)
        .assert()
        .success();
    let again = save_as(
        &dir.path().join("again.slotstream"),
        &["--source", parquet.to_str().unwrap()],
    );
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        std::fs::read(&again).unwrap(),
        "the same events, saved the same way, are the same bytes"
    );
    let out = slotlab()
        .args([
            "--quiet", "ingest", "--sink", "record", "--format", "json", "--source",
        ])
        .arg(&parquet)
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["measurements"][0]["extra"]["stored"], 8759.0);
    assert_eq!(json["measurements"][0]["extra"]["verified"], 1.0);
}
