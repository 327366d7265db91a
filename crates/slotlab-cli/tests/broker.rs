//! `slotlab publish` and `slotlab ingest --source nats://…` against a real
//! JetStream server started here.

#[path = "../../slotlab-broker/tests/server/mod.rs"]
mod server;

mod common;

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

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
    let text = publish(&server.url, "100000", &[]);
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
    let text = publish(&server.url, "1000", &["--encoding", "json"]);
    assert!(text.contains("(Json)"), "{text}");
    // A file's events, read whole and published in order.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.ndjson");
    std::fs::write(
        &file,
        "{\"series\":\"a\",\"timestamp\":1,\"v\":1.5}\n{\"series\":\"b\",\"timestamp\":2,\"v\":2.5}\n",
    )
    .unwrap();
    let more = ["--source", file.to_str().unwrap(), "--stream", "file"];
    let text = publish(
        &server.url,
        "10",
        &[&more[..], &["--subjects", "file"]].concat(),
    );
    assert!(
        text.starts_with("published 2 events in 2 messages"),
        "{text}"
    );
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
    // Bad consumer flags, before anything connects.
    for (flag, value) in [
        ("--partitions", "3-1"),
        ("--partitions", "4096"),
        ("--consumer", "a.b"),
        ("--consumer", ""),
    ] {
        slotlab()
            .args(["ingest", "--source", &server.url, "--store", "unused"])
            .args([flag, value])
            .assert()
            .failure()
            .stderr(predicates::str::starts_with(format!("error: {flag}")));
    }
    assert!(!Path::new("unused").exists());
    // Partitions the stream does not have, subjects it does not take, a
    // stream that does not exist.
    for (flag, value, said) in [
        (
            "--stream",
            "nothing",
            "stream nothing does not exist on nats://",
        ),
        ("--partitions", "0-15", "8 partitions (0-7)"),
        ("--subjects", "other.x", "subjects other.x.<partition>"),
    ] {
        let store = tempfile::tempdir().unwrap();
        slotlab()
            .args(["ingest", "--source", &server.url, "--idle", "1s", "--store"])
            .arg(store.path().join("s"))
            .args([flag, value])
            .assert()
            .failure()
            .stderr(predicates::str::contains(said));
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

/// What the sensors source's first `n` events are, stored directly.
fn reference(dir: &Path, n: &str) -> BTreeMap<String, Vec<String>> {
    let store = dir.join("reference");
    slotlab()
        .args([
            "--quiet", "ingest", "--source", "sensors", "--events", n, "--store",
        ])
        .arg(&store)
        .assert()
        .success();
    common::stored_events(&store)
}

/// `slotlab --quiet publish --to URL --events N` and more flags: succeeds;
/// its report.
fn publish(url: &str, events: &str, more: &[&str]) -> String {
    let out = slotlab()
        .args(["--quiet", "publish", "--to", url, "--events", events])
        .args(more)
        .assert()
        .success();
    stdout(&out)
}

/// An `ingest` from `url` that stops after `idle` without a message.
fn consume(url: &str, store: &Path, partitions: &str, idle: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("slotlab"));
    cmd.args([
        "--quiet",
        "ingest",
        "--source",
        url,
        "--partitions",
        partitions,
    ])
    .args(["--idle", idle, "--ack-wait", "1s", "--store"])
    .arg(store)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

fn field(text: &str, word: &str) -> u64 {
    text.split(word)
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {word:?} in {text}"))
}

/// Two processes split eight partitions; together their stores hold
/// exactly what was published, every series whole and in order.
#[test]
fn two_processes_split_the_partitions_and_store_exactly_what_was_published() {
    let Some(server) = server::Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    publish(&server.url, "1000000", &[]);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let first = consume(&server.url, &a, "0-3", "3s").spawn().unwrap();
    let second = consume(&server.url, &b, "4-7", "3s").spawn().unwrap();
    // A third process asking for a partition the first holds is refused,
    // naming the holder, and takes nothing.
    let start = std::time::Instant::now();
    while !a.join("MANIFEST").exists() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let third = consume(&server.url, &dir.path().join("c"), "3", "3s")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&third.stderr);
    assert!(!third.status.success(), "{err}");
    assert!(
        err.contains("partition 3 of stream slotlab is being consumed by pid"),
        "{err}"
    );
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    for out in [&first, &second] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let texts: Vec<String> = [&first, &second]
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .collect();
    assert_eq!(
        field(&texts[0], "stored ") + field(&texts[1], "stored "),
        1_000_000,
        "{texts:?}"
    );
    let mut union = common::stored_events(&a);
    let other = common::stored_events(&b);
    assert!(
        union.keys().all(|k| !other.contains_key(k)),
        "a series in both stores"
    );
    union.extend(other);
    assert_eq!(union, reference(dir.path(), "1000000"));
}

/// NDJSON messages (as any NATS client could send them), several per
/// partition, store exactly what a binary publish would.
#[test]
fn json_messages_are_stored_exactly() {
    let Some(server) = server::Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    publish(
        &server.url,
        "50000",
        &["--encoding", "json", "--batch", "500"],
    );
    let store = dir.path().join("store");
    let out = consume(&server.url, &store, "0-7", "2s").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(field(&text, "messages ") >= 100, "{text}");
    assert_eq!(
        common::stored_events(&store),
        reference(dir.path(), "50000")
    );
}

