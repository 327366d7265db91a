use slotlab::record::Record;

#[derive(Record)]
#[record(slots)]
struct Reading {
    timestamp: i64,
}

#[derive(Record)]
struct Other {
    #[record(defualt = 1)]
    timestamp: i64,
}

fn main() {}
