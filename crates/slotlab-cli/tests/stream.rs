//! `slotlab stream` end to end, through the built binary.

use assert_cmd::Command;

#[test]
fn bytes_per_reading_speeds_and_a_verified_round_trip() {
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .args(["stream", "--n", "20000", "--chunk", "4096", "--verify"])
        .args(["--repeat", "1", "--warmup", "0", "--format", "json"])
        .assert()
        .success();
    let value: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rows = value["measurements"].as_array().unwrap();
    let stream = &rows[0];
    assert_eq!(stream["layout"], "stream (pco chunks)");
    assert_eq!(stream["extra"]["verified"], 1.0);
    assert_eq!(stream["extra"]["sealed_chunks"], 5.0);
    let per_reading = stream["extra"]["bytes_per_reading"].as_f64().unwrap();
    assert!(per_reading > 0.0 && per_reading < 1.0, "{per_reading}");
    assert!(stream["extra"]["encode_m_per_s"].as_f64().unwrap() > 0.0);
    // Side by side: Rust record, Rust slots, CPython slots (traced).
    let layouts: Vec<&str> = rows.iter().map(|m| m["layout"].as_str().unwrap()).collect();
    assert_eq!(layouts, ["stream (pco chunks)", "record", "slots", "slots"]);
    assert_eq!(rows[1]["bytes_per_object"], 16.0);
    assert_eq!(rows[2]["bytes_per_object"], 48.0);
}

#[test]
fn a_zero_chunk_or_count_is_refused() {
    for args in [["--n", "0"], ["--chunk", "0"]] {
        let out = Command::cargo_bin("slotlab")
            .unwrap()
            .arg("stream")
            .args(args)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains("at least 1"), "{args:?}: {stderr}");
    }
}