/// An ingest process killed with SIGKILL mid-run and restarted: the store
/// ends with exactly the published events; what the killed run had made
/// durable but not acknowledged comes again and is counted as duplicates.
#[test]
fn a_consumer_killed_mid_run_and_restarted_loses_and_doubles_nothing() {
    let Some(server) = server::Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    publish(&server.url, "1000000", &["--batch", "200"]);
    // Events in the store as a reader sees it now (0 before it exists).
    let held = |store: &Path| -> u64 {
        if !store.join("MANIFEST").exists() {
            return 0;
        }
        let out = slotlab().arg("inspect").arg(store).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let want = reference(dir.path(), "1000000");
    // Whether a kill leaves messages durable but unacknowledged depends on
    // when it lands: up to three tries, each a fresh store read by a fresh
    // consumer group from the stream's start; every try must end exact.
    let mut duplicates = 0;
    for attempt in 0..3 {
        let store = dir.path().join(format!("store{attempt}"));
        let group = format!("try{attempt}");
        let killed = kill_rounds(&server.url, &store, &group, &held);
        let mut cmd = consume(&server.url, &store, "0-7", "3s");
        let out = cmd.args(["--consumer", &group]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        duplicates = killed.1 + field(&text, "duplicates ");
        eprintln!("{} kills; the last run: {text}", killed.0);
        assert!(killed.0 > 0, "every run finished before its kill");
        assert_eq!(common::stored_events(&store), want, "{text}");
        if duplicates > 0 {
            break;
        }
    }
    assert!(duplicates > 0, "no duplicates seen in three tries");
}

/// Up to three consumers of `group` into `store`, each killed with SIGKILL
/// as soon as it has stored 1,000 more events: (kills, duplicates a run
/// that finished first reported).
fn kill_rounds(url: &str, store: &Path, group: &str, held: &dyn Fn(&Path) -> u64) -> (u64, u64) {
    let (mut killed, mut duplicates) = (0, 0);
    for _ in 0..3 {
        let mut cmd = consume(url, store, "0-7", "3s");
        cmd.args(["--sync", "always", "--consumer", group]);
        let mut child = cmd.spawn().unwrap();
        let before = held(store);
        let start = std::time::Instant::now();
        while held(store) < before + 1000
            && child.try_wait().unwrap().is_none()
            && start.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            // It finished before the kill: its report counts.
            duplicates += field(&String::from_utf8_lossy(&out.stdout), "duplicates ");
            break;
        }
        killed += 1;
    }
    (killed, duplicates)
}

/// An `ingest` of everything from `url` into `store` (no stop but a
/// signal or an error), once it has stored the `n` events published first.
fn consumer_holding(url: &str, store: &Path, n: usize) -> std::process::Child {
    publish(url, &n.to_string(), &[]);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("slotlab"));
    cmd.args(["--quiet", "ingest", "--source", url, "--store"])
        .arg(store)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    let held = || {
        store.join("MANIFEST").exists()
            && common::stored_events(store)
                .values()
                .map(Vec::len)
                .sum::<usize>()
                >= n
    };
    while !held() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// SIGTERM stops a NATS consumer cleanly: fetching stops, what it stored is
/// synced and acknowledged, the store closed, the report printed, exit 0.
#[test]
fn sigterm_stops_a_consumer_cleanly() {
    let Some(server) = server::Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let child = consumer_holding(&server.url, &dir.path().join("store"), 20_000);
    common::sigterm(&child);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ended: stopped on request"), "{text}");
    assert_eq!(field(&text, "acked "), field(&text, "messages "), "{text}");
    assert_eq!(field(&text, "stored "), 20_000, "{text}");
}

/// A server that goes away mid-run: after 30 s without an answer the
/// consumer exits non-zero with one error line saying how many messages were
/// acknowledged; what it stored is durable and whole.
#[test]
fn a_server_gone_mid_run_is_a_clear_error_and_the_store_keeps_what_it_took() {
    let Some(server) = server::Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let child = consumer_holding(&server.url, &store, 20_000);
    drop(server);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("has not answered for 30 s; "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(field(&err, "s; ") > 0, "{err}");
    assert_eq!(
        common::stored_events(&store),
        reference(dir.path(), "20000")
    );
}

/// A three-node cluster with a replicated (R3) stream: one node killed
/// with SIGKILL while events are published and ingested (the clients on
/// the other two); publishing and ingestion go on, and the store ends with
/// exactly the published events.
#[test]
fn a_node_killed_in_a_three_node_cluster_loses_nothing() {
    let Some(mut cluster) = server::Cluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (to, from) = (cluster.urls[0].clone(), cluster.urls[1].clone());
    let mut publisher = std::process::Command::new(assert_cmd::cargo::cargo_bin("slotlab"))
        .args(["--quiet", "publish", "--to", &to, "--replicas", "3"])
        .args(["--events", "1000000", "--rate", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The consumer starts once the stream exists.
    std::thread::sleep(Duration::from_millis(1500));
    let store = dir.path().join("store");
    // It stops at the last event (or after 25 s without one).
    let consumer = consume(&from, &store, "0-7", "25s")
        .args(["--events", "1000000"])
        .spawn()
        .unwrap();
    // Killed once the consumer is storing (mid-run for both processes).
    let start = std::time::Instant::now();
    while !store.join("MANIFEST").exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    cluster.kill(2);
    let published = publisher.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(publisher.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(published.success(), "{err}");
    let out = consumer.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(field(&text, "stored "), 1_000_000, "{text}");
    assert_eq!(
        common::stored_events(&store),
        reference(dir.path(), "1000000"),
        "{text}"
    );
}
