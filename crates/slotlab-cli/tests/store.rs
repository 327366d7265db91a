//! The durable store through the binary: a disk that fills, retention,
//! reading while a writer is at work.

mod common;

use assert_cmd::Command;
use std::path::Path;

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

fn ingest(store: &Path, events: &str) -> Command {
    let mut cmd = slotlab();
    cmd.args([
        "--quiet", "ingest", "--source", "sensors", "--events", events,
    ])
    .arg("--store")
    .arg(store);
    cmd
}

/// The WAL hits a file-size limit (a disk that fills, as the process sees
/// it): the run stops with one error line and a non-zero exit, and every
/// event it reported durable is in the store when it is reopened — each
/// series a prefix of what a run without the limit stores.
#[test]
fn a_full_disk_stops_intake_with_an_error_and_loses_nothing_durable() {
    let dir = tempfile::tempdir().unwrap();
    let (full, limited) = (dir.path().join("full"), dir.path().join("limited"));
    ingest(&full, "300000").assert().success();
    let reference = common::stored_events(&full);
    let bin = assert_cmd::cargo::cargo_bin("slotlab");
    // SIGXFSZ ignored (as `trap ''` leaves it across exec): the write fails
    // with EFBIG instead of killing the process.
    let script = format!(
        "trap '' XFSZ; ulimit -f 600; exec '{}' --quiet ingest --source sensors --events 300000 \
         --sync always --format json --store '{}'",
        bin.display(),
        limited.display()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("wal.log: File too large"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = json["notes"].to_string();
    let durable: usize = notes
        .split("writing stopped at an error; ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no durable count in {notes}"));
    assert!(durable > 0, "{notes}");
    let recovered = common::stored_events(&limited);
    let held: usize = recovered.values().map(Vec::len).sum();
    assert!(held >= durable, "{held} held < {durable} reported durable");
    assert!(held < 300_000, "the limit was never reached");
    for (series, got) in &recovered {
        let want = &reference[series];
        assert_eq!(got[..], want[..got.len()], "series {series}");
    }
    slotlab()
        .arg("inspect")
        .arg(&limited)
        .arg("--verify")
        .assert()
        .success();
}

/// `--retain-bytes` keeps the segments near the limit by dropping whole
/// old segments; what stays reads back, newest events included.
#[test]
fn retention_through_the_cli_drops_old_segments() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("kept");
    let out = ingest(&store, "2000000")
        .args(["--segment-bytes", "64KiB", "--retain-bytes", "256KiB"])
        .args(["--format", "json"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let notes = json["notes"].to_string();
    assert!(notes.contains("retention dropped"), "{notes}");
    let row = &json["measurements"][0]["extra"];
    assert_eq!(row["verified"], 1.0, "{json}");
    let segments: u64 = std::fs::read_dir(&store)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".seg"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    // The limit, the segment being written, and the heads sealed at the close.
    assert!(
        segments <= 256 * 1024 + 2 * 64 * 1024 + 64 * 1024,
        "{segments}"
    );
    let kept = common::stored_events(&store);
    let held: usize = kept.values().map(Vec::len).sum();
    assert!(held > 0 && held < 2_000_000, "{held}");
    // Every series ends at the run's last events.
    assert_eq!(kept.len(), 100);
    // Flags that need a store are refused without one.
    slotlab()
        .args(["ingest", "--retain", "30d"])
        .assert()
        .failure();
    slotlab()
        .args(["ingest", "--store"])
        .arg(&store)
        .args(["--retain", "30 days"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("--retain"));
}

/// A reader does not need the writer's lock: `inspect` and `query` work
/// while `ingest` has the store open, and a second writer is refused.
#[test]
fn readers_work_beside_a_live_writer_and_a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("live");
    let bin = assert_cmd::cargo::cargo_bin("slotlab");
    let mut writer = std::process::Command::new(bin)
        .args([
            "--quiet", "ingest", "--source", "sensors", "--rate", "20000",
        ])
        .args(["--duration", "60s", "--sync", "always", "--store"])
        .arg(&store)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the writer has synced something.
    let mut held = 0;
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if store.join("MANIFEST").exists() {
            held = common::stored_events(&store)
                .values()
                .map(Vec::len)
                .sum::<usize>();
            if held > 0 {
                break;
            }
        }
    }
    let second = ingest(&store, "10").assert().failure();
    let stderr = String::from_utf8_lossy(&second.get_output().stderr).into_owned();
    writer.kill().unwrap();
    writer.wait().unwrap();
    assert!(held > 0, "the reader never saw the writer's events");
    assert!(stderr.contains("is open in another process"), "{stderr}");
}

/// A store that cannot be opened is refused before anything runs: one
/// error line naming the flag and the system's reason, nothing measured.
#[test]
fn a_store_that_cannot_be_opened_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    for command in [
        &["ingest", "--events", "10"][..],
        &["stream", "--rust-only"],
    ] {
        let out = slotlab()
            .arg("--quiet")
            .args(command)
            .arg("--store")
            .arg(file.join("store"))
            .assert()
            .failure();
        let output = out.get_output();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.stdout.is_empty(), "{command:?} ran anyway");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: --store"), "{stderr}");
        assert!(stderr.contains("Not a directory"), "{stderr}");
    }
}
