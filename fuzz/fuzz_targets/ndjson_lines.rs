//! The NDJSON line reader: any bytes are read into events or rejected
//! lines, never a panic, and every line is counted once: events + rejected
//! + blank lines = lines (unless the line that fixes the fields stops it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotlab_stream::source::blocks::LineBlocks;
use slotlab_stream::source::lines::{InputFormat, LineOptions, LineReader};

fuzz_target!(|data: &[u8]| {
    let mut reader = LineReader::new(InputFormat::Ndjson, LineOptions::default());
    let mut blocks = LineBlocks::new(data);
    let mut events = None;
    let mut blank = 0u64;
    while let Ok(Some(block)) = blocks.next_block() {
        let text = if block.first_line == 1 {
            block.text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&block.text)
        } else {
            &block.text[..]
        };
        blank += text
            .split(|&b| b == b'\n')
            .take(block.lines as usize)
            .filter(|l| l.strip_suffix(b"\r").unwrap_or(l).iter().all(u8::is_ascii_whitespace))
            .count() as u64;
        if reader.read_block(block.first_line, &block.text, &mut events).is_err() {
            return;
        }
    }
    let accepted = events.map_or(0, |e| e.len() as u64);
    assert_eq!(accepted + reader.rejected() + blank, blocks.lines_read());
});
