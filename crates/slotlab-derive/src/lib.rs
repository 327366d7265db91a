//! `#[derive(Record)]`: what `@dataclass(slots=True)` gives a Python class,
//! for a Rust struct with named fields. Use it through `slotlab::record`.
//!
//! See `slotlab::record` for what the derive generates and the options.

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro::TokenStream;

/// Derives `slotlab::record::Record` and dataclass behaviour; see
/// `slotlab::record`.
#[proc_macro_derive(Record, attributes(record))]
pub fn derive_record(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    ast::RecordInput::from_syn(&input)
        .and_then(|record| valid::check(&record).map(|()| record))
        .map(|record| expand::expand(&record))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
