use slotlab::record::Record;

#[derive(Record)]
enum Reading {
    Empty,
}

fn main() {}
