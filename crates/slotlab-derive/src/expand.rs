//! Code generation.

use crate::ast::{RecordField, RecordInput};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) fn expand(record: &RecordInput<'_>) -> TokenStream {
    let ident = record.ident;
    let vis = record.vis;
    let name = ident.to_string();
    let columns = format_ident!("{}Columns", ident);
    let krate = quote!(::slotlab::record);
    let idents: Vec<_> = record.fields.iter().map(|f| f.ident).collect();
    let types: Vec<_> = record.fields.iter().map(|f| f.ty).collect();

    let (constructors, default_impl) = constructors(record);
    let accessors = accessors(record);
    let repr = repr(record);
    let order = record.order.then(|| {
        quote! {
            impl ::core::cmp::PartialOrd for #ident {
                /// Field by field, in declaration order, as a dataclass with
                /// `order=True` compares its fields as a tuple.
                fn partial_cmp(&self, other: &Self) -> ::core::option::Option<::core::cmp::Ordering> {
                    #(
                        match ::core::cmp::PartialOrd::partial_cmp(&self.#idents, &other.#idents) {
                            ::core::option::Option::Some(::core::cmp::Ordering::Equal) => {}
                            ordering => return ordering,
                        }
                    )*
                    ::core::option::Option::Some(::core::cmp::Ordering::Equal)
                }
            }
        }
    });
    let field_infos = record.fields.iter().map(|f| field_info(ident, f));
    let first = idents[0];
    let columns_doc = format!(
        "`{name}`'s fields stored column by column (struct of arrays): \
         one `Vec` per field, read as slices."
    );
    let column_getters = idents.iter().zip(&types).map(|(f, ty)| {
        let doc = format!("The `{f}` column.");
        quote! {
            #[doc = #doc]
            #vis fn #f(&self) -> &[#ty] { &self.#f }
        }
    });

    quote! {
        impl #ident {
            #constructors
            #accessors
        }

        #default_impl

        #repr

        impl ::core::cmp::PartialEq for #ident {
            /// Field by field, as a dataclass's `__eq__` compares its fields.
            fn eq(&self, other: &Self) -> bool {
                true #( && self.#idents == other.#idents )*
            }
        }

        #order

        impl #krate::Record for #ident {
            const NAME: &'static str = #name;
            const FIELDS: &'static [#krate::FieldInfo] = &[ #( #field_infos ),* ];
            type Columns = #columns;
        }

        #[doc = #columns_doc]
        #[derive(Debug, Default, Clone)]
        #vis struct #columns {
            #( #idents: ::std::vec::Vec<#types>, )*
        }

        impl #columns {
            #( #column_getters )*
        }

        impl #krate::Columns<#ident> for #columns {
            fn with_capacity(capacity: usize) -> Self {
                Self { #( #idents: ::std::vec::Vec::with_capacity(capacity), )* }
            }
            fn push(&mut self, record: #ident) {
                #( self.#idents.push(record.#idents); )*
            }
            fn len(&self) -> usize {
                self.#first.len()
            }
            fn get(&self, index: usize) -> ::core::option::Option<#ident> {
                if index >= self.#first.len() {
                    return ::core::option::Option::None;
                }
                ::core::option::Option::Some(#ident {
                    #( #idents: ::core::clone::Clone::clone(&self.#idents[index]), )*
                })
            }
        }
    }
}

