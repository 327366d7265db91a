//! Publishing to a real JetStream: every event arrives, each series whole
//! and in order in its partition's subject.

mod server;

use slotlab_broker::nats::{BrokerError, Publisher, StreamSetup};
use slotlab_broker::{partition, wire};
use slotlab_stream::source::{Sensors, SyntheticSource};
use std::collections::BTreeMap;

fn setup(partitions: u32) -> StreamSetup {
    StreamSetup {
        name: "events".into(),
        prefix: "slotlab.events".into(),
        partitions,
        replicas: 1,
    }
}

/// Every message in the stream, by sequence: (subject, payload).
fn read_back(url: &str, name: &str) -> Vec<(String, Vec<u8>)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream(name).await.unwrap();
        let last = stream.info().await.unwrap().state.last_sequence;
        let mut out = Vec::new();
        for seq in 1..=last {
            let m = stream.get_raw_message(seq).await.unwrap();
            out.push((m.subject.to_string(), m.payload.to_vec()));
        }
        out
    })
}

#[test]
fn every_event_arrives_each_series_whole_in_its_partition() {
    let Some(server) = server::Server::start() else {
        return;
    };
    let events = Sensors::default().generate(50_000);
    let setup = setup(8);
    let publisher = Publisher::connect(&server.url, &setup, 32).unwrap();
    // Rows by partition, sent in batches of 700.
    let mut by_partition: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, &s) in events.series.iter().enumerate() {
        let p = partition::of(&events.keys[s as usize], setup.partitions);
        by_partition.entry(p).or_default().push(i);
    }
    let mut messages = 0;
    let mut buf = Vec::new();
    for (&p, rows) in &by_partition {
        for batch in rows.chunks(700) {
            wire::encode(&events, batch, &mut buf).unwrap();
            publisher.publish(p, buf.clone()).unwrap();
            messages += 1;
        }
    }
    let report = publisher.finish().unwrap();
    assert_eq!((report.published, report.acked), (messages, messages));
    // Read back: per series, exactly the generated events, in order.
    let mut got: BTreeMap<String, Vec<(i64, Vec<slotlab_stream::Num>)>> = BTreeMap::new();
    for (subject, payload) in read_back(&server.url, "events") {
        let batch = wire::decode(&payload).unwrap();
        for k in 0..batch.len() {
            let key = &batch.keys[batch.series[k] as usize];
            assert_eq!(subject, setup.subject(partition::of(key, 8)));
            got.entry(key.clone())
                .or_default()
                .push((batch.batch.timestamps[k], batch.batch.row(k)));
        }
    }
    let mut want: BTreeMap<String, Vec<(i64, Vec<slotlab_stream::Num>)>> = BTreeMap::new();
    for i in 0..events.len() {
        want.entry(events.keys[events.series[i] as usize].clone())
            .or_default()
            .push((events.batch.timestamps[i], events.batch.row(i)));
    }
    assert_eq!(got, want);
}

#[test]
fn a_stream_set_up_otherwise_and_a_server_that_is_down_are_clear_errors() {
    let Some(server) = server::Server::start() else {
        return;
    };
    Publisher::connect(&server.url, &setup(8), 8)
        .unwrap()
        .finish()
        .unwrap();
    let err = Publisher::connect(&server.url, &setup(4), 8).unwrap_err();
    assert!(matches!(err, BrokerError::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains("4 partitions"), "{err}");
    let url = server.url.clone();
    drop(server);
    let err = Publisher::connect(&url, &setup(8), 8).unwrap_err();
    assert!(matches!(err, BrokerError::Connect { .. }), "{err}");
}
