use slotlab::record::Record;

#[derive(Record)]
struct Reading {
    #[record(default = 0)]
    timestamp: i64,
    value: f64,
}

fn main() {}
