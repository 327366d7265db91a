//! The saved-stream loader: any bytes load or fail with an error, never a
//! panic; a stream that loads saves and loads back to the same events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotlab_stream::Stream;

fuzz_target!(|data: &[u8]| {
    let Ok(stream) = Stream::load(data) else {
        return;
    };
    let saved = stream.save().expect("a loaded stream saves");
    let back = Stream::load(&saved).expect("a saved stream loads");
    assert_eq!(back.len(), stream.len());
    for key in stream.series_keys() {
        let id = stream.find_series(key).expect("its own key");
        let again = back.find_series(key).expect("the key is saved");
        assert_eq!(
            stream.scan(id, i64::MIN, i64::MAX).expect("a loaded chunk reads"),
            back.scan(again, i64::MIN, i64::MAX).expect("a saved chunk reads")
        );
    }
});
