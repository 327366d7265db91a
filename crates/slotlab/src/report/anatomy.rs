//! Renders `explain`'s anatomies: where one reading's bytes go.

use super::Format;
use crate::measure::{Anatomy, DictStep};
use std::fmt::Write;

/// Renders anatomies in `format` (table reads as text).
pub fn render_anatomies(format: Format, anatomies: &[Anatomy]) -> String {
    match format {
        Format::Json => {
            let mut out = serde_json::to_string_pretty(anatomies).unwrap_or_default();
            out.push('\n');
            out
        }
        Format::Csv => csv(anatomies),
        Format::Md => md(anatomies),
        Format::Text | Format::Table => text(anatomies),
    }
}

fn bytes(b: f64) -> String {
    if b.fract() == 0.0 {
        format!("{b:.0} B")
    } else {
        format!("{b:.1} B")
    }
}

fn total(a: &Anatomy) -> f64 {
    a.parts.iter().map(|p| p.bytes).sum()
}

fn text(anatomies: &[Anatomy]) -> String {
    let mut out = String::new();
    for a in anatomies {
        let _ = writeln!(
            out,
            "{} in {} ({} layout): {} per reading",
            a.class,
            a.runtime,
            a.layout,
            bytes(total(a))
        );
        if let Some(block) = &a.block {
            let _ = writeln!(
                out,
                "  one {}-byte block per object (offsets from Layout::extend):",
                block.block_bytes
            );
            let _ = writeln!(
                out,
                "    @0    {:<34} {:>4} B",
                "class pointer", block.header_bytes
            );
            for i in 0..block.slot_count {
                let name = a.slot_names.get(i).map_or("?", String::as_str);
                let _ = writeln!(
                    out,
                    "    @{:<4} {:<34} {:>4} B",
                    block.slots_offset + i * block.slot_bytes,
                    format!("slot '{name}' (a packed value)"),
                    block.slot_bytes
                );
            }
            match (
                block.dict_offset,
                block.values_offset,
                block.values_capacity,
            ) {
                (Some(offset), Some(values), Some(capacity)) => {
                    let _ = writeln!(
                        out,
                        "    @{offset:<4} {:<34} {:>4} B",
                        "values header (room, len, order)",
                        values - offset
                    );
                    let _ = writeln!(
                        out,
                        "    @{values:<4} {:<34} {:>4} B (keys: the class's shared table)",
                        format!("{capacity} values, one per shared key"),
                        capacity * block.slot_bytes
                    );
                }
                (Some(offset), ..) => {
                    let _ = writeln!(
                        out,
                        "    @{offset:<4} {:<34} {:>4} B (entries and index table: separate blocks)",
                        "__dict__ table header", block.dict_bytes
                    );
                }
                _ => {}
            }
        }
        if !a.fields.is_empty() {
            let _ = writeln!(
                out,
                "  the struct's fields (offsets from offset_of!: Rust may reorder fields):"
            );
            for field in &a.fields {
                let _ = writeln!(
                    out,
                    "    @{:<4} {:<34} {:>4} B",
                    field.offset,
                    format!("{}: {}", field.name, field.type_name),
                    field.size
                );
            }
            if let Some(padding) = a.padding_bytes {
                let _ = writeln!(out, "    {:<39} {padding:>4} B", "padding");
            }
        }
        let _ = writeln!(out, "  where the bytes go:");
        for p in &a.parts {
            let mut line = format!("    {:<62} {:>8}", p.what, bytes(p.bytes));
            if let Some(u) = p.usable_bytes {
                let _ = write!(line, "  ({} usable)", bytes(u));
            }
            if let Some(b) = p.blocks.filter(|b| *b >= 1.0) {
                let _ = write!(line, "  {b:.0} block{}", if b == 1.0 { "" } else { "s" });
            }
            let _ = writeln!(out, "{line}  [{}]", p.source);
        }
        let _ = writeln!(out, "  what each way of measuring says:");
        for m in &a.measures {
            let said = m.bytes.map_or_else(|| "—".to_owned(), bytes);
            let _ = writeln!(out, "    {:<62} {:>8}", m.name, said);
            let _ = writeln!(out, "        counts: {}", m.counts);
            let _ = writeln!(out, "        leaves out: {}", m.leaves_out);
        }
        dict_steps_text(&mut out, &a.dict_steps);
        out.push('\n');
    }
    out
}

