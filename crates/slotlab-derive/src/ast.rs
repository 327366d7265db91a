//! A typed view of the input struct.

use crate::attr;
use syn::{Data, DeriveInput, Error, Expr, Fields, Ident, Result, Type, Visibility};

/// The struct `#[derive(Record)]` is on.
pub(crate) struct RecordInput<'a> {
    pub(crate) input: &'a DeriveInput,
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) fields: Vec<RecordField<'a>>,
    pub(crate) order: bool,
    pub(crate) frozen: bool,
}

/// One named field.
pub(crate) struct RecordField<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) vis: &'a Visibility,
    pub(crate) default: Option<Expr>,
}

impl<'a> RecordInput<'a> {
    pub(crate) fn from_syn(input: &'a DeriveInput) -> Result<Self> {
        let data = match &input.data {
            Data::Struct(data) => data,
            Data::Enum(e) => {
                return Err(Error::new_spanned(
                    e.enum_token,
                    "#[derive(Record)] needs a struct with named fields, not an enum",
                ));
            }
            Data::Union(u) => {
                return Err(Error::new_spanned(
                    u.union_token,
                    "#[derive(Record)] needs a struct with named fields, not a union",
                ));
            }
        };
        let named = match &data.fields {
            Fields::Named(named) => named,
            Fields::Unnamed(fields) => {
                return Err(Error::new_spanned(
                    fields,
                    "#[derive(Record)] needs named fields (a dataclass's fields have names); \
                     this is a tuple struct",
                ));
            }
            Fields::Unit => {
                return Err(Error::new_spanned(
                    &input.ident,
                    "#[derive(Record)] needs at least one named field",
                ));
            }
        };
        let options = attr::struct_options(&input.attrs)?;
        let fields = named
            .named
            .iter()
            .map(|field| {
                let options = attr::field_options(&field.attrs)?;
                Ok(RecordField {
                    ident: field.ident.as_ref().expect("named fields have names"),
                    ty: &field.ty,
                    vis: &field.vis,
                    default: options.default,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            input,
            ident: &input.ident,
            vis: &input.vis,
            fields,
            order: options.order,
            frozen: options.frozen,
        })
    }
}
