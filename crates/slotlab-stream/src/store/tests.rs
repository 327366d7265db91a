use super::*;
use crate::{Batch, CodecPolicy, Field, FieldKind, Num};
use std::fs::OpenOptions;
use std::io::Write as _;

fn schema() -> Schema {
    Schema::new(vec![Field::new("v", FieldKind::F64)]).unwrap()
}

fn config() -> StreamConfig {
    StreamConfig {
        chunk_len: 64,
        codecs: CodecPolicy::HandWritten,
    }
}

/// Synced after every event, with segments and a WAL so small that the
/// writer rolls and checkpoints every few hundred events.
fn small() -> StoreOptions {
    StoreOptions {
        sync: SyncPolicy::Always,
        segment_bytes: 2048,
        wal_bytes: 16 << 10,
        retain: Retention::default(),
        chunk_span: None,
    }
}

/// The test schema's store in `dir`, opened for writing. A lock still
/// held is waited for (up to 2 s): a test in this process that starts a
/// child process (the kill tests) shares every open file with it from its
/// fork to its exec, the `LOCK` of a store another test just dropped
/// included.
fn reopen(dir: &Path, options: StoreOptions) -> (Store, Recovery) {
    for _ in 0..200 {
        match Store::open(dir, &schema(), config(), options) {
            Err(StoreError::Locked(_)) => std::thread::sleep(std::time::Duration::from_millis(10)),
            opened => return opened.unwrap(),
        }
    }
    Store::open(dir, &schema(), config(), options).unwrap()
}

fn sync(policy: SyncPolicy) -> StoreOptions {
    StoreOptions::with_sync(policy)
}

/// Event `i` of the sequence every test writes: series `s{i%3}`, at `i`.
fn value(i: u64) -> f64 {
    (i as f64).sqrt() * 1.5
}

fn append_sequence(store: &mut Store, from: u64, to: u64) {
    for i in from..to {
        let id = store.series(&format!("s{}", i % 3)).unwrap();
        store.append(id, i as i64, &[Num::F64(value(i))]).unwrap();
    }
}

/// The store holds exactly the first `n` events of the sequence.
fn holds_prefix(stream: &Stream, n: u64) {
    assert_eq!(stream.len() as u64, n);
    for s in 0..3u64 {
        let Some(id) = stream.find_series(&format!("s{s}")) else {
            assert!(n <= s, "series s{s} missing");
            continue;
        };
        let batch = stream.scan(id, i64::MIN, i64::MAX).unwrap();
        let want: Vec<i64> = (0..n).filter(|i| i % 3 == s).map(|i| i as i64).collect();
        assert_eq!(batch.timestamps, want);
        for (k, &t) in batch.timestamps.iter().enumerate() {
            assert_eq!(batch.row(k), [Num::F64(value(t as u64))]);
        }
    }
}

#[test]
fn a_closed_store_reopens_whole_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, recovery) = reopen(dir.path(), sync(SyncPolicy::Never));
    assert_eq!(recovery, Recovery::default());
    append_sequence(&mut store, 0, 1000);
    store.close().unwrap();
    let (store, recovery) = reopen(dir.path(), sync(SyncPolicy::Never));
    assert_eq!((recovery.from_segment, recovery.replayed), (1000, 0));
    holds_prefix(store.stream(), 1000);
    // Appending goes on from there.
    let mut store = store;
    append_sequence(&mut store, 1000, 1500);
    store.close().unwrap();
    let (store, _) = reopen(dir.path(), sync(SyncPolicy::Never));
    holds_prefix(store.stream(), 1500);
}

#[test]
fn an_unclosed_store_replays_its_wal_and_a_torn_tail_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = reopen(dir.path(), sync(SyncPolicy::Always));
    append_sequence(&mut store, 0, 500);
    assert_eq!(store.durable(), 500);
    drop(store); // a crash: no close
    // Half a record written at the end.
    let wal = dir.path().join("wal.log");
    let mut f = OpenOptions::new().append(true).open(&wal).unwrap();
    f.write_all(&[40, 0, 0, 0, 1, 2, 3]).unwrap();
    drop(f);
    let (store, recovery) = reopen(dir.path(), sync(SyncPolicy::Always));
    assert_eq!(recovery.wal_cut_bytes, 7);
    assert_eq!(recovery.from_segment + recovery.replayed, 500);
    holds_prefix(store.stream(), 500);
    drop(store);
    // Recovery is idempotent.
    let (store, recovery) = reopen(dir.path(), sync(SyncPolicy::Always));
    assert_eq!(recovery.wal_cut_bytes, 0);
    holds_prefix(store.stream(), 500);
}