/// "inline values ×10,000", several joined by commas; what to say when the
/// runtime's states could not be read.
fn states_phrase(step: &DictStep) -> String {
    if step.states.is_empty() {
        return "(state not read: CPython 3.11 only)".to_owned();
    }
    step.states
        .iter()
        .map(|(place, count)| format!("{} ×{count}", place.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each step's bytes per reading, and the change from the step before in
/// the same scenario.
fn steps_with_change(steps: &[DictStep]) -> Vec<(&DictStep, Option<f64>)> {
    let mut out = Vec::new();
    let mut before: Option<&DictStep> = None;
    for step in steps {
        let change = before
            .filter(|b| b.scenario == step.scenario)
            .map(|b| step.bytes_per_object - b.bytes_per_object);
        out.push((step, change));
        before = Some(step);
    }
    out
}

fn change_phrase(change: Option<f64>) -> String {
    change.map_or_else(String::new, |c| format!(" ({c:+.1})"))
}

fn dict_steps_text(out: &mut String, steps: &[DictStep]) {
    if steps.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  what moves a __dict__ (each step on every reading of a fresh class; the state read from \
         the runtime after it; bytes per reading held since the scenario began):"
    );
    for (step, change) in steps_with_change(steps) {
        if change.is_none() {
            let _ = writeln!(out, "    {}", step.scenario);
        }
        let getsizeof = step
            .getsizeof
            .map_or_else(String::new, |g| format!("  [one object alone: {g} B]"));
        let _ = writeln!(
            out,
            "      {:<52} {:<44} {:>9}{:<10}{getsizeof}",
            step.action.code(),
            states_phrase(step),
            bytes(step.bytes_per_object),
            change_phrase(change)
        );
    }
}

fn md(anatomies: &[Anatomy]) -> String {
    let mut out = String::new();
    for a in anatomies {
        let _ = writeln!(
            out,
            "### {} in {} ({} layout): {} per reading\n",
            a.class,
            a.runtime,
            a.layout,
            bytes(total(a))
        );
        out.push_str("| part | bytes | usable | source |\n| --- | ---: | ---: | --- |\n");
        for p in &a.parts {
            let usable = p.usable_bytes.map_or_else(|| "–".to_owned(), bytes);
            let _ = writeln!(
                out,
                "| {} | {} | {usable} | {} |",
                p.what,
                bytes(p.bytes),
                p.source
            );
        }
        out.push_str("\n| measure | says | counts | leaves out |\n| --- | ---: | --- | --- |\n");
        for m in &a.measures {
            let said = m.bytes.map_or_else(|| "—".to_owned(), bytes);
            let _ = writeln!(
                out,
                "| {} | {said} | {} | {} |",
                m.name, m.counts, m.leaves_out
            );
        }
        if !a.dict_steps.is_empty() {
            out.push_str(
                "\n| scenario | step | state after it | bytes per reading |\n| --- | --- | --- | ---: |\n",
            );
            for (step, change) in steps_with_change(&a.dict_steps) {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {}{} |",
                    step.scenario,
                    step.action.code(),
                    states_phrase(step),
                    bytes(step.bytes_per_object),
                    change_phrase(change)
                );
            }
        }
        out.push('\n');
    }
    out
}

fn csv(anatomies: &[Anatomy]) -> String {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record([
        "runtime",
        "layout",
        "part",
        "bytes",
        "usable_bytes",
        "blocks",
        "source",
    ]);
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for a in anatomies {
        for p in &a.parts {
            let _ = writer.write_record([
                a.runtime.clone(),
                a.layout.clone(),
                p.what.clone(),
                p.bytes.to_string(),
                opt(p.usable_bytes),
                opt(p.blocks),
                p.source.clone(),
            ]);
        }
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{DictAction, DictStep, Part, SizeMeasure};
    use crate::model::{DictPlace, InstanceLayout};

    fn fixture() -> Vec<Anatomy> {
        vec![Anatomy {
            runtime: "rust".into(),
            layout: "slots".into(),
            class: "ReadingSlots".into(),
            block: Some(InstanceLayout {
                block_bytes: 24,
                align: 8,
                header_bytes: 8,
                slots_offset: 8,
                slot_bytes: 8,
                slot_count: 2,
                dict_offset: None,
                dict_bytes: 0,
                values_offset: None,
                values_capacity: None,
            }),
            slot_names: vec!["timestamp".into(), "value".into()],
            fields: Vec::new(),
            padding_bytes: None,
            parts: vec![
                Part {
                    what: "list slot".into(),
                    bytes: 8.0,
                    usable_bytes: Some(8.0),
                    blocks: Some(0.0009765625),
                    source: "measured".into(),
                },
                Part {
                    what: "object block".into(),
                    bytes: 40.0,
                    usable_bytes: Some(48.0),
                    blocks: Some(1.0),
                    source: "measured".into(),
                },
            ],
            measures: vec![SizeMeasure {
                name: "size_of::<Instance>()".into(),
                bytes: Some(8.0),
                counts: "the pointer".into(),
                leaves_out: "the block".into(),
            }],
            dict_steps: vec![
                DictStep {
                    scenario: "one attribute too many".into(),
                    action: DictAction::Build,
                    states: [(DictPlace::Inline, 1000)].into(),
                    bytes_per_object: 48.0,
                    getsizeof: Some(40),
                },
                DictStep {
                    scenario: "one attribute too many".into(),
                    action: DictAction::Set("tag".into()),
                    states: [(DictPlace::Inline, 10), (DictPlace::Own, 990)].into(),
                    bytes_per_object: 212.5,
                    getsizeof: None,
                },
            ],
        }]
    }

    #[test]
    fn golden_text_md_csv() {
        insta::assert_snapshot!("explain_text", render_anatomies(Format::Text, &fixture()));
        insta::assert_snapshot!("explain_md", render_anatomies(Format::Md, &fixture()));
        insta::assert_snapshot!("explain_csv", render_anatomies(Format::Csv, &fixture()));
    }

    #[test]
    fn json_round_trips() {
        let text = render_anatomies(Format::Json, &fixture());
        let back: Vec<Anatomy> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, fixture());
    }
}
