//! `slotlab access` end to end, through the built binary.

use assert_cmd::Command;

#[test]
fn every_route_reads_and_writes_with_checked_sums() {
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .args([
            "access", "--n", "2000", "--repeat", "1", "--warmup", "0", "--format", "json",
        ])
        .assert()
        .success();
    let value: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rows = value["measurements"].as_array().unwrap();
    // 5 Rust routes × read/write + 4 CPython cases × read/write.
    assert_eq!(rows.len(), 18);
    let expected_read: f64 = (0..2000).fold(0.0, |acc, i| acc + f64::from(i) * 0.1);
    for m in rows {
        assert!(m["extra"]["ns_per_op"].as_f64().unwrap() > 0.0);
        assert_eq!(
            m["peak_bytes"], 0,
            "{}: access allocates nothing",
            m["layout"]
        );
    }
    // Every read, Rust or CPython, sums the same values in the same order.
    let reads: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|m| m["layout"].as_str().unwrap().ends_with("read"))
        .collect();
    assert_eq!(reads.len(), 9);
    for m in reads {
        let checksum = m["extra"]["checksum"].as_f64().unwrap();
        assert_eq!(checksum, expected_read, "{}", m["layout"]);
    }
    assert_eq!(value["claims"][0]["claim"], "Faster attribute access");
}

#[test]
fn rust_only_table_names_the_routes() {
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .args(["access", "--n", "1000", "--repeat", "1", "--rust-only"])
        .assert()
        .success();
    let table = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for route in [
        "dict · by name · read",
        "slots · cached index · write",
        "record · field · read",
    ] {
        assert!(table.contains(route), "{route} in\n{table}");
    }
    assert!(
        !table.contains("peak MiB"),
        "nothing allocated: no memory columns\n{table}"
    );
}
