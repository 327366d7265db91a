//! Segments: rolling, checkpoints, retention, and the files a crash or a
//! hand can leave.

use super::*;

fn options(segment_bytes: u64, retain: Retention) -> StoreOptions {
    StoreOptions {
        sync: SyncPolicy::Never,
        segment_bytes,
        wal_bytes: 4096,
        retain,
        chunk_span: None,
    }
}

fn open(dir: &Path, options: StoreOptions) -> Store {
    reopen(dir, options).0
}

#[test]
fn segments_roll_and_the_wal_is_checkpointed_while_writing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path(), options(1024, Retention::default()));
    append_sequence(&mut store, 0, 5000);
    // Every checkpoint made everything before it durable.
    assert!(store.durable() > 0, "no checkpoint happened");
    store.sync().unwrap();
    let layout = Store::layout(dir.path()).unwrap();
    assert!(layout.segments.len() > 3, "{layout:?}");
    assert!(layout.wal_bytes <= 4096 + 2048, "{layout:?}");
    drop(store); // a crash after a sync
    let (store, recovery) = reopen(dir.path(), options(1024, Retention::default()));
    assert_eq!(recovery.segments, layout.segments.len());
    holds_prefix(store.stream(), 5000);
    store.close().unwrap();
    let (stream, _) = Store::read(dir.path()).unwrap();
    holds_prefix(&stream, 5000);
}

/// Open heads bigger than the WAL limit: a checkpoint cannot bring the
/// WAL under it, so the next waits until the WAL has doubled — not one
/// checkpoint per batch.
#[test]
fn heads_bigger_than_the_wal_limit_do_not_checkpoint_every_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(1 << 20, Retention::default());
    o.wal_bytes = 512; // three heads of up to 64 events take ~3 KiB
    let mut store = open(dir.path(), o);
    append_sequence(&mut store, 0, 5000);
    let n = store.checkpoints();
    assert!((1..200).contains(&n), "{n} checkpoints for 5000 appends");
    store.sync().unwrap();
    drop(store);
    let (store, _) = reopen(dir.path(), o);
    holds_prefix(store.stream(), 5000);
}

#[test]
fn retention_by_bytes_drops_whole_old_segments_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let keep = Retention {
        age: None,
        bytes: Some(4096),
    };
    let mut store = open(dir.path(), options(1024, keep));
    append_sequence(&mut store, 0, 20_000);
    let dropped = store.dropped();
    assert!(dropped.segments > 0 && dropped.events > 0, "{dropped:?}");
    let held = store.stream().len() as u64;
    assert_eq!(held + dropped.events, 20_000);
    let layout = Store::layout(dir.path()).unwrap();
    let seg_bytes: u64 = layout.segments.iter().map(|s| s.1).sum();
    // At most the limit plus the segment being written.
    assert!(seg_bytes <= 4096 + 2048, "{layout:?}");
    // What is kept is the newest events of each series, whole chunks.
    let newest_kept = |stream: &Stream| {
        (0..3)
            .map(|s| {
                let id = stream.find_series(&format!("s{s}")).unwrap();
                let b = stream.scan(id, i64::MIN, i64::MAX).unwrap();
                assert_eq!(*b.timestamps.last().unwrap() as u64 % 3, s);
                (b.timestamps[0], b.len())
            })
            .collect::<Vec<_>>()
    };
    let before = newest_kept(store.stream());
    store.sync().unwrap();
    drop(store); // a crash: the WAL and the segments must agree
    let (store, _) = reopen(dir.path(), options(1024, keep));
    assert_eq!(store.stream().len() as u64, held);
    assert_eq!(newest_kept(store.stream()), before);
    // Appending goes on after the retained events, and closes cleanly.
    let mut store = store;
    append_sequence(&mut store, 20_000, 20_100);
    store.close().unwrap();
    let (stream, _) = Store::read(dir.path()).unwrap();
    let id = stream.find_series("s0").unwrap();
    let b = stream.scan(id, i64::MIN, i64::MAX).unwrap();
    assert_eq!(*b.timestamps.last().unwrap(), 20_097);
}

#[test]
fn retention_by_age_keeps_what_is_recent_enough() {
    let dir = tempfile::tempdir().unwrap();
    let keep = Retention {
        age: Some(3000),
        bytes: None,
    };
    let mut store = open(dir.path(), options(512, keep));
    append_sequence(&mut store, 0, 10_000);
    assert!(store.dropped().segments > 0);
    let stream = store.close().unwrap();
    // Nothing newer than the cutoff went; whatever is older went in whole
    // segments, so some older events may stay — never a gap.
    for s in 0..3u64 {
        let id = stream.find_series(&format!("s{s}")).unwrap();
        let b = stream.scan(id, i64::MIN, i64::MAX).unwrap();
        let first = b.timestamps[0];
        assert!(first <= 10_000 - 3000, "series s{s} starts at {first}");
        assert!(first > 0, "series s{s}: nothing dropped");
        let want: Vec<i64> = (first as u64..10_000)
            .filter(|i| i % 3 == s)
            .map(|i| i as i64)
            .collect();
        assert_eq!(b.timestamps, want);
    }
}

