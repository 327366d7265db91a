//! A census of a user's program, rendered: classes ranked by what
//! `__slots__` would save, the change for each, the totals and how it was
//! measured.

use super::Format;
use crate::measure::census::{Census, ClassCensus, Verdict};
use crate::measure::system::human_bytes;
use comfy_table::{CellAlignment, Table, presets};
use std::fmt::Write;

/// The columns, in order.
pub(super) const HEADERS: [&str; 9] = [
    "class",
    "defined at",
    "own",
    "instances",
    "B now",
    "B slots",
    "B record",
    "saving",
    "verdict",
];

fn bytes(value: Option<f64>) -> String {
    value.map_or("–".to_owned(), |b| format!("{b:.1}"))
}

pub(super) fn row(class: &ClassCensus) -> Vec<String> {
    vec![
        class.name(),
        class.location(),
        if class.own { "yes" } else { "no" }.to_owned(),
        class.instances.to_string(),
        bytes(class.bytes_now),
        bytes(class.bytes_slots),
        bytes(class.record_bytes()),
        human_bytes(class.saving_bytes()),
        class.verdict.to_string(),
    ]
}

/// What to do about one class, in a line or a few.
pub(super) fn advice(class: &ClassCensus) -> String {
    let mut out = format!("{} ({}): ", class.name(), class.location());
    match class.verdict {
        Verdict::Ready => {
            let slots = class
                .slots
                .as_ref()
                .map(|s| s.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>())
                .unwrap_or_default();
            let tuple = if slots.len() == 1 {
                format!("({},)", slots[0])
            } else {
                format!("({})", slots.join(", "))
            };
            let _ = write!(
                out,
                "ready — __slots__ = {tuple} saves {:.1} B per instance",
                class.saving_per_instance()
            );
            for base in &class.bases {
                let _ = write!(
                    out,
                    "; and __slots__ = () in base {} ({})",
                    base.name,
                    base.location()
                );
            }
        }
        Verdict::Blocked => {
            let _ = write!(out, "blocked — {}", class.reason.as_deref().unwrap_or("?"));
            if class.attr_sets.len() > 1 {
                let sets: Vec<String> = class
                    .attr_sets
                    .iter()
                    .take(4)
                    .map(|s| format!("{{{}}} ×{}", s.attrs.join(", "), s.instances))
                    .collect();
                let mut union: Vec<&str> = Vec::new();
                for set in &class.attr_sets {
                    for attr in &set.attrs {
                        if !union.contains(&attr.as_str()) {
                            union.push(attr);
                        }
                    }
                }
                let _ = write!(
                    out,
                    ": {} (of {} sampled; their union: {})",
                    sets.join(", "),
                    class.sampled,
                    union.join(", ")
                );
            }
        }
        Verdict::Dataclass => {
            let _ = write!(
                out,
                "dataclass — {}",
                class
                    .reason
                    .as_deref()
                    .unwrap_or("use @dataclass(slots=True)")
            );
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
    out
}

/// The totals line.
pub(super) fn totals(census: &Census) -> String {
    let saving = census.ready_saving_bytes();
    let share = match (
        census.traced_end.filter(|&t| t > 0),
        census.rss_bytes.filter(|&r| r > 0),
    ) {
        (Some(traced), _) => format!(
            " ({:.1}% of the {} traced heap at the end)",
            100.0 * saving / traced as f64,
            human_bytes(traced as f64)
        ),
        (None, Some(rss)) => format!(
            " ({:.1}% of the {} resident at the end)",
            100.0 * saving / rss as f64,
            human_bytes(rss as f64)
        ),
        _ => String::new(),
    };
    let ready = census
        .classes
        .iter()
        .filter(|c| c.verdict == Verdict::Ready)
        .count();
    format!(
        "{ready} of {} classes ready for __slots__: {} could be saved{share}.",
        census.classes.len(),
        human_bytes(saving)
    )
}

/// The second run, compared with the first, in lines.
pub(super) fn verification(census: &Census) -> Vec<String> {
    let Some(v) = &census.verification else {
        return Vec::new();
    };
    let mut lines = vec![format!(
        "Verified: the program run again with __slots__ on {} class(es) ({} run(s)): {}; \
         stdout {}; run time {:.2} s → {:.2} s.",
        v.applied.len(),
        v.runs,
        if v.same_ending {
            "it ended as before"
        } else {
            "it did NOT end as before"
        },
        if v.same_stdout {
            "identical"
        } else {
            "DIFFERENT"
        },
        v.program_s.0,
        v.program_s.1
    )];
    if let (Some(before), Some(after)) = v.traced_peak {
        lines.push(format!(
            "  peak traced heap (tracemalloc over each whole run): {} → {} ({:+.1}%)",
            human_bytes(before as f64),
            human_bytes(after as f64),
            100.0 * (after as f64 - before as f64) / before.max(1) as f64
        ));
    }
    if let (Some(before), Some(after)) = v.peak_rss {
        lines.push(format!(
            "  peak resident set when the program ended: {} → {} ({:+.1}%)",
            human_bytes(before as f64),
            human_bytes(after as f64),
            100.0 * (after as f64 - before as f64) / before.max(1) as f64
        ));
    }
    for class in &v.classes {
        lines.push(format!(
            "  {}: {} B → {} B per instance ({} after), {} → {} instances",
            class.name,
            bytes(class.bytes_before),
            bytes(class.bytes_after),
            class.verdict_after,
            class.instances.0,
            class.instances.1
        ));
    }
    for (class, error) in &v.broke {
        lines.push(format!(
            "  {class}: needs dynamic attributes: {error} (left out)"
        ));
    }
    lines
}

fn ended(census: &Census) -> String {
    let program = census.program.join(" ");
    match census.ended.as_str() {
        "raised" => format!(
            "{program} raised ({}); the census is of what existed then.",
            census.error.as_deref().unwrap_or("?")
        ),
        "interrupted" => format!("{program} was interrupted; the census is of what existed then."),
        "snapshot" => format!("{program}, still running:"),
        _ => format!("{program} exited with status {}.", census.status),
    }
}

/// `census` in `format`, the `top` classes that would save most — after
/// every snapshot taken while it ran (text, table and Markdown; JSON
/// holds them all; CSV the final census).
pub fn render(format: Format, census: &Census, notes: &[String], top: usize) -> String {
    let mut out = String::new();
    if matches!(format, Format::Text | Format::Table | Format::Md) {
        let count = census.snapshots.len();
        for (i, snapshot) in census.snapshots.iter().enumerate() {
            let _ = writeln!(
                out,
                "Snapshot {} of {count} (SIGUSR1 after {:.1} s):",
                i + 1,
                snapshot.program_s
            );
            out.push_str(&render_one(format, snapshot, &[], top));
            out.push('\n');
        }
        if count > 0 {
            out.push_str("When the program ended:\n");
        }
    }
    out.push_str(&render_one(format, census, notes, top));
    out
}

fn render_one(format: Format, census: &Census, notes: &[String], top: usize) -> String {
    let ranked: Vec<&ClassCensus> = census.ranked().into_iter().take(top).collect();
    let rows: Vec<Vec<String>> = ranked.iter().map(|c| row(c)).collect();
    match format {
        Format::Json => serde_json::to_string_pretty(census).unwrap_or_default() + "\n",
        Format::Csv => {
            let mut out = HEADERS.join(",") + "\n";
            for row in rows {
                let cells: Vec<String> = row
                    .iter()
                    .map(|c| {
                        if c.contains([',', '"']) {
                            format!("\"{}\"", c.replace('"', "\"\""))
                        } else {
                            c.clone()
                        }
                    })
                    .collect();
                out.push_str(&cells.join(","));
                out.push('\n');
            }
            out
        }
        Format::Md => {
            let mut out = format!("{}\n\n| {} |\n|", ended(census), HEADERS.join(" | "));
            out.push_str(&"---|".repeat(HEADERS.len()));
            out.push('\n');
            for row in rows {
                let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
            let _ = writeln!(out, "\n{}\n", totals(census));
            for class in &ranked {
                let _ = writeln!(out, "- {}", advice(class));
            }
            for line in verification(census) {
                let _ = writeln!(out, "\n{line}");
            }
            for note in notes {
                let _ = writeln!(out, "\n{note}");
            }
            out
        }
        Format::Text | Format::Table => {
            let mut out = format!("{}\n", ended(census));
            if rows.is_empty() {
                let _ = writeln!(
                    out,
                    "No class had {} or more live instances (--min-instances sets the bar).",
                    census.min_instances
                );
            } else {
                let mut table = Table::new();
                table.load_style(presets::UTF8_FULL_CONDENSED);
                table.set_header(HEADERS.to_vec());
                for row in rows {
                    table.add_row(row);
                }
                for index in 3..8 {
                    if let Some(column) = table.column_mut(index) {
                        column.set_cell_alignment(CellAlignment::Right);
                    }
                }
                let _ = writeln!(out, "{table}");
                let _ = writeln!(out, "{}", totals(census));
                for class in &ranked {
                    let _ = writeln!(out, "  {}", advice(class));
                }
            }
            for line in verification(census) {
                let _ = writeln!(out, "{line}");
            }
            for note in notes {
                let _ = writeln!(out, "\n{note}");
            }
            out
        }
    }
}
