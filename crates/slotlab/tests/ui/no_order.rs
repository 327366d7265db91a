use slotlab::record::Record;

#[derive(Record)]
struct Reading {
    timestamp: i64,
}

fn main() {
    // Without #[record(order)], records do not compare with <, as a
    // dataclass without order=True raises TypeError.
    let _ = Reading::new(1) < Reading::new(2);
}
