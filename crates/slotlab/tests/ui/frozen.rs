use slotlab::record::Record;

#[derive(Record)]
#[record(frozen)]
struct Point {
    x: f64,
}

#[derive(Record)]
#[record(frozen)]
struct Open {
    pub x: f64,
}

fn main() {
    let mut p = Point::new(1.0);
    p.set_x(2.0);
}
