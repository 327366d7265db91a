//! Consuming from a real JetStream into a store: a message that is not
//! events is refused with its sequence (terminated, not redelivered), the
//! rest stored; NDJSON messages from any producer are events too.

mod server;

use slotlab_broker::consume::{self, ConsumePlan};
use slotlab_broker::nats::{Publisher, StreamSetup};
use slotlab_broker::{partition, wire};
use slotlab_stream::source::{Events, Sensors, SyntheticSource};
use slotlab_stream::store::{Store, StoreOptions};
use slotlab_stream::{CodecPolicy, StreamConfig};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

fn setup() -> StreamSetup {
    StreamSetup {
        name: "events".into(),
        prefix: "ev".into(),
        partitions: 1,
        replicas: 1,
    }
}

fn plan() -> ConsumePlan {
    ConsumePlan {
        setup: setup(),
        partitions: vec![0],
        group: "test".into(),
        fetch: 64,
        events: None,
        duration: Some(Duration::from_secs(30)),
        idle: Some(Duration::from_secs(1)),
        sync_every: Duration::from_millis(50),
        ack_wait: Duration::from_secs(5),
    }
}

#[test]
fn a_bad_message_is_refused_with_its_sequence_and_json_messages_are_events() {
    let Some(server) = server::Server::start() else {
        return;
    };
    let events = Sensors::default().generate(3000);
    assert!(events.keys.iter().all(|k| partition::of(k, 1) == 0));
    let publisher = Publisher::connect(&server.url, &setup(), 16).unwrap();
    let rows: Vec<usize> = (0..1000).collect();
    let mut buf = Vec::new();
    wire::encode(&events, &rows, &mut buf).unwrap();
    publisher.publish(0, buf.clone()).unwrap(); // sequence 1
    publisher.publish(0, b"not a batch".to_vec()).unwrap(); // sequence 2
    let mut damaged = buf.clone();
    damaged[20] ^= 1;
    publisher.publish(0, damaged).unwrap(); // sequence 3
    // Sequence 4: the next 1000 events as NDJSON lines.
    let mut lines = String::new();
    for r in 1000..2000 {
        let celsius = match &events.batch.columns[0] {
            slotlab_stream::Column::F64(v) => v[r],
            slotlab_stream::Column::I64(_) => unreachable!(),
        };
        lines.push_str(&format!(
            "{{\"series\":{:?},\"timestamp\":{},\"celsius\":{celsius:?}}}\n",
            events.keys[events.series[r] as usize], events.batch.timestamps[r]
        ));
    }
    publisher.publish(0, lines.into_bytes()).unwrap();
    // Sequence 5: a batch of three events of one series, the middle one
    // older than what the store holds for it: refused alone, the other two
    // stored.
    let key = events.keys[0].clone();
    let mut late = Events::with_capacity(events.schema.clone(), vec![key.clone()], 3);
    late.series.extend([0, 0, 0]);
    late.batch
        .timestamps
        .extend([1_800_000_000_001, 1_000, 1_800_000_000_002]);
    late.batch.columns[0] = slotlab_stream::Column::F64(vec![1.5; 3]);
    wire::encode(&late, &[0, 1, 2], &mut buf).unwrap();
    publisher.publish(0, buf.clone()).unwrap();
    // Sequence 6: NDJSON with a good line and a bad one: the line is
    // refused, the message taken.
    let good = format!("{{\"series\":{key:?},\"timestamp\":1800000000003,\"celsius\":2.5}}\n");
    publisher
        .publish(0, format!("{good}{{not json\n").into_bytes())
        .unwrap();
    publisher.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = StreamConfig {
        chunk_len: 512,
        codecs: CodecPolicy::HandWritten,
    };
    // Everything there is, into the store in `dir`.
    let consume_all = || {
        let open = |schema: &slotlab_stream::Schema| {
            Store::open(dir.path(), schema, config, StoreOptions::default()).map(|(s, _)| s)
        };
        consume::run(
            &server.url,
            &plan(),
            open,
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .unwrap()
    };
    let done = consume_all();
    assert_eq!(
        (done.messages, done.rejected, done.acked),
        (6, 2, 4),
        "{done:?}"
    );
    assert_eq!(
        done.first_rejected
            .iter()
            .map(|r| r.sequence)
            .collect::<Vec<_>>(),
        [2, 3, 6]
    );
    assert_eq!(done.refused_lines, 1);
    assert_eq!(
        (done.accepted, done.stored, done.duplicates),
        (2004, 2003, 0)
    );
    // What is stored is the first 2000 events, bit for bit, and the three
    // later events taken after them.
    let (stream, _) = Store::read(dir.path()).unwrap();
    let want = Sensors::default().generate(2000);
    for key in &want.keys {
        let id = stream.find_series(key).unwrap();
        let got = stream.scan(id, i64::MIN, i64::MAX).unwrap();
        let rows: Vec<usize> = (0..2000)
            .filter(|&i| &want.keys[want.series[i] as usize] == key)
            .collect();
        let extra: &[i64] = if key == &events.keys[0] {
            &[1_800_000_000_001, 1_800_000_000_002, 1_800_000_000_003]
        } else {
            &[]
        };
        assert_eq!(got.len(), rows.len() + extra.len(), "{key}");
        assert_eq!(&got.timestamps[rows.len()..], extra, "{key}");
        for (k, &r) in rows.iter().enumerate() {
            assert_eq!(got.timestamps[k], want.batch.timestamps[r]);
            assert!(
                got.row(k)[0].same_bits(want.batch.row(r)[0]),
                "{key} event {k}"
            );
        }
    }
    // The refused messages are not delivered again; a rerun finds nothing.
    let rerun = consume_all();
    assert_eq!((rerun.messages, rerun.rejected), (0, 0), "{rerun:?}");
}
