//! Checks that return spanned errors, in dataclass's words where it has them.

use crate::ast::RecordInput;
use syn::{Error, Result, Visibility};

pub(crate) fn check(record: &RecordInput<'_>) -> Result<()> {
    let generics = &record.input.generics;
    if !generics.params.is_empty() {
        return Err(Error::new_spanned(
            generics,
            "#[derive(Record)] does not support generic structs",
        ));
    }
    if record.fields.is_empty() {
        return Err(Error::new_spanned(
            record.ident,
            "#[derive(Record)] needs at least one named field",
        ));
    }
    // dataclass: "TypeError: non-default argument 'value' follows default argument"
    let mut seen_default = false;
    for field in &record.fields {
        match (&field.default, seen_default) {
            (Some(_), _) => seen_default = true,
            (None, true) => {
                return Err(Error::new_spanned(
                    field.ident,
                    format!(
                        "non-default argument '{}' follows default argument \
                         (as in a dataclass, fields with a default come last)",
                        field.ident
                    ),
                ));
            }
            (None, false) => {}
        }
    }
    if record.frozen {
        for field in &record.fields {
            if !matches!(field.vis, Visibility::Inherited) {
                return Err(Error::new_spanned(
                    field.vis,
                    format!(
                        "field '{}' of a frozen record must not be public: assigning to it \
                         would bypass `frozen` (read it through the generated `{}()` getter)",
                        field.ident, field.ident
                    ),
                ));
            }
        }
    }
    Ok(())
}
