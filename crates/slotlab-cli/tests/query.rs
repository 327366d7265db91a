//! A saved stream read back: `inspect` (and a corrupt copy named) and
//! `query` (events and aggregates) through the binary.

use assert_cmd::Command;
use std::path::Path;

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

/// The project's real CSV, saved as a stream in `dir` with 1,024-event chunks.
fn saved(dir: &Path) -> std::path::PathBuf {
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/seattle-temps-2010.csv"
    );
    let path = dir.join("temps.slotstream");
    slotlab()
        .args([
            "--quiet",
            "stream",
            "--rust-only",
            "--repeat",
            "1",
            "--warmup",
            "0",
        ])
        .args(["--chunk", "1024", "--source", csv, "--save"])
        .arg(&path)
        .assert()
        .success();
    path
}

/// `slotlab query PATH ARGS…`, which must succeed.
fn query(path: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    slotlab()
        .arg("query")
        .arg(path)
        .args(args)
        .assert()
        .success()
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn inspect_says_what_a_file_holds_and_names_a_corrupt_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let out = slotlab()
        .arg("inspect")
        .arg(&path)
        .arg("--verify")
        .assert()
        .success();
    let text = stdout(&out);
    assert!(
        text.starts_with("8759 events in 1 series, 9 sealed chunks"),
        "{text}"
    );
    assert!(
        text.contains("verified: every series decoded whole, 8759 events"),
        "{text}"
    );
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 300;
    bytes[at] ^= 0x40;
    let bad = dir.path().join("bad.slotstream");
    std::fs::write(&bad, &bytes).unwrap();
    let out = slotlab()
        .arg("inspect")
        .arg(&bad)
        .assert()
        .failure()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("corrupt: checksum mismatch"), "{stderr}");
    assert!(stderr.contains("chunk 8 of 9"), "{stderr}");
}

#[test]
fn query_reads_events_and_aggregates_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let out = query(
        &path,
        &["--from", "2010-07-01T00:00", "--to", "2010-07-01T02:00"],
    );
    assert_eq!(
        stdout(&out),
        "series,timestamp,temp\n,1277942400000,58.5\n,1277946000000,57.5\n,1277949600000,56.6\n"
    );
    // A day's count and mean; all 8,759 hours in yearly buckets.
    let out = query(
        &path,
        &[
            "--agg",
            "count,min,max",
            "--every",
            "24h",
            "--from",
            "2010-01-01",
            "--to",
            "2010-01-01T23:00",
        ],
    );
    assert_eq!(
        stdout(&out),
        "series,bucket,field,count,min,max\n,1262304000000,temp,24,38.6,43.5\n"
    );
    let out = query(&path, &["--agg", "count", "--format", "ndjson"]);
    assert_eq!(
        stdout(&out).trim(),
        r#"{"bucket":"all","count":8759,"field":"temp","series":""}"#
    );
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("9 chunk(s) answered from their summaries, 0 decoded"),
        "{stderr}"
    );
    for (args, says) in [
        (
            &["--fields", "nosuch"][..],
            "error: --fields: no field \"nosuch\"",
        ),
        (&["--series", "x"][..], "error: --series: no series \"x\""),
        (&["--from", "soon"][..], "error: --from"),
        (
            &["--from", "5", "--to", "1"][..],
            "error: --from is after --to",
        ),
    ] {
        let out = slotlab()
            .arg("query")
            .arg(&path)
            .args(args)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(stderr.starts_with(says), "{args:?}: {stderr}");
    }
}

#[test]
fn a_saved_stream_given_as_lines_says_what_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    for command in [
        &["ingest", "--sink", "stream"][..],
        &["stream", "--rust-only"][..],
    ] {
        let out = slotlab()
            .args(command)
            .arg("--source")
            .arg(&path)
            .assert()
            .failure()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(
            stderr.contains("is a saved slotlab stream"),
            "{command:?}: {stderr}"
        );
        assert!(stderr.contains("slotlab query"), "{stderr}");
    }
}

#[test]
fn what_is_not_a_saved_stream_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    for (path, says) in [
        (Path::new("/dev/zero"), "not a saved stream file"),
        (dir.path(), "not a saved stream file"),
        (text.as_path(), "not a slotlab stream file"),
        (
            Path::new("/nonexistent.slotstream"),
            "cannot read /nonexistent.slotstream",
        ),
    ] {
        for command in ["inspect", "query"] {
            let out = slotlab()
                .arg(command)
                .arg(path)
                .timeout(std::time::Duration::from_secs(30))
                .assert()
                .failure()
                .code(1);
            let stderr = String::from_utf8_lossy(&out.get_output().stderr);
            assert!(
                stderr.contains(says),
                "{command} {}: {stderr}",
                path.display()
            );
        }
    }
}

/// `stream --store DIR` keeps the events in a durable store; `inspect`,
/// `query` and `export` read the directory as they read a saved file.
#[test]
fn a_store_directory_is_written_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/seattle-temps-2010.csv"
    );
    let store = dir.path().join("temps");
    let run = |expect_ok: bool| {
        let assert = slotlab()
            .args([
                "--quiet",
                "stream",
                "--rust-only",
                "--repeat",
                "1",
                "--warmup",
                "0",
            ])
            .args(["--format", "json", "--source", csv, "--store"])
            .arg(&store)
            .assert();
        if expect_ok {
            assert.success()
        } else {
            assert.failure()
        }
    };
    let out = run(true);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(
        json["notes"]
            .to_string()
            .contains("stored: 8759 events appended"),
        "{json}"
    );
    let out = slotlab()
        .arg("inspect")
        .arg(&store)
        .arg("--verify")
        .assert()
        .success();
    assert!(
        stdout(&out).starts_with("8759 events in 1 series"),
        "{}",
        stdout(&out)
    );
    let out = query(
        &store,
        &["--from", "2010-07-01T00:00", "--to", "2010-07-01T01:00"],
    );
    assert_eq!(
        stdout(&out),
        "series,timestamp,temp\n,1277942400000,58.5\n,1277946000000,57.5\n"
    );
    // The same events again would go back in time: refused, said, kept.
    let out = run(false);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("error: --store") && stderr.contains("must not go backwards"),
        "{stderr}"
    );
    let out = query(&store, &["--agg", "count"]);
    assert!(
        stdout(&out).ends_with(",all,temp,8759\n"),
        "{}",
        stdout(&out)
    );
}
