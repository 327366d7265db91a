//! `slotlab publish` against a real JetStream server started here.

#[path = "../../slotlab-broker/tests/server/mod.rs"]
mod server;

use assert_cmd::Command;

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

fn stdout(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stdout).into_owned()
}

#[test]
fn publish_reports_what_jetstream_acknowledged_and_bad_setups_are_clear_errors() {
    let Some(server) = server::Server::start() else {
        return;
    };
    let out = slotlab()
        .args([
            "--quiet",
            "publish",
            "--to",
            &server.url,
            "--events",
            "100000",
        ])
        .assert()
        .success();
    let text = stdout(&out);
    assert!(text.starts_with("published 100000 events in "), "{text}");
    let count = |word: &str| -> u64 {
        text.split(word)
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.trim_end_matches(',').parse().ok())
            .unwrap_or_else(|| panic!("no {word:?} in {text}"))
    };
    let messages = count(" events in ");
    assert!(messages >= 8, "{text}");
    assert_eq!(count("acked "), messages, "{text}");
    // NDJSON for other clients, into the same stream.
    let out = slotlab()
        .args([
            "--quiet",
            "publish",
            "--to",
            &server.url,
            "--events",
            "1000",
        ])
        .args(["--encoding", "json"])
        .assert()
        .success();
    assert!(stdout(&out).contains("(Json)"), "{}", stdout(&out));
    // The same stream asked with other partitions.
    slotlab()
        .args(["publish", "--to", &server.url, "--partitions", "4"])
        .args(["--events", "10"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "exists with another configuration",
        ));
    // Bad flags before anything connects.
    for (flag, value) in [
        ("--to", "http://x"),
        ("--stream", "a.b"),
        ("--subjects", "x.>"),
    ] {
        let to = if flag == "--to" { value } else { &server.url };
        let mut cmd = slotlab();
        cmd.args(["publish", "--events", "10", "--to", to]);
        if flag != "--to" {
            cmd.args([flag, value]);
        }
        cmd.assert()
            .failure()
            .stderr(predicates::str::starts_with(format!("error: {flag}")));
    }
    // A server that is down.
    let url = server.url.clone();
    drop(server);
    slotlab()
        .args(["publish", "--to", &url, "--events", "10"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("cannot connect"));
}
