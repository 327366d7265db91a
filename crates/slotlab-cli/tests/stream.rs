//! `slotlab stream` end to end, through the built binary.

use assert_cmd::Command;

fn stream(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .arg("stream")
        .args(args)
        .args(["--repeat", "1", "--warmup", "0", "--format", "json"])
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

#[test]
fn bytes_per_reading_speeds_and_a_verified_round_trip() {
    let value = stream(&["--n", "20000", "--chunk", "4096", "--verify"]);
    let rows = value["measurements"].as_array().unwrap();
    let stream = &rows[0];
    assert_eq!(
        stream["layout"],
        "stream (hand-written codecs, pco where it pays)"
    );
    assert_eq!(stream["extra"]["verified"], 1.0);
    assert_eq!(stream["extra"]["sealed_chunks"], 5.0);
    let per_reading = stream["extra"]["bytes_per_reading"].as_f64().unwrap();
    assert!(per_reading > 0.0 && per_reading < 1.0, "{per_reading}");
    assert!(stream["extra"]["encode_m_per_s"].as_f64().unwrap() > 0.0);
    // Side by side: whole-series codecs, Rust records and slots, CPython
    // slots (traced).
    let layouts: Vec<&str> = rows.iter().map(|m| m["layout"].as_str().unwrap()).collect();
    assert_eq!(
        layouts,
        [
            "stream (hand-written codecs, pco where it pays)",
            "pco, whole series",
            "gorilla xor, whole series",
            "zstd-3, raw records",
            "records",
            "slots",
            "slots"
        ]
    );
    assert_eq!(rows[4]["bytes_per_object"], 16.0);
    assert_eq!(rows[5]["bytes_per_object"], 32.0);
    let cpython = rows[6]["implementation"].as_str().unwrap();
    assert!(
        cpython.starts_with("cpython-3.") && cpython.ends_with(" (tracemalloc)"),
        "{cpython}"
    );
    assert!(rows[6]["bytes_per_object"].as_f64().unwrap() > 32.0);
    // Goals are judged, each against the figure.
    let claims: Vec<&str> = value["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["claim"].as_str().unwrap())
        .collect();
    assert_eq!(claims.len(), 3, "{claims:?}");
    assert!(claims[0].contains("0.05 bytes per reading"));
}

#[test]
fn sensors_and_ticks_carry_series_and_fields() {
    for (source, record_bytes, fields) in [("sensors", 24.0, 1), ("ticks", 32.0, 2)] {
        let value = stream(&[
            "--source",
            source,
            "--n",
            "5000",
            "--chunk",
            "1000",
            "--codecs",
            "hand",
            "--verify",
            "--rust-only",
        ]);
        let rows = value["measurements"].as_array().unwrap();
        assert_eq!(rows[0]["layout"], "stream (hand-written codecs)");
        assert_eq!(rows[0]["extra"]["verified"], 1.0, "{source}");
        assert!(rows[0]["extra"]["series"].as_f64().unwrap() > 1.0);
        assert!(
            rows[0]["extra"]
                .get(format!("field_{}_bytes_per_reading", fields - 1))
                .is_some()
        );
        let records = rows.iter().find(|r| r["layout"] == "records").unwrap();
        assert_eq!(records["bytes_per_object"], record_bytes, "{source}");
    }
}

#[test]
fn a_csv_file_is_read_bad_rows_named_and_the_stream_saved() {
    let dir = std::env::temp_dir().join(format!("slotlab-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("t.csv");
    // Make the times increase: one row per hour over many days.
    let text: String = std::iter::once("time,temp\n".to_owned())
        .chain((0..500).map(|h| {
            format!(
                "{},{}.{}\n",
                1_262_304_000_000i64 + h * 3_600_000,
                10 + h % 7,
                h % 10
            )
        }))
        .chain(std::iter::once("oops,1.0\n".to_owned()))
        .collect();
    std::fs::write(&csv, text).unwrap();
    let saved = dir.join("t.slotstream");
    let value = stream(&[
        "--source",
        csv.to_str().unwrap(),
        "--verify",
        "--rust-only",
        "--save",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(value["measurements"][0]["n"], 500);
    assert_eq!(value["measurements"][0]["extra"]["verified"], 1.0);
    let notes: Vec<&str> = value["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("rejected 1 bad lines") && n.contains("line 502")),
        "{notes:?}"
    );
    let bytes = std::fs::read(&saved).unwrap();
    let back = slotlab_stream::Stream::load(&bytes).unwrap();
    assert_eq!(back.len(), 500);
    // --strict stops at the bad row, naming it.
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .args(["stream", "--strict", "--rust-only", "--source"])
        .arg(&csv)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("line 502"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_are_refused() {
    for (args, want) in [
        (&["--n", "0"][..], "at least 1"),
        (&["--chunk", "0"][..], "at least 1"),
        (&["--sensors", "0", "--source", "sensors"][..], "at least 1"),
        (&["--source", "/no/such/file.csv"][..], "/no/such/file.csv"),
        (&["--codecs", "lz4"][..], "possible values"),
    ] {
        let out = Command::cargo_bin("slotlab")
            .unwrap()
            .arg("stream")
            .args(args)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}
