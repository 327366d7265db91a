use slotlab::record::Record;

#[derive(Record)]
struct Reading(i64, f64);

fn main() {}