#[test]
fn corruption_before_the_tail_stops_the_open_and_names_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = reopen(dir.path(), sync(SyncPolicy::Always));
    append_sequence(&mut store, 0, 30);
    drop(store);
    let wal = dir.path().join("wal.log");
    let mut bytes = std::fs::read(&wal).unwrap();
    bytes[20] ^= 0xff; // inside an early record
    std::fs::write(&wal, &bytes).unwrap();
    let err = Store::open(dir.path(), &schema(), config(), sync(SyncPolicy::Always)).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains("wal.log: corrupt at byte"),
        "{err}"
    );
}

#[test]
fn one_writer_at_a_time_and_the_schema_is_the_stores() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = reopen(dir.path(), sync(SyncPolicy::Never));
    let err = Store::open(dir.path(), &schema(), config(), sync(SyncPolicy::Never)).unwrap_err();
    assert!(matches!(err, StoreError::Locked(_)), "{err}");
    store.close().unwrap();
    let other = Schema::new(vec![Field::new("w", FieldKind::I64)]).unwrap();
    let err = Store::open(dir.path(), &other, config(), sync(SyncPolicy::Never)).unwrap_err();
    assert!(err.to_string().contains("holds another schema"), "{err}");
}

/// In a child process (`SLOTLAB_STORE_CHILD` names the store): appends the
/// sequence from where the store stands, syncing each event, and prints
/// each durable count. Without the variable it does nothing.
#[test]
fn child_writer() {
    let Some(dir) = std::env::var_os("SLOTLAB_STORE_CHILD") else {
        return;
    };
    let (mut store, _) = reopen(Path::new(&dir), small());
    let mut i = store.stream().len() as u64;
    let out = std::io::stdout();
    loop {
        append_sequence(&mut store, i, i + 1);
        i += 1;
        let mut lock = out.lock();
        let _ = writeln!(lock, "durable {}", store.durable());
        let _ = lock.flush();
    }
}

/// A writer (rolling segments and checkpointing its WAL as it goes) killed
/// with SIGKILL at random moments, 20 times, reopened each
/// time: every event reported durable is there, bit for bit, nothing that
/// was never appended is, and reopening again changes nothing.
#[test]
fn sigkill_at_random_moments_loses_nothing_durable() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let mut durable_total = 0u64;
    for round in 0..20 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "store::tests::child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("SLOTLAB_STORE_CHILD", dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let wanted = rng.u64(1..1500);
        let mut seen = 0u64;
        let mut last = 0u64;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("durable ") {
                last = n.parse().unwrap();
                seen += 1;
                if seen >= wanted {
                    break;
                }
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(last >= durable_total, "round {round}: durable went back");
        durable_total = last;
        let (store, _) = reopen(dir.path(), sync(SyncPolicy::Never));
        let held = store.stream().len() as u64;
        assert!(
            held >= durable_total,
            "round {round}: {held} held < {durable_total} durable"
        );
        holds_prefix(store.stream(), held);
        drop(store);
        let (again, _) = reopen(dir.path(), sync(SyncPolicy::Never));
        assert_eq!(
            again.stream().len() as u64,
            held,
            "round {round}: reopening changed it"
        );
        durable_total = held;
    }
    assert!(durable_total > 20);
    let layout = Store::layout(dir.path()).unwrap();
    assert!(layout.segments.len() > 3, "{layout:?}");
}

/// A segment that lost its last writes (never synced) is rebuilt from the
/// WAL: the replay seals chunks again and appends them after what is
/// there — never over it — and a second open finds the same events.
#[test]
fn chunks_the_replay_seals_go_after_the_segments_own() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = reopen(dir.path(), sync(SyncPolicy::Always));
    append_sequence(&mut store, 0, 600);
    drop(store); // no close: everything is still in the WAL
    let seg = dir.path().join("seg-00000001.seg");
    let bytes = std::fs::read(&seg).unwrap();
    // Up to the end of the first chunk's record (a series record before it).
    let mut first = 0;
    loop {
        let len = u32::from_le_bytes(bytes[first..first + 4].try_into().unwrap()) as usize;
        let kind = bytes[first + 8];
        first += 8 + len;
        if kind == 3 {
            break;
        }
    }
    std::fs::write(&seg, &bytes[..first]).unwrap(); // only the first chunk survived
    let (store, recovery) = reopen(dir.path(), sync(SyncPolicy::Never));
    assert_eq!(recovery.from_segment, 64);
    holds_prefix(store.stream(), 600);
    drop(store);
    let (store, recovery) = reopen(dir.path(), sync(SyncPolicy::Never));
    assert_eq!(recovery.segment_cut_bytes, 0);
    holds_prefix(store.stream(), 600);
}

mod rolling;
