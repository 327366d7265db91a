//! Where each part of an event sits in a line: fixed once, by the CSV
//! header or the first NDJSON object, then shared by every block's parser.

use super::{HeaderProblem, LineOptions, TIMESTAMP_NAMES};
use crate::source::ndjson;
use crate::{Field, FieldKind, Schema, SchemaError};

/// Where each part of an event is, fixed by the first line.
#[derive(Debug)]
pub(super) struct Shape {
    pub(super) schema: Schema,
    /// The timestamp field's name, and its CSV column.
    pub(super) ts_name: String,
    pub(super) ts_at: usize,
    /// The series field's name and CSV column, if any.
    pub(super) series_name: Option<String>,
    pub(super) series_at: Option<usize>,
    /// Each schema field's CSV column.
    pub(super) field_at: Vec<usize>,
    /// CSV columns in a row.
    pub(super) columns: usize,
    /// Every name of the line, sorted (for finding an extra field).
    pub(super) sorted_names: Vec<String>,
    /// Every name, in the order the line wrote them (an NDJSON line with
    /// the same keys in the same order is read by position).
    pub(super) written: ndjson::Template,
}

impl Shape {
    /// The shape `names` (in the line's order) give under `options`.
    pub(super) fn fix(names: &[&str], options: &LineOptions) -> Result<Self, HeaderProblem> {
        let find = |wanted: &str| names.iter().position(|n| n.eq_ignore_ascii_case(wanted));
        let wanted: Vec<String> = match &options.ts_field {
            Some(name) => vec![name.clone()],
            None => TIMESTAMP_NAMES.iter().map(|s| (*s).to_owned()).collect(),
        };
        let ts_at = match &options.ts_field {
            Some(name) => names.iter().position(|n| n == name),
            None => wanted.iter().find_map(|w| find(w)),
        }
        .ok_or_else(|| HeaderProblem::NoTimestamp {
            names: names.iter().map(|s| (*s).to_owned()).collect(),
            wanted,
        })?;
        let series_at = find(&options.series_field).filter(|&i| i != ts_at);
        let field_at: Vec<usize> = (0..names.len())
            .filter(|&i| i != ts_at && Some(i) != series_at)
            .collect();
        let unknown: Vec<String> = options
            .ints
            .iter()
            .filter(|i| !field_at.iter().any(|&at| names[at] == i.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(HeaderProblem::UnknownInts {
                unknown,
                fields: field_at.iter().map(|&i| names[i].to_owned()).collect(),
            });
        }
        let schema = Schema::new(
            field_at
                .iter()
                .map(|&i| {
                    let kind = if options.ints.iter().any(|n| n == names[i]) {
                        FieldKind::I64
                    } else {
                        FieldKind::F64
                    };
                    Field::new(names[i], kind)
                })
                .collect(),
        )
        .map_err(|e| match e {
            crate::StreamError::Schema(s) => HeaderProblem::Schema(s),
            _ => HeaderProblem::Schema(SchemaError::NoFields),
        })?;
        let mut sorted_names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        sorted_names.sort_unstable();
        Ok(Self {
            schema,
            ts_name: names[ts_at].to_owned(),
            ts_at,
            series_name: series_at.map(|i| names[i].to_owned()),
            series_at,
            field_at,
            columns: names.len(),
            sorted_names,
            written: ndjson::Template::new(names),
        })
    }
}
