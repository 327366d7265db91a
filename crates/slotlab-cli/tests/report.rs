//! `slotlab report` end to end: measure, save, render again from the save.

use assert_cmd::Command;
use std::path::PathBuf;

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("slotlab-report-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const QUICK: [&str; 9] = [
    "report",
    "--n",
    "2000",
    "--repeat",
    "1",
    "--warmup",
    "0",
    "--no-bandwidth",
    "-q",
];

#[test]
fn one_page_with_every_section_charts_and_claims_and_it_renders_again() {
    let dir = workdir("full");
    let (page, saved) = (dir.join("report.html"), dir.join("suite.json"));
    slotlab()
        .args(QUICK)
        .arg("--out")
        .arg(&page)
        .arg("--json")
        .arg(&saved)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    for id in ["compare", "gc", "access", "sweep", "ingest"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert_eq!(
        html.matches("<figure>").count(),
        2,
        "the sweep's two charts"
    );
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(html.contains("The lesson's claims, checked against these figures"));
    assert!(html.contains("High-volume ingestion"));
    assert!(html.contains("Faster attribute access") && html.contains("Lower GC overhead"));
    assert!(!html.contains("<script") && !html.contains("<link"));

    let again = dir.join("again.html");
    slotlab()
        .args(["report", "-q", "--from"])
        .arg(&saved)
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    let html_again = std::fs::read_to_string(&again).unwrap();
    assert!(html_again.contains("Rendered from saved results"));
    assert_eq!(html_again.matches("<figure>").count(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn any_commands_json_output_renders_and_garbage_is_refused() {
    let dir = workdir("from");
    let compare = dir.join("compare.json");
    slotlab()
        .args([
            "compare",
            "--n",
            "1000",
            "--repeat",
            "1",
            "--warmup",
            "0",
            "--rust-only",
            "--no-bandwidth",
        ])
        .arg("--out")
        .arg(&compare)
        .assert()
        .success();
    let page = dir.join("page.html");
    slotlab()
        .args(["report", "-q", "--from"])
        .arg(&compare)
        .arg("--out")
        .arg(&page)
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("<section id=\"seed\">")
    );

    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "{\"hello\": 1}").unwrap();
    let out = slotlab()
        .args(["report", "--from"])
        .arg(&garbage)
        .arg("--out")
        .arg(dir.join("x.html"))
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("not slotlab results"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}