#[test]
fn missing_and_unexpected_segments_are_named_and_crash_leftovers_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path(), options(1024, Retention::default()));
    append_sequence(&mut store, 0, 3000);
    store.close().unwrap();
    let layout = Store::layout(dir.path()).unwrap();
    let n = layout.segments.len() as u32;
    assert!(n >= 3);
    // A crash after a roll made the file, before the MANIFEST listed it.
    let next = segments::segment_path(dir.path(), n + 1);
    std::fs::write(&next, b"").unwrap();
    // A crash after retention unlisted a segment, before it was removed:
    // the manifest is rewritten without the first one.
    let mut manifest = segments::Manifest::read(dir.path()).unwrap().unwrap();
    manifest.segments.remove(0);
    manifest.write(dir.path()).unwrap();
    let (store, recovery) = reopen(dir.path(), options(1024, Retention::default()));
    assert_eq!(recovery.leftovers, 2);
    assert!(!next.exists() && !layout.segments[0].0.exists());
    store.close().unwrap();
    // A listed segment removed by hand.
    let victim = &Store::layout(dir.path()).unwrap().segments[1].0;
    std::fs::remove_file(victim).unwrap();
    let err = Store::open(dir.path(), &schema(), config(), StoreOptions::default()).unwrap_err();
    assert!(
        matches!(err, StoreError::MissingSegment(ref p) if p == victim),
        "{err}"
    );
    let err = Store::read(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::MissingSegment(_)), "{err}");
    // A segment with data the manifest does not list.
    std::fs::write(victim, b"not empty").unwrap();
    let mut manifest = segments::Manifest::read(dir.path()).unwrap().unwrap();
    manifest
        .segments
        .retain(|&s| segments::segment_path(dir.path(), s) != *victim);
    manifest.write(dir.path()).unwrap();
    let err = Store::open(dir.path(), &schema(), config(), StoreOptions::default()).unwrap_err();
    assert!(
        matches!(err, StoreError::UnexpectedSegment(ref p) if p == victim),
        "{err}"
    );
}

#[test]
fn a_newer_format_is_refused_and_a_dead_writers_lock_file_is_no_obstacle() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path(), StoreOptions::default());
    append_sequence(&mut store, 0, 100);
    // A reader does not need the writer's lock.
    let (stream, _) = Store::read(dir.path()).unwrap();
    assert_eq!(stream.len(), 0); // nothing written yet: gathered, not flushed
    store.close().unwrap();
    // The LOCK file stays after the writer is gone; the lock does not.
    assert!(dir.path().join("LOCK").exists());
    let (stream, _) = Store::read(dir.path()).unwrap();
    holds_prefix(&stream, 100);
    let store = open(dir.path(), StoreOptions::default());
    drop(store);
    let path = dir.path().join("MANIFEST");
    let text = std::fs::read_to_string(&path).unwrap();
    let newer = text.replace(
        &format!("\"version\":{STORE_VERSION}"),
        &format!("\"version\":{}", STORE_VERSION + 1),
    );
    assert_ne!(newer, text);
    std::fs::write(&path, newer).unwrap();
    let err = Store::open(dir.path(), &schema(), config(), StoreOptions::default()).unwrap_err();
    assert!(
        matches!(err, StoreError::Version { found, .. } if found == STORE_VERSION + 1),
        "{err}"
    );
    assert!(
        err.to_string().contains("this slotlab reads version"),
        "{err}"
    );
}

/// A position recorded with a batch is durable with it — after a crash,
/// after checkpoints, after a torn tail (both or neither) — and a position
/// without events is kept too.
#[test]
fn a_position_goes_with_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path(), options(1 << 20, Retention::default()));
    let batch = |from: i64| Batch {
        timestamps: (from..from + 10).collect(),
        columns: vec![crate::Column::F64(
            (from..from + 10).map(|t| t as f64).collect(),
        )],
    };
    let id = store.series("p").unwrap();
    for k in 0..100u64 {
        let b = batch(k as i64 * 10);
        store
            .append_batch_at(&[id; 10], &b, 0..10, Some(("nats:events:3", k + 1)))
            .unwrap();
    }
    assert!(store.checkpoints() > 0);
    store.sync().unwrap();
    drop(store);
    let (store, _) = reopen(dir.path(), options(1 << 20, Retention::default()));
    assert_eq!(store.position("nats:events:3"), Some(100));
    assert_eq!(store.position("other"), None);
    assert_eq!(store.stream().len(), 1000);
    // A torn last record takes its position with it.
    let mut store = store;
    store
        .append_batch_at(&[id; 10], &batch(1000), 0..10, Some(("nats:events:3", 101)))
        .unwrap();
    store.sync().unwrap();
    drop(store);
    let wal = dir.path().join("wal.log");
    let len = std::fs::metadata(&wal).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&wal)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let (store, recovery) = reopen(dir.path(), options(1 << 20, Retention::default()));
    assert!(recovery.wal_cut_bytes > 0);
    assert_eq!(store.position("nats:events:3"), Some(100));
    assert_eq!(store.stream().len(), 1000);
    store.close().unwrap();
    let (store, _) = reopen(dir.path(), options(1 << 20, Retention::default()));
    assert_eq!(
        store.position("nats:events:3"),
        Some(100),
        "lost at the close"
    );
}
