//! One goal line, as every benchmark prints it: the figure, the target,
//! met or missed by how much. Shared by the benchmarks of both crates
//! (`#[path]`-included; not a target of its own).

/// Prints `goal: WHAT: measured M -> met` (or `MISSED by N%`); `at_least`
/// says whether the figure must reach the target or stay under it.
pub fn goal(what: &str, measured: f64, target: f64, at_least: bool) {
    let met = if at_least {
        measured >= target
    } else {
        measured <= target
    };
    let verdict = if met {
        "met".to_owned()
    } else {
        format!(
            "MISSED by {:.0}%",
            ((measured - target) / target * 100.0).abs()
        )
    };
    println!("  goal: {what}: measured {measured:.2} -> {verdict}");
}
