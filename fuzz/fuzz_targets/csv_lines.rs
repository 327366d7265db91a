//! The CSV line reader: any bytes are read into events or rejected rows,
//! never a panic; no more events than lines after the header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotlab_stream::source::blocks::LineBlocks;
use slotlab_stream::source::lines::{InputFormat, LineOptions, LineReader};

fuzz_target!(|data: &[u8]| {
    let mut reader = LineReader::new(InputFormat::Csv, LineOptions::default());
    let mut blocks = LineBlocks::new(data);
    let mut events = None;
    while let Ok(Some(block)) = blocks.next_block() {
        if reader.read_block(block.first_line, &block.text, &mut events).is_err() {
            break;
        }
    }
    let accepted = events.as_ref().map_or(0, |e| e.len() as u64);
    assert!(accepted + reader.rejected() <= blocks.lines_read().saturating_sub(1));
    if let Some(e) = &events {
        assert_eq!(e.series.len(), e.len());
        assert!(e.batch.columns.iter().all(|c| c.len() == e.len()));
    }
});
