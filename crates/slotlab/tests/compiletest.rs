//! `#[derive(Record)]` misuse gives readable compile errors (trybuild).

#[test]
fn derive_record_misuse() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
