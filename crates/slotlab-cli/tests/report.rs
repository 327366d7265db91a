//! `slotlab report` end to end: measure, save, render again from the save.

mod common;

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

/// Each `<section …>` of a page: its id and its HTML.
fn sections(html: &str) -> Vec<(String, String)> {
    html.split("<section ")
        .skip(1)
        .map(|s| {
            let id = s.split("id=\"").nth(1).unwrap().split('"').next().unwrap();
            (
                id.to_owned(),
                s.split("</section>").next().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The page's first screen has the lesson's two bar charts and the
/// claims a line each, once per claim.
fn check_first_screen(html: &str) {
    let (_, first) = &sections(html)[0];
    assert_eq!(first.matches("<svg").count(), 2, "{first}");
    assert!(first.contains("Bytes per reading") && first.contains("Time per reading"));
    for claim in [
        "Lower GC overhead",
        "Faster attribute access",
        "Performance difference grows",
    ] {
        assert_eq!(
            first.matches(&format!("<strong>{claim}")).count(),
            1,
            "{claim}"
        );
    }
    assert!(!first.contains(
        "<span class=\"verdict not_measured\">not measured here</span> <span><strong>Lower GC"
    ));
    assert!(first.contains("<footer>"));
}

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
    check_first_screen(&html);
    let ids: Vec<String> = sections(&html).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        ["answer", "compare", "gc", "access", "sweep", "ingest"]
    );
    for (id, section) in sections(&html) {
        assert!(section.contains("<svg"), "a chart in {id}");
    }
    assert!(html.contains("High-volume ingestion"));
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
    assert_eq!(
        html_again.matches("<svg").count(),
        html.matches("<svg").count()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Every command's `--format json`, rendered by `report --from`: a
/// section each, each with its charts.
#[test]
fn each_commands_saved_json_renders_as_a_section_with_charts() {
    let dir = workdir("each");
    let quick = [
        "--repeat",
        "1",
        "--warmup",
        "0",
        "--rust-only",
        "--format",
        "json",
        "-q",
    ];
    let mut commands: Vec<(&str, Vec<&str>)> = vec![
        ("compare", vec!["compare", "--n", "1000", "--no-bandwidth"]),
        ("gc", vec!["gc", "--n", "1000"]),
        ("access", vec!["access", "--n", "1000"]),
        (
            "sweep",
            vec!["sweep", "--from", "1000", "--to", "4000", "--steps", "2"],
        ),
        (
            "stream",
            vec!["stream", "--source", "sensors", "--n", "20000"],
        ),
    ];
    for (name, args) in &mut commands {
        args.extend(quick);
        let out = slotlab().args(args.iter()).assert().success();
        std::fs::write(dir.join(format!("{name}.json")), &out.get_output().stdout).unwrap();
    }
    let ingest = slotlab()
        .args([
            "ingest", "--source", "sensors", "--events", "20000", "--format", "json", "-q",
            "--store",
        ])
        .arg(dir.join("store"))
        .assert()
        .success();
    std::fs::write(dir.join("ingest.json"), &ingest.get_output().stdout).unwrap();
    let mut names = vec!["compare", "gc", "access", "sweep", "stream", "ingest"];
    if common::has_python() {
        let program = dir.join("ready.py");
        std::fs::copy(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../slotlab/tests/census/ready.py"),
            &program,
        )
        .unwrap();
        slotlab()
            .current_dir(&dir)
            .args([
                "census",
                "--format",
                "json",
                "--out",
                "census.json",
                "--",
                "ready.py",
            ])
            .assert()
            .success();
        names.push("census");
    }
    let page = dir.join("page.html");
    let mut report = slotlab();
    report.args(["report", "-q", "--out"]).arg(&page);
    for name in &names {
        report.arg("--from").arg(dir.join(format!("{name}.json")));
    }
    // The store itself, read back.
    report.arg("--from").arg(dir.join("store"));
    names.push("store");
    report.assert().success();
    let html = std::fs::read_to_string(&page).unwrap();
    let found = sections(&html);
    // compare's rows are the lesson's `seed` experiment.
    let want: Vec<&str> = std::iter::once("answer")
        .chain(
            names
                .iter()
                .map(|n| if *n == "compare" { "seed" } else { n }),
        )
        .collect();
    assert_eq!(
        found.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        want
    );
    for (id, section) in &found {
        assert!(section.contains("<svg"), "a chart in {id}");
        assert!(section.contains("<title>"), "titled charts in {id}");
    }
    let (_, store) = found.last().unwrap();
    assert!(store.contains("<title>The store: bytes per event, 20,000 events</title>"));
    assert!(store.contains("<td>celsius</td>") && store.contains("codecs for timestamps"));
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
            .contains("<section class=\"experiment\" id=\"seed\">")
    );

    // A device or a directory that is not a store: refused, not read for
    // ever.
    for path in ["/dev/zero", dir.to_str().unwrap()] {
        let out = slotlab()
            .args(["report", "--from", path, "--out"])
            .arg(dir.join("x.html"))
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .failure()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.starts_with("error: --from") && stderr.contains("not a file"),
            "{stderr}"
        );
    }

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
