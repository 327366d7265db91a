//! Parsing `#[record(...)]` attributes.

use syn::{Attribute, Expr, Result};

/// Options on the struct: `#[record(order, frozen)]`.
#[derive(Default)]
pub(crate) struct StructOptions {
    pub(crate) order: bool,
    pub(crate) frozen: bool,
}

/// Options on a field: `#[record(default = EXPR)]`.
#[derive(Default)]
pub(crate) struct FieldOptions {
    pub(crate) default: Option<Expr>,
}

fn is_record(attr: &Attribute) -> bool {
    attr.path().is_ident("record")
}

pub(crate) fn struct_options(attrs: &[Attribute]) -> Result<StructOptions> {
    let mut options = StructOptions::default();
    for attr in attrs.iter().filter(|a| is_record(a)) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("order") {
                options.order = true;
                Ok(())
            } else if meta.path.is_ident("frozen") {
                options.frozen = true;
                Ok(())
            } else {
                Err(meta.error(
                    "unknown #[record(...)] option on a struct: expected `order` or `frozen`",
                ))
            }
        })?;
    }
    Ok(options)
}

pub(crate) fn field_options(attrs: &[Attribute]) -> Result<FieldOptions> {
    let mut options = FieldOptions::default();
    for attr in attrs.iter().filter(|a| is_record(a)) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                options.default = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown #[record(...)] option on a field: expected `default = <value>`",
                ))
            }
        })?;
    }
    Ok(options)
}
