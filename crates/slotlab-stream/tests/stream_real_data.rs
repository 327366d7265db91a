//! The real-data goal: ≤ 1.0 byte per reading on a real hourly
//! temperature series, appended in streaming chunks, bit-exact.

use slotlab_stream::source::lines::LineOptions;
use slotlab_stream::source::read_file;
use slotlab_stream::{CodecPolicy, StreamConfig};
use std::path::Path;

#[test]
fn hourly_temperatures_stream_in_under_a_byte_per_reading() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/seattle-temps-2010.csv");
    let strict = LineOptions {
        strict: true,
        ..LineOptions::default()
    };
    let read = read_file(&path, None, strict).unwrap();
    let events = read.events;
    assert_eq!(events.len(), 8759);
    for codecs in [CodecPolicy::Smallest, CodecPolicy::HandWritten] {
        let stream = events
            .to_stream(StreamConfig {
                chunk_len: 1024,
                codecs,
            })
            .unwrap();
        assert_eq!(stream.sealed_chunks(), 9);
        assert!(events.matches(&stream).unwrap());
        let per_reading = stream.bytes().total() as f64 / events.len() as f64;
        assert!(
            per_reading <= 1.0,
            "{codecs:?}: {per_reading} bytes per reading"
        );
    }
}