/// `new` (and `with_defaults`) for the inherent impl, and `impl Default`
/// when every field has a default.
fn constructors(record: &RecordInput<'_>) -> (TokenStream, TokenStream) {
    let vis = record.vis;
    let name = record.ident.to_string();
    let idents: Vec<_> = record.fields.iter().map(|f| f.ident).collect();
    let types: Vec<_> = record.fields.iter().map(|f| f.ty).collect();
    let new_doc = format!("A new `{name}` from every field, in order (a dataclass's `__init__`).");
    let new = quote! {
        #[doc = #new_doc]
        #[allow(clippy::too_many_arguments)]
        #vis fn new(#( #idents: #types ),*) -> Self {
            Self { #( #idents ),* }
        }
    };
    let (defaulted, required): (Vec<&RecordField<'_>>, Vec<&RecordField<'_>>) =
        record.fields.iter().partition(|f| f.default.is_some());
    if defaulted.is_empty() {
        return (new, TokenStream::new());
    }
    let req_idents: Vec<_> = required.iter().map(|f| f.ident).collect();
    let req_types: Vec<_> = required.iter().map(|f| f.ty).collect();
    let def_idents: Vec<_> = defaulted.iter().map(|f| f.ident).collect();
    let def_exprs: Vec<_> = defaulted
        .iter()
        .filter_map(|f| f.default.as_ref())
        .collect();
    let doc = format!(
        "A new `{name}` from the fields without a default, in order; the others take their \
         defaults (a dataclass's `__init__` with the defaulted arguments left out)."
    );
    let default_impl = if required.is_empty() {
        let ident = record.ident;
        quote! {
            impl ::core::default::Default for #ident {
                /// Every field at its default, as a dataclass whose fields all have one.
                fn default() -> Self { Self::with_defaults() }
            }
        }
    } else {
        TokenStream::new()
    };
    let inherent = quote! {
        #new

        #[doc = #doc]
        #vis fn with_defaults(#( #req_idents: #req_types ),*) -> Self {
            Self {
                #( #req_idents, )*
                #( #def_idents: ::core::convert::Into::into(#def_exprs), )*
            }
        }
    };
    (inherent, default_impl)
}

fn accessors(record: &RecordInput<'_>) -> TokenStream {
    let vis = record.vis;
    let getters = record.fields.iter().map(|f| {
        let (ident, ty) = (f.ident, f.ty);
        let doc = format!("`{ident}`.");
        quote! {
            #[doc = #doc]
            #vis fn #ident(&self) -> &#ty { &self.#ident }
        }
    });
    let setters = (!record.frozen).then(|| {
        record.fields.iter().map(|f| {
            let (ident, ty) = (f.ident, f.ty);
            let setter = format_ident!("set_{}", ident);
            let doc = format!("Sets `{ident}` (a frozen record has no setters).");
            quote! {
                #[doc = #doc]
                #vis fn #setter(&mut self, value: #ty) { self.#ident = value; }
            }
        })
    });
    let setters = setters.into_iter().flatten();
    quote! {
        #( #getters )*
        #( #setters )*
    }
}

fn repr(record: &RecordInput<'_>) -> TokenStream {
    let ident = record.ident;
    let krate = quote!(::slotlab::record);
    let open = format!("{ident}(");
    let parts = record.fields.iter().enumerate().map(|(i, f)| {
        let field = f.ident;
        let label = if i == 0 {
            format!("{field}=")
        } else {
            format!(", {field}=")
        };
        quote! {
            f.write_str(#label)?;
            #krate::PyRepr::py_repr(&self.#field, f)?;
        }
    });
    quote! {
        impl ::core::fmt::Display for #ident {
            /// The dataclass `repr`: `Name(field=value, ...)`, each value as
            /// Python's `repr` prints it.
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(#open)?;
                #( #parts )*
                f.write_str(")")
            }
        }

        impl ::core::fmt::Debug for #ident {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(self, f)
            }
        }
    }
}

fn field_info(record: &syn::Ident, field: &RecordField<'_>) -> TokenStream {
    let krate = quote!(::slotlab::record);
    let (ident, ty) = (field.ident, field.ty);
    let name = ident.to_string();
    let type_name = quote!(#ty).to_string().replace(' ', "");
    let default = match &field.default {
        Some(expr) => {
            let text = quote!(#expr).to_string();
            quote!(::core::option::Option::Some(#text))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #krate::FieldInfo {
            name: #name,
            type_name: #type_name,
            size: ::core::mem::size_of::<#ty>(),
            align: ::core::mem::align_of::<#ty>(),
            offset: ::core::mem::offset_of!(#record, #ident),
            default: #default,
        }
    }
}
